package apikeys

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/accountsv"
)

// Handlers serve /apikeys: every client's keys, and revoking one. Keys are generated on the
// client's account page.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
}

// Routes are the API keys' lines of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/apikeys", Perm: rbac.APIKeysRead, Handler: h.List},
		{Method: "POST", Path: "/apikeys/:id<int>/revoke", Perm: rbac.APIKeysManage, Handler: h.Revoke},
	}
}

// List is /apikeys.
func (h *Handlers) List(c *fiber.Ctx) error {
	active := c.Query("active") != ""
	before, err := web.QueryID(c, "before")
	if err != nil {
		return err
	}
	list, next, err := List(web.Ctx(c), h.Pool, active, before, 100)
	if err != nil {
		return err
	}
	rows := make([]accountsv.KeyListRow, len(list))
	for i, k := range list {
		rows[i] = accountsv.KeyListRow{KeyRow: accountsv.KeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, RatePerMin: k.RatePerMin,
			CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}, AccountID: k.AccountID, AccountName: k.AccountName, CreatedBy: k.CreatedBy}
	}
	nextURL := ""
	if next != 0 {
		nextURL = "/apikeys?before=" + strconv.FormatInt(next, 10)
		if active {
			nextURL += "&active=1"
		}
	}
	canManage := h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.APIKeysManage)
	return web.Render(c, fiber.StatusOK, web.T(c, "apikeys.title"), accountsv.KeysPage(rows, active, canManage, nextURL))
}

// Revoke stops a key at once and returns to its client's page.
func (h *Handlers) Revoke(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	var k Key
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) { k, err = Revoke(ctx, tx, id); return err }); err != nil {
		return err
	}
	web.Toast(c, "success", "apikeys.revoked_done")
	return web.Redirect(c, "/accounts/"+strconv.FormatInt(k.AccountID, 10)+"#api-keys")
}
