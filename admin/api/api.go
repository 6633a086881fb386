// Package api is the platform API business clients call with their API keys (JSON only):
// tracking their orders and filing complaints. Keys come from admin/apikeys; a key acts as its
// client (field rules do not apply to a client's own data) and sees only that client's orders.
// The routes are mounted ahead of the staff session and CSRF middleware: a key in a header is the
// only credential, so there is no cookie to forge.
package api

import (
	"context"
	_ "embed"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/rbac"
)

// OpenAPI is the API's description, served at /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Registrar files complaints (complaints.Store in the portal).
type Registrar interface {
	Register(ctx context.Context, in complaints.Intake, evidence []complaints.Upload, draftID int64) (complaints.Registered, error)
}

// Handlers serve /api/v1.
type Handlers struct {
	Pool       *pgxpool.Pool
	Complaints Registrar // nil: POST /api/v1/complaints answers 501
}

// Route is one API route with the scope its key needs ("" for none).
type Route struct {
	Method, Path, Scope string
	Handler             fiber.Handler
}

// Routes lists the API (the OpenAPI test checks the description against it).
func (h *Handlers) Routes() []Route {
	return []Route{
		{"GET", "/api/v1/openapi.json", "", h.openAPI},
		{"GET", "/api/v1/orders/:number", apikeys.OrdersRead, h.Order},
		{"POST", "/api/v1/complaints", apikeys.ComplaintsWrite, h.Complaint},
	}
}

// Mount registers the API on app. Call it before the session middleware.
func Mount(app *fiber.App, h *Handlers) {
	for _, r := range h.Routes() {
		handlers := []fiber.Handler{}
		if r.Scope != "" {
			handlers = append(handlers, h.auth(r.Scope))
		}
		app.Add(r.Method, r.Path, append(handlers, r.Handler)...)
	}
	app.All("/api/v1/*", func(c *fiber.Ctx) error { return fail(c, apperr.New(apperr.NotFound, "error.not_found")) })
}

const localKey = "api_principal"

func principal(c *fiber.Ctx) apikeys.Principal {
	p, _ := c.Locals(localKey).(apikeys.Principal)
	return p
}

// auth refuses an address that has failed to authenticate too often, finds the key, counts the
// request against its limit, refuses a client whose API access is
// blocked, and checks the scope. The request then acts as the client.
func (h *Handlers) auth(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		lang := i18n.Normalize(c.Get("Accept-Language", "en"))
		if c.Get("Accept-Language") == "" {
			lang = "en"
		}
		c.SetUserContext(i18n.WithLang(c.UserContext(), lang))
		key := strings.TrimSpace(strings.TrimPrefix(c.Get("Authorization"), "Bearer "))
		if key == "" {
			key = c.Get("X-API-Key")
		}
		until, refused, err := refusedAddress(c.UserContext(), h.Pool, c.IP())
		if err != nil {
			return fail(c, err)
		}
		if refused {
			c.Set("Retry-After", strconv.Itoa(max(1, int(time.Until(until).Seconds()+0.999))))
			return fail(c, errAddressRefused())
		}
		p, err := apikeys.Authenticate(c.UserContext(), h.Pool, key)
		if p.KeyID != 0 {
			c.Set("X-RateLimit-Limit", strconv.Itoa(p.Limit))
			c.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, p.Limit-p.Used)))
			c.Set("X-RateLimit-Reset", strconv.FormatInt(p.Reset.Unix(), 10))
		}
		if err != nil {
			if apperr.CodeOf(err) == apperr.TooMany {
				c.Set("Retry-After", strconv.Itoa(max(1, int(time.Until(p.Reset).Seconds()+0.999))))
			} else {
				c.Set("WWW-Authenticate", `Bearer realm="postdesk"`)
				if apperr.CodeOf(err) == apperr.Unauthorized {
					if err := countAuthFailure(c.UserContext(), h.Pool, c.IP()); err != nil {
						return fail(c, err)
					}
				}
			}
			return fail(c, err)
		}
		if err := accounts.CheckFunction(c.UserContext(), h.Pool, p.AccountID, accounts.FnAPI); err != nil {
			if accounts.IsBlocked(err) {
				var e *apperr.Error
				errors.As(err, &e)
				e.Code = apperr.Forbidden
			}
			return fail(c, err)
		}
		if !p.Has(scope) {
			return fail(c, apperr.New(apperr.Forbidden, "api.scope_missing"))
		}
		c.Locals(localKey, p)
		ctx := actor.With(c.UserContext(), &actor.Actor{Email: "apikey:" + p.Prefix, IP: c.IP(), View: rbac.FullView(),
			RequestID: c.GetRespHeader(fiber.HeaderXRequestID)})
		c.SetUserContext(i18n.WithLang(ctx, lang))
		return c.Next()
	}
}

// ErrorBody is every error's JSON: a stable code, a message in the caller's language, and the
// fields that were wrong.
type ErrorBody struct {
	Error struct {
		Code    apperr.Code       `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

func fail(c *fiber.Ctx, err error) error {
	var b ErrorBody
	code := apperr.CodeOf(err)
	b.Error.Code = code
	var e *apperr.Error
	if errors.As(err, &e) && code != apperr.Internal {
		var args []any
		for k, v := range e.Args {
			args = append(args, k, v)
		}
		b.Error.Message = i18n.T(c.UserContext(), e.Message, args...)
		if e.Field != "" {
			b.Error.Fields = map[string]string{e.Field: b.Error.Message}
		}
	} else {
		b.Error.Message = i18n.T(c.UserContext(), "error.internal")
		if code == apperr.Internal {
			return err // logged by the error handler, answered as JSON under /api/
		}
	}
	return c.Status(apperr.Status(code)).JSON(b)
}

func (h *Handlers) openAPI(c *fiber.Ctx) error {
	c.Set("Content-Type", "application/json")
	c.Set("Cache-Control", "public, max-age=300")
	return c.Send(OpenAPI)
}
