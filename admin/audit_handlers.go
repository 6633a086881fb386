package admin

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/auditv"
)

type auditHandlers struct {
	pool *pgxpool.Pool
	tz   *time.Location
}

// list is /admin/audit: filter by actor, action, record and period; newest first, keyset pages.
func (h *auditHandlers) list(c *fiber.Ctx) error {
	before, err := web.QueryID(c, "before")
	if err != nil {
		return err
	}
	f := audit.Filter{Actor: c.Query("actor"), Action: c.Query("action"), RecordType: c.Query("record_type"),
		RecordID: c.Query("record_id"), Before: before}
	// A date that does not read is refused with its name, never dropped (which listed everything).
	day := func(name string) (time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, h.tz)
		if err != nil {
			e := apperr.InvalidField(name, "error.bad_day")
			e.Args = map[string]any{"Name": name, "Value": v}
			return t, e
		}
		return t, nil
	}
	if f.From, err = day("from"); err != nil {
		return err
	}
	to, err := day("to")
	if err != nil {
		return err
	}
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	entries, err := audit.List(web.Ctx(c), h.pool, f)
	if err != nil {
		return err
	}
	view := web.Actor(c).View
	d := auditv.Data{Actor: f.Actor, Action: f.Action, RecordType: f.RecordType, RecordID: f.RecordID, From: c.Query("from"), To: c.Query("to")}
	for _, e := range entries {
		keys := auditPersonal(e.RecordType)
		d.Rows = append(d.Rows, auditv.Row{ID: e.ID, At: e.At, Actor: e.ActorEmail, Action: e.Action, Record: e.RecordType + " " + e.RecordID,
			Before: string(view.ApplyJSON(e.Before, keys)), After: string(view.ApplyJSON(e.After, keys)), IP: e.IP, RequestID: e.RequestID})
	}
	if len(entries) == 50 {
		q := url.Values{"actor": {f.Actor}, "action": {f.Action}, "record_type": {f.RecordType}, "record_id": {f.RecordID},
			"from": {d.From}, "to": {d.To}, "before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		d.NextURL = "/admin/audit?" + q.Encode()
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.audit"), auditv.List(d))
}

// auditPersonal names the keys of an audit entry's before and after that are personal data of
// the platform's users, with the field rule that governs each, so the log shows what the viewer
// may see. Staff records (e-mails of log-ins) are not governed.
func auditPersonal(recordType string) map[string]string {
	keys := map[string]string{
		"phone": "account.phone", "email": "account.email", "birth_date": "account.birth_date", "passport": "account.passport",
		"card_last4": "account.card_last4", "card_holder": "account.card_holder", "account_holder": "account.name",
		"sender_name": "order.sender_name", "sender_phone": "order.sender_phone", "sender_address": "order.sender_address",
		"recipient_name": "order.recipient_name", "recipient_phone": "order.recipient_phone", "recipient_address": "order.recipient_address",
		"complainant_birth_date": "complaint.complainant_birth_date", "complainant_phones": "complaint.complainant_contacts",
		"complainant_emails": "complaint.complainant_contacts", "complainant_login": rbac.LoginKey, "respondent_login": rbac.LoginKey,
	}
	switch recordType {
	case "staff", "group", "setting", "news":
		return nil
	case "account", "payout":
		keys["name"] = "account.name"
	case "order":
		keys["comment"] = "order.comment"
	case "complaint":
		keys["from"] = rbac.LoginKey // the sender of a mailed complaint
	}
	return keys
}
