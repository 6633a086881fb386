// Package admin is the portal: the Fiber app, its middleware, and the route table that says which
// permission every route needs. Desk packages under admin/ hold the handlers.
package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/gofiber/fiber/v2/utils"
	pgstorage "github.com/gofiber/storage/postgres/v3"
	"github.com/jackc/pgx/v5/pgxpool"
	"riverqueue.com/riverui"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/api"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/auth"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/config"
	"github.com/postdesk/postdesk/admin/dashboard"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance"
	"github.com/postdesk/postdesk/admin/finance/funding"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/admin/groups"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/moderation"
	"github.com/postdesk/postdesk/admin/news"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/admin/staff"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/admin/webhooks"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/static"
	"github.com/postdesk/postdesk/views"
)

// Deps are the long-lived parts a server is built from.
type Deps struct {
	Pool     *pgxpool.Pool
	River    *jobs.Client // nil: a server that queues no jobs (some tests)
	Enforcer *rbac.Enforcer
	Config   *config.Config
	Log      *slog.Logger
	Clock    clock.Clock
	Metrics  *Metrics
	Files    *files.Store
}

// Server is the portal's HTTP side.
type Server struct {
	App    *fiber.App
	deps   Deps
	auth   *auth.Service
	routes []Route
	jobsUI *riverui.Handler
}

// Route is one line of the route table (see web.Route).
type Route = web.Route

// BodyLimit caps a request body unless its route says more (web.Route.BodyLimit: the statement
// upload); uploads have their own, lower, per-kind limits too.
const BodyLimit = web.DefaultBodyLimit

