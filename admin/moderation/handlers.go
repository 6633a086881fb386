package moderation

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/moderationv"
)

// Handlers serve the moderation pages.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Currency string           // the deployment's, shown after amounts
	Now      func() time.Time // the portal's clock
}

// Routes are the moderation desk's routes.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/moderation", Perm: rbac.ModerationRead, Handler: h.Queue},
		{Method: "POST", Path: "/moderation", Perm: rbac.ModerationWork, Handler: h.Open},
		{Method: "GET", Path: "/moderation/:id<int>", Perm: rbac.ModerationRead, Handler: h.Show},
		{Method: "POST", Path: "/moderation/:id<int>/notes", Perm: rbac.ModerationWork, Handler: h.Note},
		{Method: "POST", Path: "/moderation/:id<int>/decide", Perm: rbac.ModerationWork, Handler: h.Decide},
	}
}

const pageSize = 50

// Queue lists open (or closed) cases, oldest first.
func (h *Handlers) Queue(c *fiber.Ctx) error {
	state := c.Query("state", "open")
	if state != "closed" {
		state = "open"
	}
	after, err := web.QueryID(c, "after")
	if err != nil {
		return err
	}
	cases, err := Queue(web.Ctx(c), h.Pool, state, after, pageSize)
	if err != nil {
		return err
	}
	q := moderationv.Queue{State: state, CanWork: h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.ModerationWork)}
	for _, r := range Reasons {
		if r != "overdue" { // the sweep's alone
			q.Reasons = append(q.Reasons, r)
		}
	}
	for _, cs := range cases {
		q.Cases = append(q.Cases, h.view(c, cs))
	}
	if len(cases) == pageSize {
		q.NextURL = "/moderation?state=" + state + "&after=" + strconv.FormatInt(cases[len(cases)-1].ID, 10)
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "moderation.title"), moderationv.QueuePage(q))
}

// Open puts an order into moderation: a courier's cancellation, a cancellation after pickup, a
// weight dispute, or staff's own reason.
func (h *Handlers) Open(c *fiber.Ctx) error {
	id, err := Open(web.Ctx(c), h.Pool, strings.TrimSpace(c.FormValue("number")), c.FormValue("reason"), clock.Or(h.Now))
	if err != nil {
		return err
	}
	return web.Redirect(c, "/moderation/"+strconv.FormatInt(id, 10))
}

// Show is a case with its notes, the parties' balances and the forms to work it.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	cs, err := Get(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	notes, err := Notes(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	cb, kb, err := Balances(ctx, h.Pool, cs)
	if err != nil {
		return err
	}
	s := moderationv.Show{Case: h.view(c, cs), Client: h.balances(c, cb), Courier: h.balances(c, kb), Outcomes: lifecycle.OutcomesFor(cs.FromStatus, cs.Reason),
		CanWork: h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.ModerationWork)}
	for _, n := range notes {
		s.Notes = append(s.Notes, moderationv.Note{Kind: n.Kind, Body: n.Body, Staff: n.StaffName, At: n.At})
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "moderation.case")+" "+strconv.FormatInt(id, 10), moderationv.ShowPage(s))
}

// Note records a contact attempt or a finding.
func (h *Handlers) Note(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := AddNote(web.Ctx(c), h.Pool, id, c.FormValue("kind"), c.FormValue("body")); err != nil {
		return err
	}
	web.Toast(c, "success", "moderation.noted")
	return web.Redirect(c, "/moderation/"+strconv.FormatInt(id, 10))
}

// Decide applies the outcome chosen.
func (h *Handlers) Decide(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	grams, _ := strconv.ParseInt(c.FormValue("real_grams"), 10, 64)
	d := Decision{Outcome: c.FormValue("outcome"), RealGrams: grams, Note: c.FormValue("note")}
	if err := Decide(web.Ctx(c), h.Pool, id, d, clock.Or(h.Now)); err != nil {
		return err
	}
	web.Toast(c, "success", "moderation.decided")
	return web.Redirect(c, "/moderation/"+strconv.FormatInt(id, 10))
}

func (h *Handlers) view(fc *fiber.Ctx, c Case) moderationv.Case {
	ctx := web.Ctx(fc)
	return moderationv.Case{ID: c.ID, OrderNumber: c.OrderNumber, Reason: c.Reason, FromStatus: string(c.FromStatus),
		State: c.State, Outcome: c.Outcome, OpenedAt: c.OpenedAt, Cost: money.Show(ctx, c.Cost, h.Currency),
		Declared: money.Show(ctx, c.Declared, h.Currency), Expected: c.ExpectedAt}
}

func (h *Handlers) balances(c *fiber.Ctx, b ledger.UserBalances) string {
	show := func(m ledger.Minor) string { return money.Show(web.Ctx(c), m, h.Currency) }
	return web.T(c, "moderation.balances", "Available", show(b.Available), "Held", show(b.Held),
		"Deposit", show(b.Deposit), "Promo", show(b.Promo))
}
