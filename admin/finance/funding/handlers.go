package funding

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/fundingv"
)

// Handlers serve the funding page.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Currency string
}

// Routes are the funding page's routes.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/finance/funding", Perm: rbac.FundingRequest, Handler: h.Page},
		{Method: "POST", Path: "/finance/funding", Perm: rbac.FundingRequest, Handler: h.Create},
		{Method: "POST", Path: "/finance/funding/:id<int>/approve", Perm: rbac.FundingApprove, Handler: h.Approve, FreshCode: true},
		{Method: "POST", Path: "/finance/funding/:id<int>/refuse", Perm: rbac.FundingApprove, Handler: h.Refuse},
	}
}

// Page is the form and the newest requests.
func (h *Handlers) Page(c *fiber.Ctx) error {
	return h.render(c, fiber.StatusOK, fundingv.Form{Kind: string(TopUp), Account: c.Query("account"), Key: web.FormKey()})
}

func (h *Handlers) render(c *fiber.Ctx, status int, f fundingv.Form) error {
	ctx := web.Ctx(c)
	list, err := List(ctx, h.Pool, 50)
	if err != nil {
		return err
	}
	a := web.Actor(c)
	p := fundingv.Page{Form: f, CanApprove: h.Enforcer != nil && a != nil && h.Enforcer.Can(a.Roles, rbac.FundingApprove)}
	for _, r := range list {
		p.Rows = append(p.Rows, fundingv.Row{ID: r.ID, Kind: string(r.Kind), AccountID: r.AccountID, AccountName: r.AccountName,
			Amount: money.Show(ctx, r.Amount, h.Currency), Reason: r.Reason, State: r.State, RequestedName: r.RequestedName,
			RequestedAt: r.RequestedAt, DecidedName: r.DecidedName, RefuseReason: r.RefuseReason, Own: a != nil && a.ID == r.RequestedBy})
	}
	return web.Render(c, status, web.T(c, "funding.ui.title"), fundingv.FundingPage(p))
}

// Create records a request from the form; field errors come back on the form (422).
func (h *Handlers) Create(c *fiber.Ctx) error {
	f := fundingv.Form{Kind: c.FormValue("kind"), Account: strings.TrimSpace(c.FormValue("account")),
		Amount: strings.TrimSpace(c.FormValue("amount")), Reason: strings.TrimSpace(c.FormValue("reason")),
		Key: strings.TrimSpace(c.FormValue("key")), Errors: map[string]string{}}
	account, err := strconv.ParseInt(f.Account, 10, 64)
	if err != nil || account <= 0 {
		f.Errors["account"] = web.T(c, "funding.account_not_found")
	}
	amount, err := money.Parse(f.Amount, money.Positive)
	if err != nil {
		f.Errors["amount"] = web.T(c, apperr.MessageOf(err))
	}
	if len(f.Errors) == 0 {
		r, err := Place(web.Ctx(c), h.Pool, Request{Kind: Kind(f.Kind), AccountID: account, Amount: amount, Reason: f.Reason, Key: f.Key})
		if err == nil {
			msg := "funding.ui.posted"
			if r.State == "pending_approval" {
				msg = "funding.ui.awaits_second"
			}
			web.Toast(c, "success", msg)
			return web.Redirect(c, "/finance/funding")
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
			return err
		}
		f.Errors[ae.Field] = web.T(c, ae.Message)
	}
	if f.Key == "" {
		f.Key = web.FormKey()
	}
	if web.IsHTMX(c) {
		return web.Fragment(c, fiber.StatusUnprocessableEntity, fundingv.NewForm(f))
	}
	return h.render(c, fiber.StatusUnprocessableEntity, f)
}

// Approve posts a request awaiting a second officer.
func (h *Handlers) Approve(c *fiber.Ctx) error { return h.decide(c, true) }

// Refuse turns a request down with a reason.
func (h *Handlers) Refuse(c *fiber.Ctx) error { return h.decide(c, false) }

func (h *Handlers) decide(c *fiber.Ctx, approve bool) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := Decide(web.Ctx(c), h.Pool, id, approve, c.FormValue("reason")); err != nil {
		return err
	}
	msg := "funding.ui.posted"
	if !approve {
		msg = "funding.ui.refused"
	}
	web.Toast(c, "success", msg)
	return web.Redirect(c, "/finance/funding")
}
