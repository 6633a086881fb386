// Package web is the small kit every desk's handlers share: who is asking, rendering a page or an
// htmx fragment, toasts, and mapping errors to pages. Handlers stay short: parse, call the store, render.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views"
)

// Locals keys set by the server's middleware.
const (
	LocalActor = "actor"
	LocalNav   = "nav"
	LocalCSRF  = "csrf"
)

// Actor returns the logged-in staff member, or nil.
func Actor(c *fiber.Ctx) *actor.Actor {
	a, _ := c.Locals(LocalActor).(*actor.Actor)
	return a
}

// Ctx is the request's context: it carries the actor (for audit and field rules) and the language.
func Ctx(c *fiber.Ctx) context.Context { return c.UserContext() }

// T translates for this request's user.
func T(c *fiber.Ctx, id string, args ...any) string { return i18n.T(c.UserContext(), id, args...) }

// IsHTMX tells whether an htmx request asked for a fragment rather than a whole page.
// A history restore (back button after a cache miss) wants the whole page.
func IsHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-Boosted") != "true" && c.Get("HX-History-Restore-Request") != "true"
}

// Render writes content inside the layout, or alone when htmx asked for a fragment.
func Render(c *fiber.Ctx, status int, title string, content templ.Component) error {
	c.Vary("HX-Request")
	c.Status(status).Type("html", "utf-8")
	if IsHTMX(c) {
		return content.Render(c.UserContext(), c.Response().BodyWriter())
	}
	return views.Layout(PageOf(c, title), content).Render(c.UserContext(), c.Response().BodyWriter())
}

// Fragment writes a component alone (a table body, a form with errors, a progress bar).
func Fragment(c *fiber.Ctx, status int, content templ.Component) error {
	c.Vary("HX-Request")
	c.Status(status).Type("html", "utf-8")
	return content.Render(c.UserContext(), c.Response().BodyWriter())
}

// PageOf fills the layout's data for this request.
func PageOf(c *fiber.Ctx, title string) views.Page {
	p := views.Page{Title: title, Lang: i18n.Lang(c.UserContext()), Path: c.Path()}
	p.CSRF, _ = c.Locals(LocalCSRF).(string)
	p.Nav, _ = c.Locals(LocalNav).([]views.NavItem)
	if a := Actor(c); a != nil {
		p.User = &views.User{ID: a.ID, Name: a.Name, Email: a.Email}
	}
	return p
}

// Toast asks the page to show a message (htmx reads HX-Trigger and app.js shows it).
func Toast(c *fiber.Ctx, level, msgID string, args ...any) {
	b, _ := json.Marshal(map[string]any{"toast": map[string]string{"level": level, "message": T(c, msgID, args...)}})
	c.Set("HX-Trigger", asciiJSON(b))
}

// Trigger adds an event to the answer's HX-Trigger, beside a toast if there is one: the page
// listens for it (hx-trigger="… from:body").
func Trigger(c *fiber.Ctx, event string) {
	m := map[string]any{}
	if h := c.GetRespHeader("HX-Trigger"); h != "" {
		_ = json.Unmarshal([]byte(h), &m)
	}
	m[event] = true
	b, _ := json.Marshal(m)
	c.Set("HX-Trigger", asciiJSON(b))
}

// asciiJSON escapes every non-ASCII character as \uXXXX: browsers read header bytes as Latin-1,
// so a Ukrainian toast sent as raw UTF-8 would arrive as mojibake.
func asciiJSON(b []byte) string {
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&out, "\\u%04x", r)
		}
	}
	return out.String()
}