// New builds the app and registers every route. A route without a permission is a programming
// error and stops start-up.
func New(ctx context.Context, d Deps) (*Server, error) {
	if d.Pool == nil || d.Enforcer == nil || d.Config == nil || d.Log == nil || d.Clock == nil || d.Metrics == nil || d.Files == nil {
		return nil, fmt.Errorf("admin.New: every dependency but River is required (pool, enforcer, config, log, clock, metrics, files)")
	}
	s := &Server{deps: d}
	sessions := session.New(session.Config{
		Storage:        pgstorage.New(pgstorage.Config{DB: d.Pool, Table: "sessions", GCInterval: 24 * time.Hour}),
		Expiration:     auth.SessionTTL,
		KeyLookup:      "cookie:postdesk_session",
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		CookieSecure:   d.Config.SecureCookies,
		KeyGenerator:   utils.UUIDv4,
	})
	s.auth = &auth.Service{Now: d.Clock, Loc: d.Config.TZ, Pool: d.Pool, Sessions: sessions, Log: d.Log, DefaultLang: d.Config.Lang, Secret: []byte(d.Config.SessionSecret)}
	csrf := web.CSRF{Secret: []byte(d.Config.SessionSecret), SessionID: s.auth.SessionID,
		SameOriginOnly: func(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/admin/jobs/api/") }}
	// The route table first: the server's body limit is the largest a route takes.
	s.routes = s.table()
	limits := web.NewBodyLimits(s.routes, BodyLimit)
	app := fiber.New(fiber.Config{
		AppName:      "postdesk",
		ErrorHandler: web.ErrorHandler(d.Log),
		// Bodies stream: handlers run once the headers are in, and a body is read only when asked
		// for (a multipart form into temporary files). fasthttp then admits any length, so
		// limits.Middleware enforces each route's limit before anything reads; BodyLimit only
		// needs to admit the largest.
		BodyLimit:                    int(limits.Max()),
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 5 * time.Minute, // large exports stream for a while
		IdleTimeout:                  2 * time.Minute,
		DisableStartupMessage:        true,
		// Requests come straight from browsers in the default set-up; behind a proxy set
		// POSTDESK_TRUSTED_PROXY so c.IP() is the client's address.
		ProxyHeader:             d.Config.ProxyHeader,
		EnableTrustedProxyCheck: d.Config.ProxyHeader != "",
		TrustedProxies:          d.Config.TrustedProxies,
	})
	s.App = app

	app.Use(requestid.New())
	// Every request's context carries the River client, so a notice written deep in a desk's
	// transaction queues its delivery on that transaction (enqueue.From).
	jobq := enqueue.Of(d.River)
	app.Use(func(c *fiber.Ctx) error {
		c.SetUserContext(enqueue.With(c.UserContext(), jobq))
		return c.Next()
	})
	app.Use(s.logRequests)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		d.Log.Error("panic", "err", e, "path", c.Path(), "request_id", c.Locals("requestid"))
	}}))
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
		ReferrerPolicy:        "same-origin",
		Next:                  func(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/admin/jobs") },
	}))
	app.Use(web.SecurityHeaders(d.Config.SecureCookies))
	app.Use(d.Metrics.middleware)
	app.Use("/static", func(c *fiber.Ctx) error {
		c.Set("Cache-Control", "public, max-age=31536000, immutable")
		return c.Next()
	}, filesystem.New(filesystem.Config{Root: http.FS(static.FS)}))
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/favicon.ico", func(c *fiber.Ctx) error { // browsers ask for it on every site
		c.Set("Cache-Control", "public, max-age=86400")
		c.Type("svg")
		return c.SendString(favicon)
	})
	app.Get("/readyz", s.ready)
	// The platform API authenticates by key, not session: it is mounted ahead of sessions and CSRF.
	apiHandlers := &api.Handlers{Pool: d.Pool, Orders: api.OrderLifecycle{Pool: d.Pool}, Loc: d.Config.TZ, Currency: d.Config.Currency,
		Now: d.Clock, Files: d.Files}
	if d.River != nil {
		apiHandlers.Complaints = &complaints.Store{Pool: d.Pool, Loc: d.Config.TZ, Jobs: d.River, Now: d.Clock}
		apiHandlers.Jobs = d.River
	}
	app.Use("/api/", limits.Middleware, web.CleanInput)
	api.Mount(app, apiHandlers)

	app.Use(s.auth.Load)
	app.Use(csrf.Publish)
	app.Use(limits.Middleware) // before anything reads a body; after Load: refused in the user's language
	app.Use(csrf.Middleware)
	app.Use(web.CleanInput) // after Load: the refusal is in the user's language
	app.Use(s.navigation)

	if d.River != nil {
		ui, err := riverui.NewHandler(&riverui.HandlerOpts{
			Endpoints: riverui.NewEndpoints(d.River, nil),
			Logger:    d.Log,
			Prefix:    "/admin/jobs",
		})
		if err != nil {
			return nil, fmt.Errorf("river ui: %w", err)
		}
		if err := ui.Start(ctx); err != nil {
			return nil, fmt.Errorf("river ui: %w", err)
		}
		s.jobsUI = ui
	}

	for _, r := range s.routes {
		if r.Perm == "" {
			return nil, fmt.Errorf("route %s %s has no permission", r.Method, r.Path)
		}
		handlers := []fiber.Handler{}
		if r.Before != nil {
			handlers = append(handlers, r.Before)
		}
		handlers = append(handlers, s.guard(r.Perm))
		if r.FreshCode {
			handlers = append(handlers, s.auth.FreshCode)
		}
		handlers = append(handlers, r.Handler)
		if r.Method == "ALL" {
			app.All(r.Path, handlers...)
		} else {
			app.Add(r.Method, r.Path, handlers...)
		}
	}
	app.Use(func(c *fiber.Ctx) error { return apperr.New(apperr.NotFound, "error.not_found") })
	return s, nil
}

