package payouts_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
)

func TestPlaceMovesAvailableToPendingAndQueuesTheJob(t *testing.T) {
	f := newFixture(t)
	p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 25_000})
	require.NoError(t, err)
	require.Equal(t, payouts.Approved, p.State, "below the threshold no second officer is needed")
	require.Regexp(t, `^PO\d{9}$`, p.Reference)
	require.True(t, p.HolderMatch)
	require.Equal(t, ledger.Minor(975_000), f.balances(f.account).Available)
	require.Equal(t, int64(25_000), f.platform(ledger.PayoutsPending))
	require.Equal(t, 1, f.jobCount(p.ID))
}

func TestAmountAboveAvailableIsRefused(t *testing.T) {
	f := newFixture(t)
	_, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 1_000_001})
	require.Equal(t, "payouts.insufficient", apperr.MessageOf(err))
	_, err = payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 0})
	require.Equal(t, apperr.Invalid, apperr.CodeOf(err))
	require.Equal(t, ledger.Minor(1_000_000), f.balances(f.account).Available)
}

func TestRequesterCannotApprove(t *testing.T) {
	f := newFixture(t)
	p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 600_000})
	require.NoError(t, err)
	require.Equal(t, payouts.PendingApproval, p.State)
	require.Equal(t, 0, f.jobCount(p.ID), "nothing is sent before approval")

	_, err = payouts.Approve(f.maker, f.pool, f.jobs, p.ID)
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	require.Equal(t, "payouts.own_request", apperr.MessageOf(err))
	// The database refuses it as well, whatever code tries.
	_, err = f.pool.Exec(context.Background(), `UPDATE payouts SET approved_by = requested_by WHERE id = $1`, p.ID)
	require.Error(t, err)

	p, err = payouts.Approve(f.checker, f.pool, f.jobs, p.ID)
	require.NoError(t, err)
	require.Equal(t, payouts.Approved, p.State)
	require.Equal(t, 1, f.jobCount(p.ID))
	_, err = payouts.Approve(f.checker, f.pool, f.jobs, p.ID)
	require.Equal(t, "payouts.not_pending", apperr.MessageOf(err))
}

func TestRefusalReturnsTheMoneyAndTellsTheUser(t *testing.T) {
	f := newFixture(t)
	p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 700_000})
	require.NoError(t, err)
	require.Equal(t, ledger.Minor(300_000), f.balances(f.account).Available)
	_, err = payouts.Refuse(f.checker, f.pool, p.ID, "")
	require.Equal(t, "payouts.reason_required", apperr.MessageOf(err))
	p, err = payouts.Refuse(f.checker, f.pool, p.ID, "card reported stolen")
	require.NoError(t, err)
	require.Equal(t, payouts.Refused, p.State)
	require.Equal(t, ledger.Minor(1_000_000), f.balances(f.account).Available)
	require.Zero(t, f.platform(ledger.PayoutsPending))
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE account_id = $1 AND template = 'payout_returned'`, f.account).Scan(&n))
	require.Equal(t, 1, n)
}

func TestHolderMismatchNeedsAnOverride(t *testing.T) {
	f := newFixture(t)
	other := f.client("Олена Коваленко", "IVAN PETRENKO", "tok_5555")
	f.topUp(other, 50_000)
	_, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: other, Amount: 10_000})
	require.Equal(t, "payouts.holder_mismatch", apperr.MessageOf(err))
	require.Equal(t, ledger.Minor(50_000), f.balances(other).Available, "a refused request moves nothing")

	p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: other, Amount: 10_000, Override: "card of the holder's spouse, contract 17"})
	require.NoError(t, err)
	require.False(t, p.HolderMatch)
	require.Equal(t, "card of the holder's spouse, contract 17", p.OverrideReason)
}

func TestBlockedPayoutsAreRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.pool.Exec(context.Background(), `INSERT INTO account_blocks (account_id, functions, reason, created_by) VALUES ($1, '{payouts}', 'false_data', $2)`, f.account, f.makerID)
	require.NoError(t, err)
	_, err = payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 10_000})
	require.True(t, accounts.IsBlocked(err), "%v", err)
}
