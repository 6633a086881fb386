package payouts

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/payoutsv"
)

// Handlers serve the payouts pages.
type Handlers struct {
	Pool     *pgxpool.Pool
	Jobs     enqueue.Inserter
	Enforcer *rbac.Enforcer
	// JobTimeout is the payment job's timeout (DefaultJobTimeout when zero): "check again" hands
	// back a job left running longer than this.
	JobTimeout time.Duration
}

// Routes are the payouts pages' routes.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/finance/payouts", Perm: rbac.PayoutsRead, Handler: h.List},
		{Method: "GET", Path: "/finance/payouts/new", Perm: rbac.PayoutsRequest, Handler: h.New},
		{Method: "POST", Path: "/finance/payouts", Perm: rbac.PayoutsRequest, Handler: h.Create},
		{Method: "GET", Path: "/finance/payouts/:id<int>", Perm: rbac.PayoutsRead, Handler: h.Show},
		{Method: "POST", Path: "/finance/payouts/:id<int>/approve", Perm: rbac.PayoutsApprove, Handler: h.Approve, FreshCode: true},
		{Method: "POST", Path: "/finance/payouts/:id<int>/refuse", Perm: rbac.PayoutsApprove, Handler: h.Refuse},
		{Method: "POST", Path: "/finance/payouts/:id<int>/recheck", Perm: rbac.PayoutsApprove, Handler: h.Recheck},
	}
}

const pageSize = 50

func (h *Handlers) can(c *fiber.Ctx, p rbac.Perm) bool {
	a := web.Actor(c)
	return h.Enforcer != nil && a != nil && h.Enforcer.Can(a.Roles, p)
}

// List shows payouts newest first, filtered by state and account, a keyset page at a time.
func (h *Handlers) List(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	ids, err := web.QueryIDs(c, "account", "before")
	if err != nil {
		return err
	}
	f := Filter{Account: ids[0], Before: ids[1], Limit: pageSize}
	for _, s := range States {
		if string(s) == c.Query("state") {
			f.State = s
		}
	}
	list, next, err := List(ctx, h.Pool, f)
	if err != nil {
		return err
	}
	counts, err := Counts(ctx, h.Pool)
	if err != nil {
		return err
	}
	l := payoutsv.List{State: string(f.State), Counts: map[string]int{}, CanRequest: h.can(c, rbac.PayoutsRequest)}
	if f.Account != 0 {
		l.Account = strconv.FormatInt(f.Account, 10)
	}
	for _, s := range States {
		l.States = append(l.States, string(s))
		l.Counts[string(s)] = counts[s]
	}
	for _, p := range list {
		l.Payouts = append(l.Payouts, view(web.Ctx(c), p))
	}
	if next != 0 {
		q := url.Values{"before": {strconv.FormatInt(next, 10)}}
		if f.State != "" {
			q.Set("state", string(f.State))
		}
		if l.Account != "" {
			q.Set("account", l.Account)
		}
		l.NextURL = "/finance/payouts?" + q.Encode()
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "payouts.ui.title"), payoutsv.ListPage(l))
}

// New is the empty request form; ?account= fills the account.
// As the account number is typed, htmx asks again and the form shows the override reason when
// the account's card is in another name.
func (h *Handlers) New(c *fiber.Ctx) error {
	f := payoutsv.Form{Account: strings.TrimSpace(c.Query("account")), Amount: c.Query("amount"), Override: c.Query("override"),
		CanOverride: h.can(c, rbac.PayoutsOverride), Key: c.Query("key")}
	if f.Key == "" {
		f.Key = web.FormKey()
	}
	f.ShowOverride = f.Override != "" || h.mismatch(c, f.Account)
	if web.IsHTMX(c) && c.Get("HX-Target") == "payout-form" {
		return web.Fragment(c, fiber.StatusOK, payoutsv.NewForm(f))
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "payouts.ui.new"), payoutsv.NewPage(f))
}

// mismatch tells whether the account's saved card is in a name other than the account holder's.
func (h *Handlers) mismatch(c *fiber.Ctx, account string) bool {
	id, err := strconv.ParseInt(account, 10, 64)
	if err != nil || id <= 0 {
		return false
	}
	name, holder, err := CardHolder(web.Ctx(c), h.Pool, id)
	if err != nil {
		return false
	}
	return holder != "" && !HolderMatches(holder, name)
}

