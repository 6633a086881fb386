package accounts

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/accountsv"
)

// Delete is POST /accounts/{id}/delete.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return DeleteTx(ctx, tx, id, c.FormValue("note")) })
	var e *apperr.Error
	if errors.As(err, &e) && (e.Field != "" || e.Code == apperr.Conflict) {
		msg := web.T(c, e.Message, argPairs(e.Args)...)
		return h.renderPage(c, fiber.StatusUnprocessableEntity, id, func(d *accountsv.PageData) { d.DeleteError = msg })
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "accounts.delete.done")
	return web.Redirect(c, "/accounts/"+strconv.FormatInt(id, 10))
}

// DeleteOverride is POST /accounts/{id}/delete-override: finance allows deleting despite a balance.
func (h *Handlers) DeleteOverride(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return DeleteOverrideTx(ctx, tx, id, c.FormValue("note")) }); err != nil {
		return err
	}
	web.Toast(c, "success", "accounts.delete.override_done")
	return web.Redirect(c, "/accounts/"+strconv.FormatInt(id, 10))
}

// Duplicates is /accounts/duplicates: accounts of a kind sharing a phone, e-mail, passport or card.
func (h *Handlers) Duplicates(c *fiber.Ctx) error {
	list, err := Duplicates(web.Ctx(c), h.Pool, 200)
	if err != nil {
		return err
	}
	rows := make([]accountsv.DupGroupRow, len(list))
	for i, g := range list {
		rows[i] = accountsv.DupGroupRow{Field: g.Field, Kind: g.Kind, Value: g.Value, IDs: g.IDs}
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "accounts.duplicates.title"), accountsv.DuplicatesPage(rows))
}

func argPairs(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}
