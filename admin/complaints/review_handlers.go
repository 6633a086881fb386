package complaints

import (
	"errors"
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
	// The select starts on "choose…": nothing chosen is refused, never the list's first name.
	staff, err := strconv.ParseInt(c.FormValue("assignee"), 10, 64)
	if err != nil || staff <= 0 {
		return h.outcome(c, id, apperr.InvalidField("assignee", "complaints.assign.choose"), "")
	}
	return h.outcome(c, id, h.store().Assign(web.Ctx(c), id, staff), "complaints.assign.done")
}

// Take assigns the complaint to the member who asks.
func (h *Handlers) Take(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.outcome(c, id, h.store().Assign(web.Ctx(c), id, web.Actor(c).ID), "complaints.assign.taken")
}

// Note adds an internal note.
func (h *Handlers) Note(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.outcome(c, id, h.store().Note(web.Ctx(c), id, c.FormValue("note")), "complaints.note.done")
}

// Explain asks the respondent for an explanation with a reply deadline.
func (h *Handlers) Explain(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(c.FormValue("reply_days"))
	return h.outcome(c, id, h.store().RequestExplanation(web.Ctx(c), id, c.FormValue("message"), days), "complaints.explain.done")
}

// Reply records the respondent's explanation and resumes the review.
func (h *Handlers) Reply(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.outcome(c, id, h.store().RecordReply(web.Ctx(c), id, c.FormValue("reply")), "complaints.reply.done")
}

// Evidence attaches a file.
func (h *Handlers) Evidence(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	files, err := uploads(c, "file")
	if err != nil {
		return h.outcome(c, id, apperr.InvalidField("file", "complaints.evidence.too_big"), "")
	}
	if len(files) == 0 {
		return h.outcome(c, id, apperr.InvalidField("file", "complaints.evidence.empty"), "")
	}
	for _, f := range files {
		if err := h.store().AddEvidence(web.Ctx(c), id, f); err != nil {
			return h.outcome(c, id, err, "")
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
	_, err = h.store().Extend(web.Ctx(c), id, days, c.FormValue("reason"))
	return h.outcome(c, id, err, "complaints.extend.done")
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
	return h.outcome(c, id, h.store().Withdraw(web.Ctx(c), id, demands, c.FormValue("note")), "complaints.withdraw.done")
}

// Close ends a notified complaint.
func (h *Handlers) Close(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.outcome(c, id, h.store().Close(web.Ctx(c), id), "complaints.withdraw.done")
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
	return h.outcome(c, id, h.store().Decide(web.Ctx(c), id, d), "complaints.decide.done")
}

// outcome answers a complaint action: on success the toast and the complaint; when the action is
// refused for a reason the member can act on (a field, the complaint's state) the complaint's page
// again with the message above its actions (422), never the generic error page. The page's forms
// post by htmx into #main (a 422 swaps in too), so neither answer reloads the page; without
// JavaScript they are plain posts with the same answers.
func (h *Handlers) outcome(c *fiber.Ctx, id int64, err error, okMsg string) error {
	if err == nil {
		return done(c, id, okMsg)
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return err
	}
	var args []any
	for k, v := range ae.Args {
		args = append(args, k, v)
	}
	return h.show(c, id, fiber.StatusUnprocessableEntity, web.T(c, ae.Message, args...))
}

// RequestExtension is an agent asking a lead for the one extension.
func (h *Handlers) RequestExtension(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(c.FormValue("days"))
	return h.outcome(c, id, h.store().RequestExtension(web.Ctx(c), id, days, c.FormValue("reason")), "complaints.extend.requested")
}

// GrantExtension is a lead granting the open request: the extension itself.
func (h *Handlers) GrantExtension(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.outcome(c, id, h.store().DecideExtension(web.Ctx(c), id, true, ""), "complaints.extend.done")
}

// RefuseExtension is a lead refusing the open request, with a reason.
func (h *Handlers) RefuseExtension(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.outcome(c, id, h.store().DecideExtension(web.Ctx(c), id, false, c.FormValue("refuse_reason")), "complaints.extend.refused")
}
