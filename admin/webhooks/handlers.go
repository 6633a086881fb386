package webhooks

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/webhooksv"
)

// Handlers serve /webhooks (every delivery, its attempts, resend: like the notification outbox)
// and the webhook panel of a business client's account page.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Jobs     enqueue.Inserter
	Policy   Policy
	Now      func() time.Time
}

// Routes are the webhooks' lines of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/webhooks", Perm: rbac.NotificationsRead, Handler: h.List},
		{Method: "GET", Path: "/webhooks/:id<int>", Perm: rbac.NotificationsRead, Handler: h.Show},
		{Method: "POST", Path: "/webhooks/:id<int>/resend", Perm: rbac.NotificationsResend, Handler: h.Resend},
		{Method: "GET", Path: "/accounts/:id<int>/webhooks", Perm: rbac.APIKeysRead, Handler: h.Panel},
		{Method: "POST", Path: "/accounts/:id<int>/webhooks", Perm: rbac.APIKeysManage, Handler: h.Register},
		{Method: "POST", Path: "/accounts/:id<int>/webhooks/:ep<int>/rotate", Perm: rbac.APIKeysManage, Handler: h.Rotate},
		{Method: "POST", Path: "/accounts/:id<int>/webhooks/:ep<int>/delete", Perm: rbac.APIKeysManage, Handler: h.Delete},
	}
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// bodyPersonal names the personal data a delivery's body may carry, with the rule that governs it.
var bodyPersonal = map[string]string{"card_last4": "account.card_last4", "card_holder": "account.card_holder",
	"name": "account.name", "phone": "account.phone", "email": "account.email"}

// as shows a delivery as the viewer may see it: the account's name and the body's personal data
// follow the viewer's field rules (the receiver is sent the body whole, by the job).
func as(v rbac.View, d Delivery) Delivery {
	d.AccountName = v.Apply("account", "name", d.AccountName)
	d.Body = string(v.ApplyJSON([]byte(d.Body), bodyPersonal))
	return d
}

func toRow(d Delivery) webhooksv.Row {
	r := webhooksv.Row{ID: d.ID, MsgID: d.MsgID, AccountID: d.AccountID, AccountName: d.AccountName, EndpointURL: d.EndpointURL,
		EventType: d.EventType, Cause: d.Cause, Status: d.Status, Attempts: d.Attempts, MaxAttempts: d.MaxAttempts,
		NextAt: d.NextAttemptAt, LastError: d.LastError, CreatedAt: d.CreatedAt, SentAt: d.SentAt}
	if d.LastCode != nil {
		r.LastCode = strconv.Itoa(*d.LastCode)
	}
	return r
}

// List is /webhooks with status, event and account filters.
func (h *Handlers) List(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	ids, err := web.QueryIDs(c, "account", "before")
	if err != nil {
		return err
	}
	f := Filter{Status: c.Query("status"), Event: c.Query("event"), AccountID: ids[0], Before: ids[1]}
	list, next, err := List(ctx, h.Pool, f)
	if err != nil {
		return err
	}
	d := webhooksv.ListData{Status: f.Status, Event: f.Event, Events: Events, Counts: map[string]int64{}}
	if f.AccountID != 0 {
		d.Account = strconv.FormatInt(f.AccountID, 10)
	}
	for _, r := range list {
		d.Rows = append(d.Rows, toRow(as(web.Actor(c).View, r)))
	}
	if next != 0 {
		q := url.Values{"status": {f.Status}, "event": {f.Event}, "account": {d.Account}, "before": {strconv.FormatInt(next, 10)}}
		d.NextURL = "/webhooks?" + q.Encode()
	}
	counts, err := StatusCounts(ctx, h.Pool)
	if err != nil {
		return err
	}
	for k, n := range counts {
		d.Counts[k] = n
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.webhooks"), webhooksv.List(d))
}

// Show is one delivery: its body and every attempt with the receiver's answer.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	dl, err := GetDelivery(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	dl = as(web.Actor(c).View, dl)
	d := webhooksv.DetailData{Row: toRow(dl), Body: dl.Body, CanResend: h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.NotificationsResend)}
	attempts, err := Attempts(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		v := webhooksv.Attempt{At: a.At, OK: a.OK, Error: a.Error, Response: a.Response, Ms: a.Ms}
		if a.Code != nil {
			v.Code = strconv.Itoa(*a.Code)
		}
		d.Attempts = append(d.Attempts, v)
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "webhooks.delivery")+" #"+strconv.FormatInt(id, 10), webhooksv.Detail(d))
}

