package accounts

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/accountsv"
)

// Block is POST /accounts/{id}/blocks: the block form, asked to confirm first.
func (h *Handlers) Block(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	form := accountsv.BlockForm{Whole: c.FormValue("scope") == "whole", Reason: c.FormValue("reason"), ComplaintRef: c.FormValue("complaint_ref"),
		Note: c.FormValue("note"), Duration: c.FormValue("duration"), Until: c.FormValue("until"), Notify: c.FormValue("notify") != "",
		Functions: map[string]bool{}}
	req := BlockRequest{AccountID: id, Whole: form.Whole, Reason: form.Reason, ComplaintRef: form.ComplaintRef, Note: form.Note, Notify: form.Notify}
	for _, f := range formValues(c, "function") {
		form.Functions[f] = true
		req.Functions = append(req.Functions, Function(f))
	}
	now := h.now()
	req.Now = now
	ends, err := endsAt(form.Duration, form.Until, now, actor.Zone(web.Ctx(c)))
	if err == nil {
		req.EndsAt = ends
		ctx := web.Ctx(c)
		err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
			_, err := BlockTx(ctx, tx, req)
			return err
		})
	}
	if e, ok := err.(*apperr.Error); ok && e.Field != "" {
		form.Errors = map[string]string{e.Field: web.T(c, e.Message)}
		return h.renderPage(c, fiber.StatusUnprocessableEntity, id, func(d *accountsv.PageData) { d.Form = form })
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "accounts.block.done")
	return web.Redirect(c, "/accounts/"+strconv.FormatInt(id, 10))
}

// Lift is POST /accounts/{id}/blocks/{block}/lift: unblock, with a note saying why.
func (h *Handlers) Lift(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	blockID, err := web.ParamID(c, "block")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		b, err := GetBlock(ctx, tx, blockID)
		if err != nil {
			return err
		}
		if b.AccountID != id {
			return apperr.New(apperr.NotFound, "error.not_found")
		}
		_, err = LiftTx(ctx, tx, blockID, c.FormValue("lift_note"), c.FormValue("notify") != "")
		return err
	})
	if err != nil {
		return err
	}
	web.Toast(c, "success", "accounts.block.lifted_done")
	return web.Redirect(c, "/accounts/"+strconv.FormatInt(id, 10))
}

// endsAt reads the form's end: a date typed in (platform zone) wins over a duration.
func endsAt(duration, until string, now time.Time, loc *time.Location) (*time.Time, error) {
	if until != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", until, loc)
		if err != nil {
			return nil, apperr.InvalidField("ends_at", "accounts.block.bad_date")
		}
		return &t, nil
	}
	if days, ok := durationDays[duration]; ok {
		t := now.Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Minute)
		return &t, nil
	}
	return nil, nil
}

// formValues returns every value of a repeated form field (checkboxes).
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	return out
}
