package complaints

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
)

// Handlers serve the complaints pages. Jobs enqueues the decision letter with the decision.
type Handlers struct {
	Pool     *pgxpool.Pool
	Loc      *time.Location
	Jobs     enqueue.Inserter
	Enforcer *rbac.Enforcer
	Now      func() time.Time // the portal's clock
}

func (h *Handlers) store() *Store { return &Store{Pool: h.Pool, Loc: h.Loc, Jobs: h.Jobs, Now: h.Now} }

func (h *Handlers) can(c *fiber.Ctx, p rbac.Perm) bool {
	a := web.Actor(c)
	return a != nil && h.Enforcer != nil && h.Enforcer.Can(a.Roles, p)
}

// Routes is the desk's part of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/complaints", Perm: rbac.ComplaintsRead, Handler: h.QueuePage},
		{Method: "GET", Path: "/complaints/new", Perm: rbac.ComplaintsWrite, Handler: h.NewForm},
		{Method: "POST", Path: "/complaints", Perm: rbac.ComplaintsWrite, Handler: h.Create},
		{Method: "GET", Path: "/complaints/board", Perm: rbac.ComplaintsBoard, Handler: h.BoardPage},
		{Method: "GET", Path: "/complaints/board.xlsx", Perm: rbac.ComplaintsBoard, Handler: h.BoardExport},
		{Method: "POST", Path: "/complaints/board/warnings", Perm: rbac.ComplaintsAssign, Handler: h.SaveWarnings},
		{Method: "GET", Path: "/complaints/:id<int>", Perm: rbac.ComplaintsRead, Handler: h.Show},
		{Method: "GET", Path: "/complaints/:id<int>/complete", Perm: rbac.ComplaintsWrite, Handler: h.CompleteForm},
		{Method: "POST", Path: "/complaints/:id<int>/complete", Perm: rbac.ComplaintsWrite, Handler: h.Complete},
		{Method: "GET", Path: "/complaints/:id<int>/files/:file<int>", Perm: rbac.ComplaintsRead, Handler: h.File},
		{Method: "POST", Path: "/complaints/:id<int>/assign", Perm: rbac.ComplaintsAssign, Handler: h.Assign},
		{Method: "POST", Path: "/complaints/:id<int>/take", Perm: rbac.ComplaintsWrite, Handler: h.Take},
		{Method: "POST", Path: "/complaints/:id<int>/extension-request", Perm: rbac.ComplaintsWrite, Handler: h.RequestExtension},
		{Method: "POST", Path: "/complaints/:id<int>/extension-request/grant", Perm: rbac.ComplaintsExtend, Handler: h.GrantExtension},
		{Method: "POST", Path: "/complaints/:id<int>/extension-request/refuse", Perm: rbac.ComplaintsExtend, Handler: h.RefuseExtension},
		{Method: "POST", Path: "/complaints/:id<int>/notes", Perm: rbac.ComplaintsWrite, Handler: h.Note},
		{Method: "POST", Path: "/complaints/:id<int>/explanation", Perm: rbac.ComplaintsWrite, Handler: h.Explain},
		{Method: "POST", Path: "/complaints/:id<int>/reply", Perm: rbac.ComplaintsWrite, Handler: h.Reply},
		{Method: "POST", Path: "/complaints/:id<int>/evidence", Perm: rbac.ComplaintsWrite, Handler: h.Evidence},
		{Method: "POST", Path: "/complaints/:id<int>/extend", Perm: rbac.ComplaintsExtend, Handler: h.Extend},
		{Method: "POST", Path: "/complaints/:id<int>/decision", Perm: rbac.ComplaintsDecide, Handler: h.Decide},
		{Method: "POST", Path: "/complaints/:id<int>/withdraw", Perm: rbac.ComplaintsWrite, Handler: h.Withdraw},
		{Method: "POST", Path: "/complaints/:id<int>/close", Perm: rbac.ComplaintsWrite, Handler: h.Close},
	}
}

// done answers a successful action: back to the complaint with a toast (htmx) or a redirect.
func done(c *fiber.Ctx, id int64, msgID string) error {
	web.Toast(c, "success", msgID)
	return web.Redirect(c, "/complaints/"+itoa(id))
}