// Resend sends a finished delivery again.
func (h *Handlers) Resend(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return ResendTx(ctx, tx, h.Jobs, id) }); err != nil {
		return err
	}
	web.Toast(c, "success", "webhooks.resent")
	return web.Redirect(c, "/webhooks/"+strconv.FormatInt(id, 10))
}

// panel renders the account's panel, with a secret to show once or an error.
func (h *Handlers) panel(c *fiber.Ctx, account int64, status int, secret string, secretFor int64, problem error) error {
	ctx := web.Ctx(c)
	list, err := ForAccount(ctx, h.Pool, account)
	if err != nil {
		return err
	}
	d := webhooksv.PanelData{AccountID: account, Events: Events, Secret: secret, SecretFor: secretFor,
		CanManage: h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.APIKeysManage)}
	for _, e := range list {
		d.Endpoints = append(d.Endpoints, webhooksv.Endpoint{ID: e.ID, URL: e.URL, Events: e.Events, Description: e.Description,
			CreatedAt: e.CreatedAt, PreviousUntil: e.PreviousUntil})
	}
	if problem != nil {
		d.Error = web.T(c, apperr.MessageOf(problem))
	}
	if secret != "" {
		c.Set("Cache-Control", "no-store")
	}
	return web.Fragment(c, status, webhooksv.Panel(d))
}

// Panel is the account page's webhook panel (the page loads it).
func (h *Handlers) Panel(c *fiber.Ctx) error {
	account, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.panel(c, account, fiber.StatusOK, "", 0, nil)
}

// Register adds an endpoint on staff's word (the client asked by phone or mail) and shows its
// secret once.
func (h *Handlers) Register(c *fiber.Ctx) error {
	account, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	in := Input{URL: c.FormValue("url"), Description: c.FormValue("description")}
	for _, v := range c.Request().PostArgs().PeekMulti("event") {
		in.Events = append(in.Events, string(v))
	}
	var e Endpoint
	var secret string
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) {
		e, secret, err = Register(ctx, tx, h.Policy, account, in, By{})
		return err
	})
	if code := apperr.CodeOf(err); code == apperr.Invalid || code == apperr.Conflict {
		return h.panel(c, account, apperr.Status(code), "", 0, err)
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "webhooks.registered")
	return h.panel(c, account, fiber.StatusOK, secret, e.ID, nil)
}

// Rotate gives an endpoint a new secret and shows it once.
func (h *Handlers) Rotate(c *fiber.Ctx) error {
	account, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ep, err := web.ParamID(c, "ep")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	var secret string
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) {
		_, secret, err = Rotate(ctx, tx, account, ep, h.now())
		return err
	})
	if err != nil {
		return err
	}
	web.Toast(c, "success", "webhooks.rotated")
	return h.panel(c, account, fiber.StatusOK, secret, ep, nil)
}

// Delete removes an endpoint.
func (h *Handlers) Delete(c *fiber.Ctx) error {
	account, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ep, err := web.ParamID(c, "ep")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return Delete(ctx, tx, account, ep, h.now()) }); err != nil {
		return err
	}
	web.Toast(c, "success", "webhooks.deleted")
	return h.panel(c, account, fiber.StatusOK, "", 0, nil)
}
