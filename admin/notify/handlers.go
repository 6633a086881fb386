package notify

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/notifyv"
)

// Handlers serve /notifications: the outbox, one notice with its attempts, resend, and what the
// built-in catcher received.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Loc      *time.Location // the platform's zone
}

// Routes are the outbox's lines of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/notifications", Perm: rbac.NotificationsRead, Handler: h.List},
		{Method: "GET", Path: "/notifications/caught", Perm: rbac.NotificationsRead, Handler: h.CaughtList},
		{Method: "GET", Path: "/notifications/caught/:id<int>", Perm: rbac.NotificationsRead, Handler: h.CaughtOne},
		{Method: "GET", Path: "/notifications/caught/:id<int>/files/:n<int>", Perm: rbac.NotificationsRead, Handler: h.CaughtFile},
		{Method: "GET", Path: "/notifications/:id<int>", Perm: rbac.NotificationsRead, Handler: h.Show},
		{Method: "POST", Path: "/notifications/:id<int>/resend", Perm: rbac.NotificationsResend, Handler: h.Resend},
	}
}

// causeRules are the further field rules that govern the addresses of notices a desk's records
// cause (by the cause's prefix): a complaint's notice may go to a contact the complainant gave.
// Notices caused by a prefix ("complaint" for "complaint:…") may go to addresses these rules keys
// ("record.field") also govern; the strictest rule wins.
var causeRules = map[string][]string{
	"complaint": {"complaint.complainant_contacts"},
}

func addressKeys(channel Channel, cause string, all bool) []string {
	keys := []string{"account.email"}
	if channel == SMS {
		keys = []string{"account.phone"}
	}
	for prefix, more := range causeRules {
		if all || strings.HasPrefix(cause, prefix+":") {
			keys = append(keys, more...)
		}
	}
	return keys
}

// MaskAddress shows an address whose cause is not known (a caught mail) as the viewer may see the
// account's e-mail or phone and every other rule that may govern a notice's address.
func MaskAddress(v rbac.View, channel Channel, address string) string {
	return v.Strictest(address, addressKeys(channel, "", true)...)
}

// AddressAs shows the notice's address as the viewer may see it: the account's e-mail or phone, and
// the rules of the record that caused it (field rules follow personal data into the outbox).
func (r Row) AddressAs(v rbac.View) string {
	return v.Strictest(r.Address, addressKeys(r.Channel, r.Cause, false)...)
}

// dataFields names the notice data that is an account's personal data, with the field that
// governs it, so a notice shown to staff says only what the viewer may see.
var dataFields = map[string]string{"name": "name", "phone": "phone", "email": "email", "card": "card_last4", "holder": "card_holder"}

// MaskData returns a notice's data as the viewer may see it.
func MaskData(v rbac.View, data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, val := range data {
		if f, ok := dataFields[k]; ok {
			if s, ok := val.(string); ok {
				val = v.Apply("account", f, s)
			}
		}
		out[k] = val
	}
	return out
}

