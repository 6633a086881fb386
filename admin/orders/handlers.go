package orders

import (
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
)

// Handlers serve the orders pages.
type Handlers struct {
	Pool     *pgxpool.Pool
	Files    *files.Store
	Jobs     enqueue.Inserter
	Can      func(roles []string, p rbac.Perm) bool
	TZ       *time.Location
	Currency string
	// Lifecycle makes every status change and moves its money (admin/lifecycle).
	Lifecycle Lifecycle
	Now       func() time.Time // the portal's clock
}

// Routes is the desk's part of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/orders", Perm: rbac.OrdersRead, Handler: h.List},
		{Method: "GET", Path: "/orders/find", Perm: rbac.OrdersRead, Handler: h.Find},
		{Method: "POST", Path: "/orders/columns", Perm: rbac.OrdersRead, Handler: h.SaveColumns},
		{Method: "POST", Path: "/orders/export", Perm: rbac.OrdersRead, Handler: h.Export},
		{Method: "POST", Path: "/orders/waybills", Perm: rbac.OrdersRead, Handler: h.Waybills},
		{Method: "POST", Path: "/orders/act", Perm: rbac.OrdersRead, Handler: h.Act},
		{Method: "GET", Path: "/orders/new", Perm: rbac.OrdersEdit, Handler: h.NewForm},
		{Method: "POST", Path: "/orders", Perm: rbac.OrdersEdit, Handler: h.Create},
		{Method: "POST", Path: "/orders/moves", Perm: rbac.OrdersEdit, Handler: h.MoveMany},
		{Method: "GET", Path: "/orders/import", Perm: rbac.OrdersEdit, Handler: h.ImportPage},
		{Method: "GET", Path: "/orders/import/template", Perm: rbac.OrdersEdit, Handler: h.ImportTemplate},
		{Method: "POST", Path: "/orders/import", Perm: rbac.OrdersEdit, Handler: h.Import},
		{Method: "GET", Path: "/orders/import/:id<int>", Perm: rbac.OrdersEdit, Handler: h.ImportStatus},
		{Method: "GET", Path: "/orders/:number", Perm: rbac.OrdersRead, Handler: h.Show},
		{Method: "POST", Path: "/orders/:number/status", Perm: rbac.OrdersEdit, Handler: h.Move},
		{Method: "POST", Path: "/orders/:number/attachments", Perm: rbac.OrdersEdit, Handler: h.Attach},
		{Method: "GET", Path: "/orders/:number/attachments/:id<int>", Perm: rbac.OrdersRead, Handler: h.Attachment},
		{Method: "GET", Path: "/orders/:number/attachments/:id<int>/thumb", Perm: rbac.OrdersRead, Handler: h.Thumb},
	}
}

// FormatKg shows grams as kilograms: 1250 → "1.25".
func FormatKg(grams int64) string {
	s := strconv.FormatFloat(float64(grams)/1000, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func (h *Handlers) canEdit(roles []string) bool { return h.Can != nil && h.Can(roles, rbac.OrdersEdit) }

func (h *Handlers) zone() *time.Location {
	if h.TZ == nil {
		return time.UTC
	}
	return h.TZ
}

// argsOf turns an error's message arguments into T's name/value pairs.
func argsOf(e *apperr.Error) []any {
	var out []any
	for k, v := range e.Args {
		out = append(out, k, v)
	}
	return out
}

func (h *Handlers) nowUTC() time.Time { return clock.Or(h.Now).UTC() }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
