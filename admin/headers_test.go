package admin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// TestJobsDashboardHeaders: River's dashboard has a content policy of its own and cannot be framed.
func TestJobsDashboardHeaders(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	admin := env.Login("admin@demo.postdesk")
	for _, path := range []string{"/admin/jobs/", "/admin/jobs/queues"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept", "text/html")
		r := admin.Do(req)
		require.Equal(t, http.StatusOK, r.Status, path)
		csp := r.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "frame-ancestors 'none'", path)
		require.Contains(t, csp, "script-src 'self'", path)
		require.Equal(t, "DENY", r.Header.Get("X-Frame-Options"), path)
		require.True(t, strings.Contains(r.Body, "<div id=\"root\""), "the dashboard itself is served")
	}
}
