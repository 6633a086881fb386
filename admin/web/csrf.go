package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/views"
)

// CSRF guards every state-changing request with a token bound to the session: the token is an HMAC
// of the session id under the server's secret, so any process can check it without storing it
// (Fiber's csrf middleware writes the session on every request; this one writes nothing).
// htmx sends it as the X-CSRF-Token header (layout sets hx-headers); plain forms as _csrf.
type CSRF struct {
	Secret    []byte
	SessionID func(c *fiber.Ctx) string
	// SameOriginOnly names requests from a same-origin script that cannot send the token (River's
	// UI): they pass when the browser vouches that they come from this site.
	SameOriginOnly func(c *fiber.Ctx) bool
}

// Token returns the token for the request's session ("" when there is none).
func (x CSRF) Token(c *fiber.Ctx) string {
	sid := x.SessionID(c)
	if sid == "" {
		return ""
	}
	m := hmac.New(sha256.New, x.Secret)
	m.Write([]byte("csrf:" + sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Publish makes the token available to templates without checking anything: a request refused
// before the check (a body over its limit) still renders a page whose forms work.
func (x CSRF) Publish(c *fiber.Ctx) error {
	x.publish(c)
	return c.Next()
}

func (x CSRF) publish(c *fiber.Ctx) string {
	want := x.Token(c)
	c.Locals(LocalCSRF, want)
	c.SetUserContext(views.WithCSRF(c.UserContext(), want))
	return want
}

// Middleware checks unsafe methods and publishes the token for templates.
func (x CSRF) Middleware(c *fiber.Ctx) error {
	want := x.publish(c)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if x.SameOriginOnly != nil && x.SameOriginOnly(c) {
		if c.Get("Sec-Fetch-Site") == "same-origin" || (c.Get("Origin") != "" && sameOrigin(c)) {
			return c.Next()
		}
		return apperr.New(apperr.Forbidden, "error.csrf")
	}
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) || !sameOrigin(c) {
		return apperr.New(apperr.Forbidden, "error.csrf")
	}
	return c.Next()
}

// sameOrigin refuses a request whose Origin header names another site.
func sameOrigin(c *fiber.Ctx) bool {
	origin := c.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Hostname()
}
