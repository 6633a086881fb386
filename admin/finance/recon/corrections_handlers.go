package recon

import (
	"cmp"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/reconv"
)

// now is the portal's clock.
func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return clock.System()
}

// Correct records a correcting entry: from an exception (…/results/:rid/correct, its amount the
// exception's) or for a closed period (…/corrections, the amount typed). A field error comes back
// beside its form on the period's page (422); nothing is recorded.
func (h *Handlers) Correct(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	var rid int64
	if c.Params("rid") != "" {
		if rid, err = web.ParamID(c, "rid"); err != nil {
			return err
		}
	}
	f := reconv.CorrectionForm{ResultID: rid, Direction: c.FormValue("direction"), Party: c.FormValue("party"),
		Account: strings.TrimSpace(c.FormValue("account")), Amount: strings.TrimSpace(c.FormValue("amount")),
		Reason: strings.TrimSpace(c.FormValue("reason")), Key: strings.TrimSpace(c.FormValue("key")), Errors: map[string]string{}}
	req := CorrectionRequest{PeriodID: id, ResultID: rid, Direction: Direction(f.Direction), Party: Party(f.Party), Reason: f.Reason, Key: f.Key}
	if req.Party == PartyUser {
		n, err := strconv.ParseInt(f.Account, 10, 64)
		if err != nil || n <= 0 {
			f.Errors["account"] = web.T(c, "recon.correction.account_required")
		}
		req.AccountID = n
	}
	if rid == 0 {
		n, err := money.Parse(f.Amount, money.Positive)
		if err != nil {
			f.Errors["amount"] = web.T(c, apperr.MessageOf(err))
		}
		req.Amount = n
	}
	if len(f.Errors) == 0 {
		r, err := RequestCorrection(web.Ctx(c), h.Pool, h.now(), req)
		if err == nil {
			msg := "recon.correction.posted"
			if r.State == "pending_approval" {
				msg = "recon.correction.awaits_second"
			}
			web.Toast(c, "success", msg)
			return web.Redirect(c, periodPage(id, rid))
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
			return err
		}
		f.Errors[cmp.Or(ae.Field, "form")] = web.T(c, ae.Message)
	}
	if f.Key == "" {
		f.Key = web.FormKey()
	}
	return h.show(c, fiber.StatusUnprocessableEntity, "", &f)
}

// ApproveCorrection posts a correction awaiting a second officer.
func (h *Handlers) ApproveCorrection(c *fiber.Ctx) error { return h.decideCorrection(c, true) }

// RefuseCorrection turns a correction down with a reason.
func (h *Handlers) RefuseCorrection(c *fiber.Ctx) error { return h.decideCorrection(c, false) }

func (h *Handlers) decideCorrection(c *fiber.Ctx, approve bool) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cid, err := web.ParamID(c, "cid")
	if err != nil {
		return err
	}
	got, err := GetCorrection(web.Ctx(c), h.Pool, cid)
	if err != nil {
		return err
	}
	if got.PeriodID != id {
		return apperr.New(apperr.NotFound, "recon.correction.not_found")
	}
	if _, err := DecideCorrection(web.Ctx(c), h.Pool, h.now(), cid, approve, c.FormValue("reason")); err != nil {
		return err
	}
	msg := "recon.correction.posted"
	if !approve {
		msg = "recon.correction.refused"
	}
	web.Toast(c, "success", msg)
	return web.Redirect(c, periodPage(id, 0))
}

// periodURL is the period's page, at the exception's row when there is one.
func periodPage(id, result int64) string {
	u := "/finance/reconciliation/" + strconv.FormatInt(id, 10)
	if result != 0 {
		u += "?kind=open#result-" + strconv.FormatInt(result, 10)
	}
	return u
}

// corrections puts the period's corrections on its page: the list (with approve and refuse for a
// second officer), the pending one of each exception, and the form sent back with its errors.
func (h *Handlers) corrections(c *fiber.Ctx, s *reconv.Show, form *reconv.CorrectionForm) error {
	ctx := web.Ctx(c)
	list, err := Corrections(ctx, h.Pool, s.Period.ID, 200)
	if err != nil {
		return err
	}
	a := web.Actor(c)
	s.CanApprove = h.can(c, rbac.ReconApprove)
	s.Key, s.Form, s.Pending = web.FormKey(), form, map[int64]*reconv.Correction{}
	for _, k := range list {
		v := reconv.Correction{ID: k.ID, Direction: string(k.Direction), Party: string(k.Party), AccountName: k.AccountName,
			Amount: h.amount(c, k.Amount), Reason: k.Reason, State: k.State, RequestedName: k.RequestedName, RequestedAt: k.RequestedAt,
			DecidedName: k.DecidedName, RefuseReason: k.RefuseReason, Own: a != nil && a.ID == k.RequestedBy}
		if k.AccountID != nil {
			v.AccountID = *k.AccountID
		}
		if k.ResultID != nil {
			v.ResultID = *k.ResultID
			if k.State == "pending_approval" {
				s.Pending[v.ResultID] = &v
			}
		}
		if k.TransferID != nil {
			v.Transfer = strconv.FormatInt(*k.TransferID, 10)
		}
		s.Corrections = append(s.Corrections, v)
	}
	return nil
}

// exceptionWant is what a correcting transfer for r moves (as exceptionAmount reads it from the
// database): the difference of an amount mismatch, otherwise the side's amount.
func exceptionWant(r Result) int64 {
	abs := func(n int64) int64 { return max(n, -n) }
	switch {
	case r.Kind == Matched:
		return 0
	case r.Kind == AmountMismatch && r.GatewayAmount != nil && r.LedgerAmount != nil:
		return abs(*r.GatewayAmount - *r.LedgerAmount)
	case r.GatewayAmount != nil:
		return abs(*r.GatewayAmount)
	case r.LedgerAmount != nil:
		return abs(*r.LedgerAmount)
	}
	return 0
}
