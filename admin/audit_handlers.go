package admin

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/auditv"
)

type auditHandlers struct {
	pool *pgxpool.Pool
	tz   *time.Location
}

// list is /admin/audit: filter by actor, action, record and period; newest first, keyset pages.
func (h *auditHandlers) list(c *fiber.Ctx) error {
	f := audit.Filter{Actor: c.Query("actor"), Action: c.Query("action"), RecordType: c.Query("record_type"),
		RecordID: c.Query("record_id"), Before: web.QueryInt64(c, "before")}
	if t, err := time.ParseInLocation("2006-01-02", c.Query("from"), h.tz); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", c.Query("to"), h.tz); err == nil {
		f.To = t.AddDate(0, 0, 1)
	}
	entries, err := audit.List(web.Ctx(c), h.pool, f)
	if err != nil {
		return err
	}
	d := auditv.Data{Actor: f.Actor, Action: f.Action, RecordType: f.RecordType, RecordID: f.RecordID, From: c.Query("from"), To: c.Query("to")}
	for _, e := range entries {
		d.Rows = append(d.Rows, auditv.Row{ID: e.ID, At: e.At, Actor: e.ActorEmail, Action: e.Action, Record: e.RecordType + " " + e.RecordID,
			Before: string(e.Before), After: string(e.After), IP: e.IP, RequestID: e.RequestID})
	}
	if len(entries) == 50 {
		q := url.Values{"actor": {f.Actor}, "action": {f.Action}, "record_type": {f.RecordType}, "record_id": {f.RecordID},
			"from": {d.From}, "to": {d.To}, "before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		d.NextURL = "/admin/audit?" + q.Encode()
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.audit"), auditv.List(d))
}
