package web

import (
	"bytes"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
)

// CleanInput refuses, with 400 and a message, a request whose query or form carries text that is
// not UTF-8 or holds a NUL byte. Such text can never be a name, a reason or a search, and
// PostgreSQL refuses it anyway ("invalid byte sequence for encoding UTF8"), which every handler
// passing it on turned into a 500 (or, for a streamed export, an empty 200). Checking once here
// covers every route, including the ones added later.
func CleanInput(c *fiber.Ctx) error {
	bad := false
	check := func(k, v []byte) {
		if !bad && (!cleanText(k) || !cleanText(v)) {
			bad = true
		}
	}
	c.Context().QueryArgs().VisitAll(check)
	if !bad && bytes.HasPrefix(c.Request().Header.ContentType(), []byte(fiber.MIMEApplicationForm)) {
		c.Context().PostArgs().VisitAll(check)
	}
	if !bad && bytes.HasPrefix(c.Request().Header.ContentType(), []byte(fiber.MIMEMultipartForm)) {
		if form, err := c.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				for _, v := range vs {
					check([]byte(k), []byte(v))
				}
			}
		}
	}
	if bad {
		return apperr.New(apperr.Invalid, "error.bad_text")
	}
	return c.Next()
}

func cleanText(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }
