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
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/webhooks"
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
	// Orders enters and cancels orders through the order lifecycle (the same entry points as the
	// orders desk); nil: those operations answer 501.
	Orders Lifecycle
	// Files and Jobs make documents in the background (the desks' River jobs and file store);
	// nil: larger batches answer 501.
	Files *files.Store
	Jobs  enqueue.Inserter
	// Webhooks says which receiver URLs are allowed (https; the loopback over http in tests).
	Webhooks webhooks.Policy
	Loc      *time.Location
	Currency string
	Now      func() time.Time
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handlers) zone() *time.Location {
	if h.Loc == nil {
		return time.UTC
	}
	return h.Loc
}

func (h *Handlers) currency() string {
	if h.Currency == "" {
		return "UAH"
	}
	return h.Currency
}

// Route is one API route with the scope its key needs ("" for none).
type Route struct {
	Method, Path, Scope string
	Handler             fiber.Handler
}

// Routes lists the API (the contract test checks the description against it).
func (h *Handlers) Routes() []Route {
	return []Route{
		{"GET", "/api/v1/openapi.json", "", h.openAPI},
		{"POST", "/api/v1/orders", apikeys.OrdersWrite, h.CreateOrder},
		{"GET", "/api/v1/orders", apikeys.OrdersRead, h.ListOrders},
		{"GET", "/api/v1/orders/:number", apikeys.OrdersRead, h.Order},
		{"POST", "/api/v1/orders/:number/cancel", apikeys.OrdersWrite, h.CancelOrder},
		{"GET", "/api/v1/orders/:number/waybill", apikeys.OrdersRead, h.Label},
		{"POST", "/api/v1/waybills", apikeys.OrdersRead, h.Waybills},
		{"POST", "/api/v1/handover-acts", apikeys.OrdersRead, h.HandoverAct},
		{"GET", "/api/v1/jobs/:id", "", h.Job},
		{"GET", "/api/v1/jobs/:id/file", "", h.JobFile},
		{"GET", "/api/v1/statement", apikeys.FinanceRead, h.Statement},
		{"POST", "/api/v1/statement/act", apikeys.FinanceRead, h.StatementAct},
		{"POST", "/api/v1/complaints", apikeys.ComplaintsWrite, h.Complaint},
		{"GET", "/api/v1/complaints", apikeys.ComplaintsRead, h.ListComplaints},
		{"GET", "/api/v1/complaints/:number", apikeys.ComplaintsRead, h.GetComplaint},
		{"GET", "/api/v1/webhooks", apikeys.WebhooksManage, h.ListWebhooks},
		{"POST", "/api/v1/webhooks", apikeys.WebhooksManage, h.CreateWebhook},
		{"GET", "/api/v1/webhooks/:id", apikeys.WebhooksManage, h.GetWebhook},
		{"DELETE", "/api/v1/webhooks/:id", apikeys.WebhooksManage, h.DeleteWebhook},
		{"POST", "/api/v1/webhooks/:id/rotate", apikeys.WebhooksManage, h.RotateWebhook},
		{"GET", "/api/v1/webhooks/:id/deliveries", apikeys.WebhooksManage, h.WebhookDeliveries},
	}
}

// anyKey marks routes any valid key may call (a job's status and file: the job belongs to the
// client, whatever key asked for it).
const anyKey = "*"

// Mount registers the API on app. Call it before the session middleware.
func Mount(app *fiber.App, h *Handlers) {
	for _, r := range h.Routes() {
		handlers := []fiber.Handler{}
		if r.Path != "/api/v1/openapi.json" {
			scope := r.Scope
			if scope == "" {
				scope = anyKey
			}
			handlers = append(handlers, h.auth(scope))
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
			return failBlock(c, err)
		}
		if scope != anyKey && !p.Has(scope) {
			return fail(c, apperr.New(apperr.Forbidden, "api.scope_missing"))
		}
		c.Locals(localKey, p)
		ctx := actor.With(c.UserContext(), &actor.Actor{Loc: h.Loc, Email: "apikey:" + p.Prefix, IP: c.IP(), View: rbac.FullView(),
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
	if c.Get(fiber.HeaderAccept) != "" && c.Accepts(fiber.MIMEApplicationJSON) == "" {
		c.SetUserContext(i18n.WithLang(c.UserContext(), "en"))
		return c.Status(fiber.StatusNotAcceptable).JSON(errBody(c, "not_acceptable", "api.json_only"))
	}
	c.Set("Content-Type", "application/json")
	c.Set("Cache-Control", "public, max-age=300")
	return c.Send(OpenAPI)
}

// failOr answers a user error as JSON and passes an internal one to the error handler.
func failOr(c *fiber.Ctx, err error) error {
	if apperr.CodeOf(err) == apperr.Internal {
		return err
	}
	return fail(c, err)
}

// failBlock answers a block of the client (the whole account, or the function asked for) with 403.
func failBlock(c *fiber.Ctx, err error) error {
	if accounts.IsBlocked(err) || apperr.MessageOf(err) == "accounts.deleted_refused" {
		var e *apperr.Error
		if errors.As(err, &e) {
			e.Code = apperr.Forbidden
		}
	}
	return failOr(c, err)
}

// IdempotencyTTL is how long an Idempotency-Key is remembered: a retry after that creates anew.
const IdempotencyTTL = 30 * 24 * time.Hour

// PurgeIdempotency forgets Idempotency-Keys older than IdempotencyTTL (a daily job).
func PurgeIdempotency(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, now time.Time) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM api_idempotency WHERE created_at < $1`, now.Add(-IdempotencyTTL))
	return tag.RowsAffected(), err
}
