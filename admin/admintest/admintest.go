// Package admintest runs the whole portal against a fresh database for tests: demo data loaded,
// every middleware in place, and a cookie-keeping client that logs in like a browser does.
package admintest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/config"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/seed"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
)

// Env is a running portal on its own database.
type Env struct {
	T testing.TB
	// Pool is the schema owner's: tests seed rows with it (ledger rows included). The portal itself
	// runs on AppPool, the role the web and worker processes have in production (dbtest.NewApp).
	Pool     *pgxpool.Pool
	AppPool  *pgxpool.Pool
	Server   *admin.Server
	Enforcer *rbac.Enforcer
	Config   *config.Config
	// Clock is the portal's clock: a test sets it to the instant it is about (23:30 Kyiv time, a
	// DST night) or moves it on.
	Clock *clock.Test
	Files *files.Store
}

// New builds the portal on a fresh database with the demo data.
func New(t testing.TB) *Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pool, app := dbtest.NewApp(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	if err := seed.Run(ctx, pool, log, seed.Options{TZ: kyiv}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// Tests read English; the language switch has its own test.
	if _, err := pool.Exec(ctx, `UPDATE staff SET lang = 'en'`); err != nil {
		t.Fatalf("staff language: %v", err)
	}
	clk := clock.NewTest()
	files, err := files.Open(ctx, app, "")
	if err != nil {
		t.Fatalf("files: %v", err)
	}
	files.Now = clk.Now
	cfg := &config.Config{Lang: "en", TZ: kyiv, Currency: "UAH", SessionSecret: "test-secret-test-secret-test-secret"}
	enforcer, err := rbac.NewEnforcer(ctx, app)
	if err != nil {
		t.Fatalf("enforcer: %v", err)
	}
	river, err := jobs.New(app, jobs.Options{Log: log, Clock: clk.Now, TZ: kyiv, Files: files})
	if err != nil {
		t.Fatalf("river: %v", err)
	}
	srv, err := admin.New(ctx, admin.Deps{Pool: app, River: river, Enforcer: enforcer, Config: cfg, Log: log,
		Clock: clk.Now, Metrics: admin.NewMetrics(), Files: files})
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return &Env{T: t, Pool: pool, AppPool: app, Server: srv, Enforcer: enforcer, Config: cfg, Clock: clk, Files: files}
}

// Serve listens on a loopback port (for the browser tests) and returns the base URL.
func (e *Env) Serve() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatalf("listen: %v", err)
	}
	go func() { _ = e.Server.App.Listener(ln) }()
	e.T.Cleanup(func() { _ = e.Server.App.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// Client is a browser-like client: it keeps cookies and the page's CSRF token.
type Client struct {
	env     *Env
	cookies map[string]string
	CSRF    string
}

// Response is what a request returned.
type Response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

// Anonymous returns a client with no session.
func (e *Env) Anonymous() *Client { return &Client{env: e, cookies: map[string]string{}} }

// Login logs in with the demo password and fails the test if that does not work.
func (e *Env) Login(email string) *Client {
	e.T.Helper()
	c := e.Anonymous()
	if r := c.LoginAs(email, seed.Password); r.Status != http.StatusSeeOther {
		e.T.Fatalf("log in %s: status %d: %s", email, r.Status, r.Body)
	}
	c.Get("/me") // picks up the new session's CSRF token
	return c
}

// LoginAs fills in and submits the log-in form.
func (c *Client) LoginAs(email, password string) Response {
	c.Get("/login")
	return c.PostForm("/login", url.Values{"email": {email}, "password": {password}})
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

// Do sends a request with the client's cookies and remembers what comes back.
func (c *Client) Do(req *http.Request) Response {
	c.env.T.Helper()
	var parts []string
	for k, v := range c.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	resp, err := c.env.Server.App.Test(req, -1)
	if err != nil {
		c.env.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfMeta.FindSubmatch(body); m != nil {
		c.CSRF = string(m[1])
	}
	return Response{Status: resp.StatusCode, Body: string(body), Header: resp.Header, Location: resp.Header.Get("Location")}
}

// Get fetches a page.
func (c *Client) Get(path string) Response {
	return c.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// PostForm submits a form with the page's CSRF token (unless values already carry _csrf).
func (c *Client) PostForm(path string, values url.Values) Response {
	if values == nil {
		values = url.Values{}
	}
	if _, ok := values["_csrf"]; !ok {
		values.Set("_csrf", c.CSRF)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Cookie returns a cookie's current value.
func (c *Client) Cookie(name string) string { return c.cookies[name] }
