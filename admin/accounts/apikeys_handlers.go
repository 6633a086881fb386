package accounts

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/accountsv"
)

// GenerateKey is POST /accounts/{id}/apikeys: a new key for a business client, shown once on the
// page this answers with (never stored, never shown again).
func (h *Handlers) GenerateKey(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	rate, _ := strconv.Atoi(c.FormValue("rate"))
	ctx := web.Ctx(c)
	var secret string
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) {
		_, secret, err = apikeys.Generate(ctx, tx, apikeys.Request{AccountID: id, Name: c.FormValue("name"), Scopes: formValues(c, "scope"), RatePerMin: rate})
		return err
	})
	if err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	web.Toast(c, "success", "apikeys.generated")
	return h.renderPage(c, fiber.StatusOK, id, func(d *accountsv.PageData) { d.NewKey = secret })
}