// table is the route table: every route with the permission it needs.
func (s *Server) table() []Route {
	d := s.deps
	jobq := enqueue.Of(d.River)
	dash := &dashboard.Handlers{Pool: d.Pool, Enforcer: d.Enforcer, Loc: d.Config.TZ, Now: d.Clock}
	acc := &accounts.Handlers{Now: d.Clock, Pool: d.Pool, Enforcer: d.Enforcer, Currency: d.Config.Currency}
	st := &staff.Handlers{Pool: d.Pool}
	gr := &groups.Handlers{Pool: d.Pool, Enforcer: d.Enforcer}
	au := &auditHandlers{pool: d.Pool, tz: d.Config.TZ}

	routes := []Route{
		{Method: "GET", Path: "/login", Perm: rbac.Public, Handler: s.auth.LoginPage},
		{Method: "POST", Path: "/login", Perm: rbac.Public, Handler: s.auth.LoginSubmit, Before: s.loginLimiter()},
		{Method: "GET", Path: "/login/code", Perm: rbac.Public, Handler: s.auth.CodePage},
		{Method: "POST", Path: "/login/code", Perm: rbac.Public, Handler: s.auth.CodeSubmit, Before: s.loginLimiter()},
		{Method: "POST", Path: "/lang", Perm: rbac.Public, Handler: s.auth.SetLang},
		{Method: "POST", Path: "/logout", Perm: rbac.Authenticated, Handler: s.auth.Logout},
		{Method: "GET", Path: "/me", Perm: rbac.Authenticated, Handler: s.auth.Me},
		{Method: "POST", Path: "/me/password", Perm: rbac.Authenticated, Handler: s.auth.ChangePassword},
		{Method: "POST", Path: "/me/two-factor", Perm: rbac.Authenticated, Handler: s.auth.BeginTwoFactor},
		{Method: "POST", Path: "/me/two-factor/confirm", Perm: rbac.Authenticated, Handler: s.auth.ConfirmTwoFactor},

		{Method: "GET", Path: "/", Perm: rbac.DashboardRead, Handler: dash.Show},

		{Method: "GET", Path: "/admin/staff", Perm: rbac.StaffManage, Handler: st.List},
		{Method: "GET", Path: "/admin/staff/new", Perm: rbac.StaffManage, Handler: st.NewForm},
		{Method: "POST", Path: "/admin/staff", Perm: rbac.StaffManage, Handler: st.Create},
		{Method: "GET", Path: "/admin/staff/:id<int>", Perm: rbac.StaffManage, Handler: st.Show},
		{Method: "POST", Path: "/admin/staff/:id<int>/groups", Perm: rbac.StaffManage, Handler: st.SaveGroups},
		{Method: "POST", Path: "/admin/staff/:id<int>/active", Perm: rbac.StaffManage, Handler: st.SetActive},
		{Method: "POST", Path: "/admin/staff/:id<int>/reset-password", Perm: rbac.StaffManage, Handler: st.ResetPassword},
		{Method: "POST", Path: "/admin/staff/:id<int>/two-factor-reset", Perm: rbac.StaffManage, Handler: st.ResetTwoFactor},
		{Method: "POST", Path: "/admin/staff/two-factor", Perm: rbac.StaffManage, Handler: st.SaveTwoFactorGroups},

		{Method: "GET", Path: "/admin/groups", Perm: rbac.GroupsManage, Handler: gr.Matrix},
		{Method: "POST", Path: "/admin/groups", Perm: rbac.GroupsManage, Handler: gr.Create},
		{Method: "POST", Path: "/admin/groups/rules", Perm: rbac.GroupsManage, Handler: gr.SaveRules, FreshCode: true},
		{Method: "POST", Path: "/admin/groups/:id<int>/names", Perm: rbac.GroupsManage, Handler: gr.SaveNames},
		{Method: "GET", Path: "/admin/roles", Perm: rbac.GroupsManage, Handler: gr.Roles},
		{Method: "POST", Path: "/admin/roles", Perm: rbac.GroupsManage, Handler: gr.SaveRoles},

		{Method: "GET", Path: "/admin/audit", Perm: rbac.AuditRead, Handler: au.list},

		{Method: "GET", Path: "/metrics", Perm: rbac.MetricsRead, Handler: adaptor.HTTPHandler(d.Metrics.Handler())},
		{Method: "ALL", Path: "/admin/jobs", Perm: rbac.JobsManage, Handler: s.riverUI},
		{Method: "ALL", Path: "/admin/jobs/*", Perm: rbac.JobsManage, Handler: s.riverUI},
	}
	routes = append(routes, accounts.Routes(acc)...)
	routes = append(routes, news.Routes(&news.Handlers{Now: d.Clock, Pool: d.Pool, Enforcer: d.Enforcer})...)
	routes = append(routes, apikeys.Routes(&apikeys.Handlers{Pool: d.Pool, Enforcer: d.Enforcer})...)
	routes = append(routes, notify.Routes(&notify.Handlers{Loc: d.Config.TZ, Pool: d.Pool, Enforcer: d.Enforcer})...)
	routes = append(routes, webhooks.Routes(&webhooks.Handlers{Now: d.Clock, Pool: d.Pool, Enforcer: d.Enforcer, Jobs: jobq})...)
	routes = append(routes, complaints.Routes(&complaints.Handlers{Now: d.Clock, Pool: d.Pool, Loc: d.Config.TZ, Jobs: jobq, Enforcer: d.Enforcer})...)
	routes = append(routes, moderation.Routes(&moderation.Handlers{Now: d.Clock, Pool: d.Pool, Enforcer: d.Enforcer, Currency: d.Config.Currency})...)
	routes = append(routes, finance.Routes(&finance.Handlers{Now: d.Clock, Pool: d.Pool, Enforcer: d.Enforcer, Loc: d.Config.TZ, Currency: d.Config.Currency, DataDir: d.Config.DataDir, Jobs: jobq})...)
	routes = append(routes, payouts.Routes(&payouts.Handlers{Pool: d.Pool, Jobs: jobq, Enforcer: d.Enforcer, JobTimeout: d.Config.PayoutTimeout})...)
	routes = append(routes, funding.Routes(&funding.Handlers{Pool: d.Pool, Enforcer: d.Enforcer, Currency: d.Config.Currency})...)
	routes = append(routes, recon.Routes(&recon.Handlers{Now: d.Clock, Pool: d.Pool, Jobs: jobq, Loc: d.Config.TZ, Currency: d.Config.Currency, Enforcer: d.Enforcer, Files: d.Files})...)
	routes = append(routes, files.Routes(&files.Handlers{Store: d.Files})...)
	routes = append(routes, orders.Routes(&orders.Handlers{Now: d.Clock, Pool: d.Pool, Files: d.Files, Can: d.Enforcer.Can, TZ: d.Config.TZ, Currency: d.Config.Currency,
		Lifecycle: lifecycle.Service{Pool: d.Pool}, Jobs: jobq})...)
	return routes
}

