package accounts

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/accountsv"
)

// Handlers serve the accounts pages.
type Handlers struct {
	Pool *pgxpool.Pool
	// Enforcer decides which sections of the account page the viewer gets (nil: the basic ones).
	Enforcer *rbac.Enforcer
	Currency string // the deployment's, shown after amounts
	// Now is the portal's clock (the machine's when nil).
	Now func() time.Time
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Routes are the accounts desk's lines of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/accounts", Perm: rbac.AccountsRead, Handler: h.List},
		{Method: "GET", Path: "/lookup/accounts", Perm: rbac.AccountsRead, Handler: h.Lookup},
		{Method: "GET", Path: "/accounts/duplicates", Perm: rbac.AccountsRead, Handler: h.Duplicates},
		{Method: "GET", Path: "/accounts/:id<int>", Perm: rbac.AccountsRead, Handler: h.Show},
		{Method: "POST", Path: "/accounts/:id<int>/blocks", Perm: rbac.AccountsBlock, Handler: h.Block},
		{Method: "POST", Path: "/accounts/:id<int>/blocks/:block<int>/lift", Perm: rbac.AccountsBlock, Handler: h.Lift},
		{Method: "POST", Path: "/accounts/:id<int>/apikeys", Perm: rbac.APIKeysManage, Handler: h.GenerateKey},
		{Method: "POST", Path: "/accounts/:id<int>/delete", Perm: rbac.AccountsDelete, Handler: h.Delete},
		{Method: "POST", Path: "/accounts/:id<int>/delete-override", Perm: rbac.AccountsDeleteOverride, Handler: h.DeleteOverride},
	}
}

// can tells whether the viewer holds perm.
func (h *Handlers) can(c *fiber.Ctx, perm rbac.Perm) bool {
	a := web.Actor(c)
	return h.Enforcer != nil && a != nil && h.Enforcer.Can(a.Roles, perm)
}

// List is /accounts: search box, kind and status filters, keyset pages. The URL holds the filters.
func (h *Handlers) List(c *fiber.Ctx) error {
	before, err := web.QueryID(c, "before")
	if err != nil {
		return err
	}
	f := Filter{Search: c.Query("q"), Kind: c.Query("kind"), Status: c.Query("status"), Before: before}
	ctx := web.Ctx(c)
	data := accountsv.ListData{Query: f.Search, Kind: f.Kind, Status: f.Status, Cols: columns(c)}
	list, next, err := List(ctx, h.Pool, f)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		e := err.(*apperr.Error)
		data.Error = web.T(c, e.Message, "Field", web.T(c, "accounts.field."+e.Field))
	}
	data.Rows = toRows(list)
	if next != 0 {
		q := url.Values{"q": {f.Search}, "kind": {f.Kind}, "status": {f.Status}, "before": {strconv.FormatInt(next, 10)}}
		data.NextURL = "/accounts?" + q.Encode()
	}
	if c.Get("HX-Target") == "results" {
		return web.Fragment(c, fiber.StatusOK, accountsv.Results(data))
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.accounts"), accountsv.List(data))
}

// Show is /accounts/{id}: profile, balances, blocks, orders, duplicates, API keys, files, notices.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderPage(c, fiber.StatusOK, id, func(*accountsv.PageData) {})
}

// columns says which governed columns this viewer sees at all; hidden ones are not even headed.
func columns(c *fiber.Ctx) accountsv.Cols {
	v := web.Actor(c).View
	return accountsv.Cols{
		Phone: v.Sees(Record, "phone"), Email: v.Sees(Record, "email"), BirthDate: v.Sees(Record, "birth_date"),
		Passport: v.Sees(Record, "passport"), Card: v.Sees(Record, "card_last4"), CardHolder: v.Sees(Record, "card_holder"),
	}
}

func toRows(list []Account) []accountsv.Row {
	rows := make([]accountsv.Row, len(list))
	for i, a := range list {
		rows[i] = toRow(a)
	}
	return rows
}

func toRow(a Account) accountsv.Row {
	return accountsv.Row{ID: a.ID, Kind: a.Kind, Business: a.Business, Name: a.Name, Phone: a.Phone, Email: a.Email,
		BirthDate: a.BirthDate, Passport: a.Passport, CardLast4: a.CardLast4, CardHolder: a.CardHolder,
		Lang: a.Lang, Status: a.Status, CreatedAt: a.CreatedAt}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
