package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// JobsCSP is the policy for River's job dashboard under /admin/jobs: its own scripts and styles
// only (React sets inline styles; its one inline script is JSON data, which CSP does not run), its
// API on this origin, and never inside a frame.
const JobsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"

// HSTS tells browsers to use only HTTPS for a year once they have seen the portal over it.
const HSTS = "max-age=31536000; includeSubDomains"

// SecurityHeaders adds what the portal-wide helmet set-up leaves out: HSTS whenever cookies are
// marked Secure (the portal is served over TLS, perhaps behind a proxy that speaks plain HTTP to
// it), and a policy of its own for River's dashboard, which helmet skips.
func SecurityHeaders(secureCookies bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if secureCookies {
			c.Set(fiber.HeaderStrictTransportSecurity, HSTS)
		}
		if p := c.Path(); p == "/admin/jobs" || strings.HasPrefix(p, "/admin/jobs/") {
			c.Set(fiber.HeaderContentSecurityPolicy, JobsCSP)
			c.Set(fiber.HeaderXFrameOptions, "DENY")
			c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
			c.Set(fiber.HeaderReferrerPolicy, "same-origin")
		}
		return c.Next()
	}
}