// Routes returns the route table (for tests and documentation).
func (s *Server) Routes() []Route { return s.routes }

// guard checks the route's permission. Anonymous users are sent to log in; logged-in users without
// the permission get a 403 page and the refusal is audited.
func (s *Server) guard(perm rbac.Perm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if perm == rbac.Public {
			return c.Next()
		}
		a := web.Actor(c)
		if a == nil {
			if c.Get("HX-Request") == "true" || strings.HasPrefix(c.Path(), "/api/") {
				c.Set("HX-Redirect", "/login")
				return apperr.New(apperr.Unauthorized, "error.login_required")
			}
			return c.Redirect("/login?next="+c.OriginalURL(), fiber.StatusSeeOther)
		}
		if perm == rbac.Authenticated {
			return c.Next() // log out, /me and the password: also for staff in no group
		}
		if a.MustChangePassword || a.MustEnrolTwoFactor {
			return web.Redirect(c, "/me")
		}
		if !s.deps.Enforcer.Can(a.Roles, perm) {
			_ = audit.Record(web.Ctx(c), s.deps.Pool, "auth.forbidden", "route", c.Method()+" "+c.Path(), nil, map[string]any{"perm": perm})
			return apperr.New(apperr.Forbidden, "error.forbidden")
		}
		return c.Next()
	}
}

// loginLimiter counts failed log-ins per address (successful ones do not count), in PostgreSQL so
// every web process shares the count. The per-account lockout is in auth.Login.
func (s *Server) loginLimiter() fiber.Handler {
	return limiter.New(limiter.Config{
		Max:                    20,
		Expiration:             15 * time.Minute,
		SkipSuccessfulRequests: true,
		Storage:                pgstorage.New(pgstorage.Config{DB: s.deps.Pool, Table: "rate_limits", GCInterval: 24 * time.Hour}),
		KeyGenerator:           func(c *fiber.Ctx) string { return "login:" + c.IP() },
		LimitReached: func(c *fiber.Ctx) error {
			_ = audit.Record(web.Ctx(c), s.deps.Pool, "auth.rate_limited", "address", c.IP(), nil, nil)
			return apperr.New(apperr.TooMany, "auth.rate_limited")
		},
	})
}

