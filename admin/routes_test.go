package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
	"github.com/postdesk/postdesk/rbac"
)

var routeParam = regexp.MustCompile(`:[a-z]+(<[^>]+>)?`)

// TestEveryRouteChecksItsPermission walks the route table: every role without a route's permission
// gets 403, and anonymous users are sent to log in. A new route is covered the day it is added.
func TestEveryRouteChecksItsPermission(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	clients := map[string]*admintest.Client{}
	roles := map[string]string{}
	for _, s := range seed.DemoStaff {
		clients[s.Email] = env.Login(s.Email)
	}
	for _, g := range []struct{ email, role string }{
		{"admin@demo.postdesk", "admin"}, {"agent@demo.postdesk", "support_agent"}, {"lead@demo.postdesk", "support_lead"},
		{"finance@demo.postdesk", "finance"}, {"finance2@demo.postdesk", "finance"}, {"editor@demo.postdesk", "editor"},
	} {
		roles[g.email] = g.role
	}
	require.Len(t, roles, len(seed.DemoStaff), "every demo log-in has its role here")

	checked := 0
	for _, r := range env.Server.Routes() {
		require.NotEmpty(t, r.Perm, "%s %s", r.Method, r.Path)
		if r.Perm == rbac.Public {
			continue
		}
		// An id that does not exist: the walk must not change the demo data it relies on.
		path := strings.ReplaceAll(routeParam.ReplaceAllString(r.Path, "999999"), "*", "x")
		method := r.Method
		if method == "ALL" {
			method = http.MethodGet
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			anon := env.Anonymous()
			anon.Get("/login")
			resp := send(anon, method, path)
			require.Contains(t, []int{http.StatusSeeOther, http.StatusUnauthorized}, resp.Status, "anonymous")
			if resp.Status == http.StatusSeeOther {
				require.True(t, strings.HasPrefix(resp.Location, "/login"), resp.Location)
			}
			for email, c := range clients {
				if r.Path == "/logout" {
					c = env.Login(email) // keep the shared sessions alive for the other routes
				}
				allowed := r.Perm == rbac.Authenticated || env.Enforcer.Can([]string{roles[email]}, r.Perm)
				resp := send(c, method, path)
				if allowed {
					require.NotEqual(t, http.StatusForbidden, resp.Status, "%s should pass (%s)", email, r.Perm)
				} else {
					require.Equal(t, http.StatusForbidden, resp.Status, "%s must be refused (%s)", email, r.Perm)
				}
			}
		})
		checked++
	}
	require.Greater(t, checked, 15)
}

func send(c *admintest.Client, method, path string) admintest.Response {
	if method == http.MethodGet {
		return c.Get(path)
	}
	req := httptest.NewRequest(method, path, strings.NewReader(url.Values{"_csrf": {c.CSRF}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}
