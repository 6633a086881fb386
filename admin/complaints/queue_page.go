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
	q := Queue(c.Query("q", string(QMine)))
	afterID, err := web.QueryID(c, "after_id")
	if err != nil {
		return err
	}
	after := Cursor{ID: afterID}
	if after.ID != 0 {
		after.Due, _ = time.Parse(time.RFC3339Nano, c.Query("after_due"))
	}
	s := h.store()
	rows, next, err := s.QueuePage(web.Ctx(c), h.Pool, q, web.Actor(c).ID, after, 50)
	if err != nil {
		return err
	}
	now := s.now()
	p := complaintsv.QueuePage{CanWrite: h.can(c, rbac.ComplaintsWrite), CanBoard: h.can(c, rbac.ComplaintsBoard)}
	for _, k := range Queues {
		p.Tabs = append(p.Tabs, complaintsv.Tab{Key: "complaints.q." + string(k), Href: "/complaints?q=" + string(k), Active: k == q})
	}
	for _, r := range rows {
		b := BadgeFor(r.DecisionDue, now, h.Loc)
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

// LeftText shows time left as days and hours, negative once breached.
func LeftText(c *fiber.Ctx, left time.Duration) string {
	key := "complaints.left"
	if left < 0 {
		key, left = "complaints.late", -left
	}
	h := int(left.Hours())
	return web.T(c, key, "Days", fmt.Sprint(h/24), "Hours", fmt.Sprint(h%24))
}
