package web

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{true, false} {
		app := fiber.New()
		app.Use(SecurityHeaders(secure))
		app.Get("/*", func(c *fiber.Ctx) error { return c.SendString("ok") })
		for _, path := range []string{"/", "/admin/jobs", "/admin/jobs/queues"} {
			resp, err := app.Test(httptest.NewRequest("GET", path, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); (got == HSTS) != secure {
				t.Errorf("secure cookies %v, %s: HSTS %q", secure, path, got)
			}
			if path == "/" {
				continue
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != JobsCSP {
				t.Errorf("%s: CSP %q", path, got)
			}
			if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("%s: X-Frame-Options %q", path, got)
			}
		}
	}
}