// Redirect sends the browser elsewhere; for htmx requests through HX-Location so the page is not nested.
// Only paths on this site: a target built from request data cannot send the user away.
func Redirect(c *fiber.Ctx, to string) error {
	to = SafeNext(to)
	if c.Get("HX-Request") == "true" {
		b, _ := json.Marshal(map[string]string{"path": to, "target": "#main"})
		c.Set("HX-Location", string(b))
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// ErrorHandler is Fiber's error handler: it maps any error to a status and a page or fragment the
// user can act on. Internal errors are logged with the request id and shown as "internal error".
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := apperr.CodeOf(err)
		status := apperr.Status(code)
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
			code = codeOfStatus(status)
		}
		msg := apperr.MessageOf(err)
		if fe != nil {
			msg = "error." + string(code)
		}
		if status >= 500 {
			log.Error("request failed", "err", err, "path", c.Path(), "request_id", c.Locals("requestid"))
		}
		// A message's placeholders ({{.Until}}) are filled from the error's Args.
		var args []any
		var ae *apperr.Error
		if fe == nil && errors.As(err, &ae) {
			for k, v := range ae.Args {
				args = append(args, k, v)
			}
		}
		if strings.HasPrefix(c.Path(), "/api/") || strings.Contains(c.Get("Accept"), "application/json") && !strings.Contains(c.Get("Accept"), "text/html") {
			return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": T(c, msg, args...)}})
		}
		// An htmx request gets a toast and no swap, so the page the user is on stays as it was.
		if c.Get("HX-Request") == "true" {
			c.Set("HX-Reswap", "none")
			Toast(c, "error", msg, args...)
			return c.Status(status).SendString("")
		}
		return Render(c, status, T(c, "error.title."+string(code)), views.ErrorPage(status, T(c, "error.title."+string(code)), T(c, msg, args...)))
	}
}

func codeOfStatus(status int) apperr.Code {
	switch status {
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return apperr.NotFound
	case fiber.StatusForbidden:
		return apperr.Forbidden
	case fiber.StatusUnauthorized:
		return apperr.Unauthorized
	case fiber.StatusTooManyRequests:
		return apperr.TooMany
	case fiber.StatusRequestEntityTooLarge:
		return apperr.TooLarge
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		return apperr.Invalid
	}
	if status >= 500 {
		return apperr.Internal
	}
	return apperr.Invalid
}

// QueryID reads an optional id or cursor from the query string: 0 when absent, an error naming
// the parameter when it is not a positive whole number — a filter such as client=-5 or
// account=abc is refused with a message, never silently dropped (which listed everything).
func QueryID(c *fiber.Ctx, name string) (int64, error) {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		e := apperr.InvalidField(name, "error.bad_id")
		e.Args = map[string]any{"Name": name, "Value": v}
		return 0, e
	}
	return n, nil
}

// QueryIDs is QueryID for several parameters, in their order.
func QueryIDs(c *fiber.Ctx, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, name := range names {
		n, err := QueryID(c, name)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// ParamID reads a positive integer route parameter or answers 404.
func ParamID(c *fiber.Ctx, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "error.not_found")
	}
	return n, nil
}

// SafeNext returns next when it is a path on this site, else "/": a log-in link, the language switch
// or any other redirect that takes a target from the request cannot send users elsewhere. Browsers
// read "/\host", "//host", "/\t/host" and their percent-encoded forms as another site, so the
// target must be a plain absolute path, with no backslash, no control character and no scheme or
// host, also after decoding.
func SafeNext(next string) string {
	if !safePath(next) {
		return "/"
	}
	return next
}

func safePath(p string) bool {
	if p == "" || len(p) > 2048 || !utf8.ValidString(p) {
		return false
	}
	for range 3 { // "%255C" is "%5C" once decoded and a backslash twice
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
			return false
		}
		for _, r := range p {
			if r == '\\' || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r != ' ' && unicode.IsSpace(r)) {
				return false
			}
		}
		u, err := url.Parse(p)
		if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
			return false
		}
		d, err := url.PathUnescape(p)
		if err != nil || !utf8.ValidString(d) {
			return false
		}
		if d == p {
			return true
		}
		p = d
	}
	return false
}

// Route is one line of the route table: a handler and the permission it needs. Desk packages
// return theirs from a Routes function; admin/server.go lists them all in one table.
type Route struct {
	Method  string
	Path    string
	Perm    rbac.Perm
	Handler fiber.Handler
	// Before runs ahead of the permission check (the log-in rate limiter).
	Before fiber.Handler
	// FreshCode: a sensitive action that asks for a fresh second-factor code when a group of the
	// member requires two factors (auth.Service.FreshCode).
	FreshCode bool
	// BodyLimit is the largest request body the route takes, when more than DefaultBodyLimit (an
	// upload); TooLarge is the message (a translation key, given {{.MB}}) that refuses a larger one.
	BodyLimit int64
	TooLarge  string
}

// FormKey issues the idempotency key a form carries: the same form submitted twice is one request.
func FormKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
