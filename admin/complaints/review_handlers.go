package complaints

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
)

// Assign (leads) gives the complaint to a staff member.
func (h *Handlers) Assign(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	staff, _ := strconv.ParseInt(c.FormValue("assignee"), 10, 64)
	if err := h.store().Assign(web.Ctx(c), id, staff); err != nil {
		return err
	}
	return done(c, id, "complaints.assign.done")
}

// Note adds an internal note.
func (h *Handlers) Note(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store().Note(web.Ctx(c), id, c.FormValue("note")); err != nil {
		return err
	}
	return done(c, id, "complaints.note.done")
}

// Explain asks the respondent for an explanation with a reply deadline.
func (h *Handlers) Explain(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(c.FormValue("reply_days"))
	if err := h.store().RequestExplanation(web.Ctx(c), id, c.FormValue("message"), days); err != nil {
		return err
	}
	return done(c, id, "complaints.explain.done")
}

// Reply records the respondent's explanation and resumes the review.
func (h *Handlers) Reply(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store().RecordReply(web.Ctx(c), id, c.FormValue("reply")); err != nil {
		return err
	}
	return done(c, id, "complaints.reply.done")
}

// Evidence attaches a file.
func (h *Handlers) Evidence(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	files, err := uploads(c, "file")
	if err != nil {
		return apperr.InvalidField("file", "complaints.evidence.too_big")
	}
	if len(files) == 0 {
		return apperr.InvalidField("file", "complaints.evidence.empty")
	}
	for _, f := range files {
		if err := h.store().AddEvidence(web.Ctx(c), id, f); err != nil {
			return err
		}
	}
	return done(c, id, "complaints.evidence.done")
}

// Extend (leads) approves the one extension.
func (h *Handlers) Extend(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(c.FormValue("days"))
	if _, err := h.store().Extend(web.Ctx(c), id, days, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, id, "complaints.extend.done")
}

// Withdraw records a whole or partial withdrawal.
func (h *Handlers) Withdraw(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	var demands []int64
	for _, v := range formValues(c, "demand") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			demands = append(demands, n)
		}
	}
	if err := h.store().Withdraw(web.Ctx(c), id, demands, c.FormValue("note")); err != nil {
		return err
	}
	return done(c, id, "complaints.withdraw.done")
}

// Close ends a notified complaint.
func (h *Handlers) Close(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store().Close(web.Ctx(c), id); err != nil {
		return err
	}
	return done(c, id, "complaints.withdraw.done")
}

// formValues reads every value of a repeated form field.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	if len(out) == 0 {
		if form, err := c.MultipartForm(); err == nil {
			out = form.Value[name]
		}
	}
	return out
}

// Decide takes the decision with its actions.
func (h *Handlers) Decide(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	d := Decision{Outcome: Outcome(c.FormValue("outcome")), Reasoning: c.FormValue("reasoning")}
	for _, k := range formValues(c, "action") {
		a := Action{Kind: ActionKind(k)}
		// Money in major units as people type it ("150", "150,50"); a rating cut in points.
		raw := strings.TrimSpace(c.FormValue("amount_" + k))
		if a.Kind == ActRatingCut {
			a.Amount, _ = strconv.ParseInt(raw, 10, 64)
		} else if raw != "" {
			if a.Amount, err = money.ParseField("amount_"+k, raw, money.Positive); err != nil {
				return err // says what to type: a plain positive number with at most two decimals
			}
		}
		if a.Kind == ActBlockFunctions {
			a.Functions = formValues(c, "functions")
		}
		d.Actions = append(d.Actions, a)
	}
	if err := h.store().Decide(web.Ctx(c), id, d); err != nil {
		return err
	}
	return done(c, id, "complaints.decide.done")
}
