// Package dashboard is the landing page: what the user's desks need now, at a glance.
package dashboard

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/news"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/dashv"
	"github.com/postdesk/postdesk/views/newsv"
)

// Handlers serve /.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Loc      *time.Location // the platform's zone: "due today" is its day
	Now      clock.Clock
}

// Show is the member's home: the work waiting for them (each card a count and a link to the
// list it counts, only for lists the member may open), their recent files, the registry's
// counts and the news.
func (h *Handlers) Show(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	a := web.Actor(c)
	can := func(p rbac.Perm) bool { return h.Enforcer != nil && h.Enforcer.Can(a.Roles, p) }
	var d dashv.Data
	var err error
	d.Clients, d.Couriers, d.Blocked, err = accounts.Counts(ctx, h.Pool)
	if err != nil {
		return err
	}
	d.Links = can(rbac.AccountsRead)
	n := need{complaints: can(rbac.ComplaintsRead), extensions: can(rbac.ComplaintsExtend), payouts: can(rbac.PayoutsApprove), funding: can(rbac.FundingApprove),
		corrections: can(rbac.ReconApprove), moderation: can(rbac.ModerationRead)}
	w, err := countWork(ctx, h.Pool, a.ID, clock.Or(h.Now), h.Loc, n)
	if err != nil {
		return err
	}
	card := func(ok bool, href string, count int64, label string, urgent bool) {
		if ok {
			d.Work = append(d.Work, dashv.Card{Href: href, Count: count, Label: web.T(c, label), Urgent: urgent && count > 0})
		}
	}
	card(n.complaints, "/complaints?q=mine", w.MineToday, "dash.work.mine_today", true)
	card(n.complaints, "/complaints?q=overdue", w.MineOverdue, "dash.work.mine_overdue", true)
	card(n.complaints, "/complaints?q=unassigned", w.Unassigned, "dash.work.unassigned", false)
	card(n.extensions, "/complaints?q=extension", w.Extensions, "dash.work.extensions", false)
	card(n.payouts, "/finance/payouts?state=pending_approval", w.Payouts, "dash.work.payouts", false)
	card(n.funding, "/finance/funding", w.Funding, "dash.work.funding", false)
	card(n.corrections, "/finance/reconciliation", w.Corrections, "dash.work.corrections", false)
	card(n.moderation, "/moderation", w.Moderation, "dash.work.moderation", false)
	card(d.Links, "/accounts?status=blocked", d.Blocked, "dash.blocked", false)
	files, err := recentFiles(ctx, h.Pool, a.ID)
	if err != nil {
		return err
	}
	for _, f := range files {
		d.Files = append(d.Files, dashv.File{ID: f.ID, Name: f.Name, State: f.State, At: f.At})
	}
	d.Name = a.Name
	feed, err := news.Feed(ctx, h.Pool, 5)
	if err != nil {
		return err
	}
	items := make([]newsv.Item, len(feed))
	for i, n := range feed {
		items[i] = news.ViewItem(n)
	}
	d.Feed = newsv.Feed(items)
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.dashboard"), dashv.Dashboard(d))
}