// navigation lists the sections the user may open, for the layout.
func (s *Server) navigation(c *fiber.Ctx) error {
	a := web.Actor(c)
	if a == nil {
		return c.Next()
	}
	var nav []views.NavItem
	for _, n := range Nav {
		if s.deps.Enforcer.Can(a.Roles, n.Perm) {
			nav = append(nav, views.NavItem{Key: n.Key, Href: n.Href, Group: n.Group})
		}
	}
	c.Locals(web.LocalNav, nav)
	return c.Next()
}

// Nav is the navigation, in order, grouped by desk, with the permission each entry needs. The
// sidebar shows a desk's heading only when the user may open one of its entries.
var Nav = []struct {
	Key, Href, Group string
	Perm             rbac.Perm
}{
	{"nav.dashboard", "/", "", rbac.DashboardRead},
	{"nav.complaints", "/complaints", "nav.group.work", rbac.ComplaintsRead},
	{"nav.complaints_board", "/complaints/board", "nav.group.work", rbac.ComplaintsBoard},
	{"nav.moderation", "/moderation", "nav.group.work", rbac.ModerationRead},
	{"nav.orders", "/orders", "nav.group.work", rbac.OrdersRead},
	{"nav.finance", "/finance", "nav.group.money", rbac.FinanceRead},
	{"nav.payouts", "/finance/payouts", "nav.group.money", rbac.PayoutsRead},
	{"nav.funding", "/finance/funding", "nav.group.money", rbac.FundingRequest},
	{"nav.reconciliation", "/finance/reconciliation", "nav.group.money", rbac.ReconRead},
	{"nav.accounts", "/accounts", "nav.group.people", rbac.AccountsRead},
	{"nav.staff", "/admin/staff", "nav.group.people", rbac.StaffManage},
	{"nav.groups", "/admin/groups", "nav.group.people", rbac.GroupsManage},
	{"nav.roles", "/admin/roles", "nav.group.people", rbac.GroupsManage},
	{"nav.news", "/news", "nav.group.content", rbac.NewsRead},
	{"nav.notifications", "/notifications", "nav.group.content", rbac.NotificationsRead},
	{"nav.webhooks", "/webhooks", "nav.group.content", rbac.NotificationsRead},
	{"nav.audit", "/admin/audit", "nav.group.system", rbac.AuditRead},
	{"nav.jobs", "/admin/jobs", "nav.group.system", rbac.JobsManage},
	{"nav.apikeys", "/apikeys", "nav.group.system", rbac.APIKeysRead},
}

func (s *Server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.deps.Pool.Ping(ctx); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString("database unreachable")
	}
	return c.SendString("ready")
}

// riverUI serves River's own job dashboard. Its single-page app sends no CSRF token, so its API
// is guarded by the same-origin check in the CSRF middleware plus the jobs:manage permission.
func (s *Server) riverUI(c *fiber.Ctx) error {
	if s.jobsUI == nil {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	return adaptor.HTTPHandler(s.jobsUI)(c)
}

// logRequests writes one structured line per request, with its id.
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		} else {
			status = apperr.Status(apperr.CodeOf(err))
		}
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	// The request id and staff id come from the context (actor.LogHandler).
	attrs := []any{"method", c.Method(), "path", c.Path(), "status", status, "ms", float64(time.Since(start).Microseconds()) / 1000}
	if actor.From(c.UserContext()) == nil {
		attrs = append(attrs, "request_id", c.Locals("requestid"))
	}
	if !strings.HasPrefix(c.Path(), "/static/") {
		s.deps.Log.Log(c.UserContext(), level, "http", attrs...)
	}
	return err
}

// favicon is the portal's icon: a blue square with a white "P".
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1a5fb4"/>` +
	`<path d="M11 25V7h7a6 6 0 0 1 0 12h-3v6z M15 11v4h3a2 2 0 0 0 0-4z" fill="#fff" fill-rule="evenodd"/></svg>`
