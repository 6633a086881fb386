package complaints

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// runAction carries out one measure of an upheld decision through the desk that owns it, on the
// decision's transaction: the money moves or the block starts exactly when the decision commits.
// Ledger keys name the complaint and the measure, so a replay posts nothing twice.
func runAction(ctx context.Context, tx pgx.Tx, c Complaint, a Action, now time.Time) (accountID int64, result string, err error) {
	need := func(p *int64, field string) (int64, error) {
		if p == nil {
			return 0, apperr.InvalidField(field, "complaints.decide.needs_account")
		}
		return *p, nil
	}
	var by ledger.StaffID
	if ac := actor.From(ctx); ac != nil {
		by = ledger.StaffID(ac.ID)
	}
	key := fmt.Sprintf("complaint:%d:%s", c.ID, a.Kind)
	transfer := func(from, to ledger.AccountID, reason string) (string, error) {
		res, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{
			Key: key, Reason: reason, Legs: ledger.Move(from, to, ledger.Minor(a.Amount)),
			Links: ledger.Links{ComplaintID: c.ID}, CreatedBy: by,
			// The decision is owed whether or not the money is there now.
			AllowNegative: true,
		})
		return "transfer:" + strconv.FormatInt(int64(res.ID), 10), err
	}
	switch a.Kind {
	case ActRefund, ActPenalty, ActCompensation:
		platform, err := ledger.Platform(ctx, tx)
		if err != nil {
			return 0, "", err
		}
		switch a.Kind {
		case ActRefund: // the respondent pays the complainant back
			from, err := need(c.RespondentAccountID, "respondent_login")
			if err != nil {
				return 0, "", err
			}
			to, err := need(c.ComplainantAccountID, "complainant_login")
			if err != nil {
				return 0, "", err
			}
			src, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(from))
			if err != nil {
				return 0, "", err
			}
			dst, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(to))
			if err != nil {
				return 0, "", err
			}
			r, err := transfer(src.Available, dst.Available, "complaint refund "+c.Number)
			return to, r, err
		case ActCompensation: // the platform compensates the complainant
			to, err := need(c.ComplainantAccountID, "complainant_login")
			if err != nil {
				return 0, "", err
			}
			dst, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(to))
			if err != nil {
				return 0, "", err
			}
			r, err := transfer(platform.Revenue, dst.Available, "complaint compensation "+c.Number)
			return to, r, err
		default: // penalty: the respondent pays the platform
			from, err := need(c.RespondentAccountID, "respondent_login")
			if err != nil {
				return 0, "", err
			}
			src, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(from))
			if err != nil {
				return 0, "", err
			}
			r, err := transfer(src.Available, platform.Revenue, "complaint penalty "+c.Number)
			return from, r, err
		}
	case ActBlock, ActBlockFunctions, ActDeactivation:
		acc, err := need(c.RespondentAccountID, "respondent_login")
		if err != nil {
			return 0, "", err
		}
		req := accounts.BlockRequest{AccountID: acc, Whole: a.Kind != ActBlockFunctions, Reason: "complaint_decision",
			ComplaintRef: c.Number, Notify: true, Now: now}
		if a.Kind == ActDeactivation {
			req.Note = "deactivation"
		}
		for _, f := range a.Functions {
			req.Functions = append(req.Functions, accounts.Function(f))
		}
		b, err := accounts.BlockTx(ctx, tx, req)
		return acc, "block:" + strconv.FormatInt(b.ID, 10), err
	case ActRatingCut: // Amount is points
		acc, err := need(c.RespondentAccountID, "respondent_login")
		if err != nil {
			return 0, "", err
		}
		rating, err := accounts.CutRatingTx(ctx, tx, accounts.ID(acc), int(a.Amount), c.Number)
		return acc, "rating:" + strconv.Itoa(rating), err
	case ActBalanceLimitCut: // Amount is the new limit in minor units
		acc, err := need(c.RespondentAccountID, "respondent_login")
		if err != nil {
			return 0, "", err
		}
		limit, err := accounts.LimitBalanceTx(ctx, tx, accounts.ID(acc), a.Amount, c.Number)
		return acc, "balance_limit:" + strconv.FormatInt(limit, 10), err
	}
	return 0, "", apperr.InvalidField("actions", "complaints.decide.bad_action")
}
