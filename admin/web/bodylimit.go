package web

import (
	"errors"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
)

// DefaultBodyLimit is the largest request body a route takes unless its Route says more.
const DefaultBodyLimit = 32 << 20

// BodyLimits enforces each route's request body limit before anything reads the body.
//
// The server runs Fiber with StreamRequestBody and DisablePreParseMultipartForm: fasthttp then
// calls the handlers once the headers (and at most 8 KB of the body) are in, and the body is read
// only when something asks for it — a multipart form straight into temporary files, never whole
// into memory. In that mode fasthttp does not refuse a body over its MaxRequestBodySize (it hands
// it over as a stream), so this middleware is the limit: it runs ahead of the CSRF check and the
// input cleaning (which read forms), looks up the route's own limit, and refuses a larger
// Content-Length with 413 and the route's message before a byte of the body is read. A chunked
// body (no Content-Length) is read up to the limit (past the first MB into a temporary file) and
// refused past it.
type BodyLimits struct {
	def   int64
	rules []limitRule
}

type limitRule struct {
	method  string
	path    *regexp.Regexp
	limit   int64
	message string
}

// NewBodyLimits collects the limits of the routes that set one; every other request gets def.
func NewBodyLimits(routes []Route, def int64) *BodyLimits {
	b := &BodyLimits{def: def}
	for _, r := range routes {
		if r.BodyLimit <= 0 {
			continue
		}
		b.rules = append(b.rules, limitRule{method: r.Method, path: pathPattern(r.Path), limit: r.BodyLimit, message: r.TooLarge})
	}
	return b
}

// Max is the largest limit of any route: what the server itself must admit.
func (b *BodyLimits) Max() int64 {
	m := b.def
	for _, r := range b.rules {
		m = max(m, r.limit)
	}
	return m
}

// Limit is the limit of a request and the message that refuses a larger one.
func (b *BodyLimits) Limit(method, path string) (int64, string) {
	for _, r := range b.rules {
		if (r.method == "ALL" || strings.EqualFold(r.method, method)) && r.path.MatchString(path) {
			return r.limit, r.message
		}
	}
	return b.def, ""
}

// Middleware refuses a body over the request's limit.
func (b *BodyLimits) Middleware(c *fiber.Ctx) error {
	limit, message := b.Limit(c.Method(), c.Path())
	n := c.Request().Header.ContentLength()
	switch {
	case n > int(limit):
		return tooLarge(c, limit, message)
	case n == -1: // chunked: no length said in advance
		if s := c.Context().RequestBodyStream(); s != nil {
			return b.spool(c, s, limit, message)
		}
	}
	return c.Next()
}

// spool reads a chunked body up to the limit: the first MB into memory, the rest into a temporary
// file that the body then streams from, removed when the request is done.
func (b *BodyLimits) spool(c *fiber.Ctx, s io.Reader, limit int64, message string) error {
	head := make([]byte, 0, 64<<10)
	head, err := readUpTo(head, s, 1<<20+1)
	if err != nil {
		return err
	}
	if len(head) <= 1<<20 {
		c.Request().SetBody(head)
		return c.Next()
	}
	f, err := os.CreateTemp("", "postdesk-body-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := f.Write(head)
	if err == nil {
		var m int64
		m, err = io.Copy(f, io.LimitReader(s, limit+1-int64(n)))
		n += int(m)
	}
	if err != nil {
		return err
	}
	if int64(n) > limit {
		return tooLarge(c, limit, message)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	c.Request().SetBodyStream(f, n)
	return c.Next()
}

// readUpTo appends from r until max bytes or the end.
func readUpTo(dst []byte, r io.Reader, max int) ([]byte, error) {
	for len(dst) < max {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), max)])
		dst = dst[:len(dst)+n]
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// tooLarge answers 413 with a message that says the limit. The rest of the body is not read: the
// connection closes after the answer.
func tooLarge(c *fiber.Ctx, limit int64, message string) error {
	c.Context().SetConnectionClose()
	if message == "" {
		message = "error.too_large"
	}
	return &apperr.Error{Code: apperr.TooLarge, Message: message, Field: "file", Args: map[string]any{"MB": limit >> 20}}
}

// pathPattern turns a route path (/x/:id<int>/y, /x/*) into a regular expression that matches
// what Fiber's router does: parameters one segment, * the rest, case-insensitive, an optional
// trailing slash.
func pathPattern(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?i)^`)
	for i, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if i > 0 || seg != "" {
			b.WriteString("/")
		}
		switch {
		case seg == "*":
			b.WriteString(`.*`)
		case strings.HasPrefix(seg, ":") && strings.HasSuffix(seg, "<int>"):
			b.WriteString(`[0-9]+`)
		case strings.HasPrefix(seg, ":"):
			b.WriteString(`[^/]+`)
		default:
			b.WriteString(regexp.QuoteMeta(seg))
		}
	}
	b.WriteString(`/?$`)
	return regexp.MustCompile(b.String())
}
