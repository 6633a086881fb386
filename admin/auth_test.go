package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)

	c := env.Anonymous()
	r := c.Get("/accounts")
	require.Equal(t, http.StatusSeeOther, r.Status, "anonymous users are sent to log in")
	require.Equal(t, "/login?next=/accounts", r.Location)

	before := c.Get("/login")
	require.Equal(t, http.StatusOK, before.Status)
	oldSession := c.Cookie("postdesk_session")
	require.NotEmpty(t, oldSession)

	r = c.PostForm("/login", url.Values{"email": {"Agent@Demo.Postdesk "}, "password": {seed.Password}, "next": {"/accounts"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, "/accounts", r.Location)
	require.NotEqual(t, oldSession, c.Cookie("postdesk_session"), "the session id rotates at log-in")

	r = c.Get("/accounts")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "Андрій Підтримка")

	r = c.PostForm("/logout", nil)
	require.Equal(t, http.StatusSeeOther, r.Status)
	require.Equal(t, http.StatusSeeOther, c.Get("/accounts").Status, "logged out")

	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND actor_email = 'agent@demo.postdesk'`).Scan(&n))
	require.Equal(t, 1, n, "the log-in is audited")
}

func TestWrongPasswordAndOpenRedirect(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	c := env.Anonymous()

	r := c.LoginAs("agent@demo.postdesk", "wrong-password")
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Contains(t, r.Body, "Wrong e-mail or password.")

	r = c.LoginAs("nobody@demo.postdesk", seed.Password)
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Contains(t, r.Body, "Wrong e-mail or password.", "an unknown e-mail gets the same answer")

	c.Get("/login")
	r = c.PostForm("/login", url.Values{"email": {"agent@demo.postdesk"}, "password": {seed.Password}, "next": {"//evil.example/"}})
	require.Equal(t, "/", r.Location, "next cannot leave the portal")
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	c := env.Anonymous()
	emails := []string{"agent@demo.postdesk", "lead@demo.postdesk", "editor@demo.postdesk"}
	var last admintest.Response
	for i := 0; i < 21; i++ {
		last = c.LoginAs(emails[i%3], "wrong-password-"+strings.Repeat("x", i))
	}
	require.Equal(t, http.StatusTooManyRequests, last.Status)
	require.Contains(t, last.Body, "Too many failed log-ins from your address")
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	c := env.Login("admin@demo.postdesk")

	r := c.PostForm("/admin/groups", url.Values{"_csrf": {"forged"}, "name": {"Hackers"}, "role": {"admin"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.Body, "The form expired")

	r = c.PostForm("/admin/groups", url.Values{"_csrf": {""}, "name": {"Hackers"}, "role": {"admin"}})
	require.Equal(t, http.StatusForbidden, r.Status)

	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_groups WHERE name = 'Hackers'`).Scan(&n))
	require.Zero(t, n, "nothing changed")

	// The htmx way: the token in a header.
	req, _ := http.NewRequest(http.MethodPost, "/admin/groups", strings.NewReader(url.Values{"name": {"Night shift"}, "role": {"support_agent"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	req.Header.Set("HX-Request", "true")
	r = c.Do(req)
	require.Equal(t, http.StatusNoContent, r.Status, r.Body)
	require.Contains(t, r.Header.Get("HX-Trigger"), "Group created")
}

func TestMustChangePasswordAfterReset(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	admin := env.Login("admin@demo.postdesk")
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM staff WHERE email = 'editor@demo.postdesk'`).Scan(&id))

	r := admin.PostForm("/admin/staff/"+itoa(id)+"/reset-password", nil)
	require.Equal(t, http.StatusOK, r.Status)
	pw := between(r.Body, `id="new-password">`, "<")
	require.Len(t, pw, 16)

	ed := env.Anonymous()
	require.Equal(t, http.StatusSeeOther, ed.LoginAs("editor@demo.postdesk", pw).Status)
	ed.Get("/me")
	r = ed.Get("/")
	require.Equal(t, "/me", r.Location, "a reset password must be changed first")
	r = ed.PostForm("/me/password", url.Values{"current": {pw}, "next": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "at least 10 characters")
	r = ed.PostForm("/me/password", url.Values{"current": {pw}, "next": {"a-brand-new-secret"}})
	require.Equal(t, http.StatusSeeOther, r.Status)
	require.Equal(t, http.StatusOK, ed.Get("/").Status)
}
