package complaints

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views"
	"github.com/postdesk/postdesk/views/complaintsv"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// QueuePage shows one work list (?q=mine|unassigned|today|soon|overdue|waiting).
func (h *Handlers) QueuePage(c *fiber.Ctx) error {
	s := h.store()
	counts, err := s.QueueCounts(web.Ctx(c), h.Pool, web.Actor(c).ID)
	if err != nil {
		return err
	}
	q := Queue(c.Query("q"))
	if q == "" {
		q = defaultQueue(counts, h.can(c, rbac.ComplaintsAssign))
	}
	afterID, err := web.QueryID(c, "after_id")
	if err != nil {
		return err
	}
	after := Cursor{ID: afterID}
	if after.ID != 0 {
		after.Due, _ = time.Parse(time.RFC3339Nano, c.Query("after_due"))
	}
	rows, next, err := s.QueuePage(web.Ctx(c), h.Pool, q, web.Actor(c).ID, after, 50)
	if err != nil {
		return err
	}
	th, err := LoadThresholds(web.Ctx(c), h.Pool)
	if err != nil {
		return err
	}
	now := s.now()
	p := complaintsv.QueuePage{CanWrite: h.can(c, rbac.ComplaintsWrite), CanBoard: h.can(c, rbac.ComplaintsBoard)}
	for _, k := range Queues {
		n := strconv.Itoa(counts[k])
		if counts[k] >= countCap {
			n = strconv.Itoa(countCap-1) + "+"
		}
		p.Tabs = append(p.Tabs, complaintsv.Tab{Key: "complaints.q." + string(k), Href: "/complaints?q=" + string(k), Active: k == q, Count: n})
	}
	for _, r := range rows {
		b := BadgeFor(r.DecisionDue, now, h.Loc, th.Decision.First)
		p.Rows = append(p.Rows, complaintsv.QueueRow{
			Href: "/complaints/" + itoa(r.ID), Number: r.Number, StateKey: string(r.State),
			State: web.T(c, "complaints.state."+string(r.State)), Parties: r.ComplainantName + " → " + r.RespondentLogin,
			Assignee: r.AssigneeName, Due: views.DateTime(c.UserContext(), r.DecisionDue.Add(-time.Minute)),
			BadgeLevel: b.Level, BadgeText: LeftText(c, b.Left), Duplicate: r.DuplicateOf != nil, Extended: r.Extended,
		})
	}
	if next != nil {
		p.Next = "/complaints?" + url.Values{"q": {string(q)}, "after_id": {itoa(next.ID)}, "after_due": {next.Due.Format(time.RFC3339Nano)}}.Encode()
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "complaints.title"), complaintsv.Queue(p))
}

// LeftText shows the time left ("2 d 4 h left") or, once breached, how long ago ("overdue 5 h"):
// days and hours, hours alone under a day, minutes under an hour — never "−0 d 0 h".
func LeftText(c *fiber.Ctx, left time.Duration) string {
	key := "complaints.left"
	if left <= 0 {
		key, left = "complaints.overdue_by", -left
	}
	var span string
	switch h := int(left.Hours()); {
	case h >= 24:
		span = web.T(c, "complaints.span.dh", "Days", fmt.Sprint(h/24), "Hours", fmt.Sprint(h%24))
	case h >= 1:
		span = web.T(c, "complaints.span.h", "Hours", fmt.Sprint(h))
	default:
		span = web.T(c, "complaints.span.m", "Minutes", fmt.Sprint(max(1, int(left.Minutes()))))
	}
	return web.T(c, key, "Span", span)
}

// defaultQueue is the tab a member lands on: their own complaints; for one who hands work out (a
// lead) with none of their own, the first of overdue, due today and unassigned that has any.
func defaultQueue(counts map[Queue]int, assigns bool) Queue {
	if counts[QMine] > 0 || !assigns {
		return QMine
	}
	for _, q := range []Queue{QOverdue, QToday, QUnassigned} {
		if counts[q] > 0 {
			return q
		}
	}
	return QMine
}
