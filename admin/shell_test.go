package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// TestShellSmallItems: /favicon.ico answers with an icon, and changing the language comes back to
// the page with its query string (issue 14, item 7; static/js/app.js fills "next" from the address bar).
func TestShellSmallItems(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	r := env.Anonymous().Get("/favicon.ico")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Header.Get("Content-Type"), "image/svg+xml")

	admin := env.Login("admin@demo.postdesk")
	r = admin.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"/accounts?status=blocked&kind=client"}})
	require.Equal(t, http.StatusSeeOther, r.Status)
	require.Equal(t, "/accounts?status=blocked&kind=client", r.Location)

	// The editor may not open the accounts list: the home page's tiles do not link there.
	home := env.Login("editor@demo.postdesk").Get("/")
	require.Equal(t, http.StatusOK, home.Status)
	require.NotContains(t, home.Body, `href="/accounts`)
	require.Contains(t, admin.Get("/").Body, `href="/accounts?status=blocked"`)
}
