package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

// TestRedirectsStayOnSite: every redirect that takes its target from the request (log-in's next,
// GET and POST, and the language switch) refuses a target a browser would read as another site.
func TestRedirectsStayOnSite(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	evil := []string{`/\evil.example`, `//evil.example`, "/\t/evil.example", `/%5Cevil.example`, `https://evil.example/`}

	for _, next := range evil {
		c := env.Anonymous()
		c.Get("/login")
		r := c.PostForm("/login", url.Values{"email": {"agent@demo.postdesk"}, "password": {seed.Password}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		require.Equal(t, "/", r.Location, "POST /login next=%q", next)

		r = c.Get("/login?next=" + url.QueryEscape(next))
		require.Equal(t, "/", r.Location, "GET /login?next=%q when logged in", next)

		c.Get("/me")
		r = c.PostForm("/lang", url.Values{"lang": {"uk"}, "next": {next}})
		require.Equal(t, "/", r.Location, "POST /lang next=%q", next)

		anon := env.Anonymous()
		r = anon.Get("/login?next=" + url.QueryEscape(next))
		require.Equal(t, http.StatusOK, r.Status)
		require.NotContains(t, r.Body, "evil.example", "the log-in form does not carry the target on")
		r = anon.PostForm("/lang", url.Values{"lang": {"en"}, "next": {next}})
		require.Equal(t, "/", r.Location, "anonymous POST /lang next=%q", next)
	}

	c := env.Anonymous()
	c.Get("/login")
	r := c.PostForm("/login", url.Values{"email": {"agent@demo.postdesk"}, "password": {seed.Password}, "next": {"/accounts?q=ivan"}})
	require.Equal(t, "/accounts?q=ivan", r.Location, "a path on the site is kept")
}