// Create places a request from the form; field errors come back on the form (422).
func (h *Handlers) Create(c *fiber.Ctx) error {
	f := payoutsv.Form{Account: strings.TrimSpace(c.FormValue("account")), Amount: strings.TrimSpace(c.FormValue("amount")),
		Override: strings.TrimSpace(c.FormValue("override")), CanOverride: h.can(c, rbac.PayoutsOverride), Errors: map[string]string{},
		Key: strings.TrimSpace(c.FormValue("key"))}
	f.ShowOverride = f.Override != "" || h.mismatch(c, f.Account)
	account, err := strconv.ParseInt(f.Account, 10, 64)
	if err != nil || account <= 0 {
		f.Errors["account"] = web.T(c, "payouts.ui.account_invalid")
	}
	amount, err := money.Parse(f.Amount, money.Positive)
	if err != nil {
		f.Errors["amount"] = web.T(c, apperr.MessageOf(err))
	}
	if f.Override != "" && !f.CanOverride {
		f.Errors["override"] = web.T(c, "payouts.ui.override_forbidden")
	}
	if len(f.Errors) == 0 {
		p, err := Place(web.Ctx(c), h.Pool, h.Jobs, Request{AccountID: account, Amount: amount, Override: f.Override, Key: f.Key})
		if err == nil {
			web.Toast(c, "success", "payouts.ui.placed", "Reference", p.Reference)
			return web.Redirect(c, "/finance/payouts/"+strconv.FormatInt(p.ID, 10))
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Field == "" {
			return err
		}
		f.Errors[ae.Field] = web.T(c, ae.Message)
		if ae.Field == "override" {
			f.ShowOverride = true
			if !f.CanOverride {
				f.Errors["override"] = web.T(c, "payouts.ui.holder_mismatch_no_override")
			}
		}
	}
	if f.Key == "" {
		f.Key = web.FormKey()
	}
	if web.IsHTMX(c) {
		return web.Fragment(c, fiber.StatusUnprocessableEntity, payoutsv.NewForm(f))
	}
	return web.Render(c, fiber.StatusUnprocessableEntity, web.T(c, "payouts.ui.new"), payoutsv.NewPage(f))
}

// Show is one payout with its history and the actions the viewer may take.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := Get(web.Ctx(c), h.Pool, id)
	if err != nil {
		return err
	}
	a := web.Actor(c)
	can := h.can(c, rbac.PayoutsApprove)
	s := payoutsv.Show{Payout: view(web.Ctx(c), p), CanApprove: can, Own: a != nil && a.ID == p.RequestedBy,
		CanRecheck: can && (p.State == Sending || p.State == Approved && p.Attempts > 0)}
	return web.Render(c, fiber.StatusOK, web.T(c, "payouts.ui.payout")+" "+p.Reference, payoutsv.ShowPage(s))
}

// Approve releases a payout awaiting a second officer (the store refuses the requester).
func (h *Handlers) Approve(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := Approve(web.Ctx(c), h.Pool, h.Jobs, id); err != nil {
		return err
	}
	web.Toast(c, "success", "payouts.ui.approved")
	return web.Redirect(c, "/finance/payouts/"+strconv.FormatInt(id, 10))
}

// Refuse turns a payout down with a reason; its money goes back to the user.
func (h *Handlers) Refuse(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := Refuse(web.Ctx(c), h.Pool, id, c.FormValue("reason")); err != nil {
		return err
	}
	web.Toast(c, "success", "payouts.ui.refused")
	return web.Redirect(c, "/finance/payouts/"+strconv.FormatInt(id, 10))
}

// Recheck asks the gateway again about a payout whose result stayed unknown.
func (h *Handlers) Recheck(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	done, err := Recheck(web.Ctx(c), h.Pool, h.Jobs, id, h.JobTimeout)
	if err != nil {
		return err
	}
	if done == RecheckRunning {
		web.Toast(c, "info", "payouts.ui.recheck_running")
	} else {
		web.Toast(c, "success", "payouts.ui.rechecking")
	}
	return web.Redirect(c, "/finance/payouts/"+strconv.FormatInt(id, 10))
}

func view(ctx context.Context, p Payout) payoutsv.Payout {
	return payoutsv.Payout{ID: p.ID, Reference: p.Reference, AccountID: p.AccountID, AccountName: p.AccountName,
		Amount: money.Show(ctx, p.Amount, p.Currency), State: string(p.State), CardLast4: p.CardLast4, CardHolder: p.CardHolder,
		AccountHolder: p.AccountHolder, HolderMatch: p.HolderMatch, OverrideReason: p.OverrideReason, NeedsApproval: p.NeedsApproval,
		RequestedName: p.RequestedName, RequestedAt: p.RequestedAt, ApprovedName: p.ApprovedName, ApprovedAt: p.ApprovedAt,
		RefuseReason: p.RefuseReason, GatewayStatus: p.GatewayStatus, GatewayReason: p.GatewayReason,
		Fee: money.Show(ctx, p.GatewayFee, p.Currency), Attempts: p.Attempts, LastError: p.LastError, SentAt: p.SentAt, FinishedAt: p.FinishedAt}
}
