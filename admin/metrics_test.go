package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// TestMetricsAfterMixedTraffic scrapes /metrics after requests of every method, found and not,
// side by side, and reads the answer as Prometheus would. Labels that alias Fiber's reused buffers
// turned "GET" into "GETT" or "POS" and every scrape into a 500.
func TestMetricsAfterMixedTraffic(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	admin := env.Login("admin@demo.postdesk")
	app := env.Server.App

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				var req *http.Request
				switch (i + w) % 5 {
				case 0:
					req = httptest.NewRequest(http.MethodGet, "/healthz", nil)
				case 1:
					req = httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"email": {"x@y.z"}}.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				case 2:
					req = httptest.NewRequest(http.MethodHead, "/readyz", nil)
				case 3:
					req = httptest.NewRequest(http.MethodDelete, "/no/such/page/"+strings.Repeat("z", i), nil)
				default:
					req = httptest.NewRequest(http.MethodOptions, "/login", nil)
				}
				resp, err := app.Test(req, -1)
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	admin.Get("/me")
	admin.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"/me"}})

	for range 2 {
		r := admin.Get("/metrics")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(strings.NewReader(r.Body))
		require.NoError(t, err)
		fam := fams["postdesk_http_request_duration_seconds"]
		require.NotNil(t, fam)
		methods := map[string]bool{}
		routes := map[string]bool{}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "method":
					methods[l.GetValue()] = true
				case "route":
					routes[l.GetValue()] = true
				}
			}
		}
		for m := range methods {
			require.Contains(t, []string{"GET", "HEAD", "POST", "DELETE", "OPTIONS"}, m)
		}
		require.True(t, methods["GET"] && methods["POST"] && methods["DELETE"], "%v", methods)
		require.True(t, routes["/healthz"] && routes["/login"] && routes["/lang"], "%v", routes)
		for r := range routes {
			require.NotContains(t, r, "/no/such", "unmatched paths share one series")
		}
	}
}