func toRow(c *fiber.Ctx, r Row) notifyv.Row {
	v := notifyv.Row{ID: r.ID, Channel: string(r.Channel), Address: r.AddressAs(web.Actor(c).View), Template: r.Template,
		Kind: string(r.Kind), Lang: r.Lang, Status: r.Status, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts, NextAt: r.NextAttemptAt,
		ProviderID: r.ProviderID, LastError: r.LastError, Cause: r.Cause, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
	if r.AccountID != nil {
		v.AccountID = *r.AccountID
	}
	if r.ResendOf != nil {
		v.ResendOf = *r.ResendOf
	}
	for _, a := range r.Attachments {
		v.Attachments = append(v.Attachments, a.Name)
	}
	return v
}

// List is /notifications with status, channel, template and account filters.
func (h *Handlers) List(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	ids, err := web.QueryIDs(c, "account", "before")
	if err != nil {
		return err
	}
	f := Filter{Status: c.Query("status"), Channel: c.Query("channel"), Template: c.Query("template"),
		AccountID: ids[0], Before: ids[1]}
	list, next, err := List(ctx, h.Pool, f)
	if err != nil {
		return err
	}
	d := notifyv.ListData{Status: f.Status, Channel: f.Channel, Template: f.Template, Templates: TemplateKeys(), Counts: map[string]int64{}}
	slices.Sort(d.Templates)
	if f.AccountID != 0 {
		d.Account = strconv.FormatInt(f.AccountID, 10)
	}
	for _, r := range list {
		d.Rows = append(d.Rows, toRow(c, r))
	}
	if next != 0 {
		q := url.Values{"status": {f.Status}, "channel": {f.Channel}, "template": {f.Template}, "account": {d.Account}, "before": {strconv.FormatInt(next, 10)}}
		d.NextURL = "/notifications?" + q.Encode()
	}
	counts, err := StatusCounts(ctx, h.Pool)
	if err != nil {
		return err
	}
	for k, n := range counts {
		d.Counts[k] = n
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.notifications"), notifyv.List(d))
}

// Show is one notice: what it says (rendered now from its template), and every attempt.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	r, err := Get(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	d := notifyv.DetailData{Row: toRow(c, r), CanResend: h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.NotificationsResend)}
	if m, err := Render(r.Template, r.Lang, h.Loc, MaskData(web.Actor(c).View, r.Data)); err != nil {
		d.RenderErr = err.Error()
	} else {
		d.Subject, d.Text, d.SMS = m.Subject, m.Text, m.SMS
	}
	attempts, err := Attempts(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		d.Attempts = append(d.Attempts, notifyv.Attempt{At: a.At, OK: a.OK, Temporary: a.Temporary, ProviderID: a.ProviderID, Error: a.Error, Ms: a.Ms})
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "notify.notice")+" #"+strconv.FormatInt(id, 10), notifyv.Detail(d))
}

// Resend writes the notice again as a new row and sends it.
func (h *Handlers) Resend(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	var newID ID
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) {
		if newID, err = ResendTx(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "notify.resend", "notification", id, nil, map[string]any{"new_id": newID})
	})
	if err != nil {
		return err
	}
	web.Toast(c, "success", "notify.resent")
	return web.Redirect(c, "/notifications/"+strconv.FormatInt(newID, 10))
}

func (h *Handlers) caught(c *fiber.Ctx, where string, args ...any) ([]notifyv.Caught, error) {
	list, err := caughtMessages(web.Ctx(c), h.Pool, where, args...)
	if err != nil {
		return nil, err
	}
	v := web.Actor(c).View
	data, err := caughtData(web.Ctx(c), h.Pool, list)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(list))
	for i := range list {
		ids[i] = list[i].ID
	}
	attached, err := caughtFiles(web.Ctx(c), h.Pool, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Files = attached[list[i].ID]
		for j, r := range list[i].Recipients {
			list[i].Recipients[j] = MaskAddress(v, Channel(list[i].Channel), r)
		}
		// The mail as it was sent carries the notice's data: each personal value in it is shown as
		// the viewer may see it.
		for k, val := range data[list[i].ID] {
			if f, ok := dataFields[k]; ok {
				if s, ok := val.(string); ok {
					list[i].Subject = v.Redact(list[i].Subject, "account", f, s)
					list[i].Body = v.Redact(list[i].Body, "account", f, s)
				}
			}
		}
	}
	return list, nil
}

// CaughtList is /notifications/caught: what the built-in mail catcher and SMS sink received.
func (h *Handlers) CaughtList(c *fiber.Ctx) error {
	list, err := h.caught(c, `ORDER BY id DESC LIMIT 200`)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "notify.caught"), notifyv.CaughtList(list))
}

// CaughtOne shows one caught message.
func (h *Handlers) CaughtOne(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	list, err := h.caught(c, `WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "notify.caught"), notifyv.CaughtOne(list[0]))
}
