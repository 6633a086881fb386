package ledger_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

func TestHoldCapturedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	client, c := f.user(t, "client")
	courier, k := f.user(t, "courier")
	f.topUp(t, c.Available, 10_000)

	var placed ledger.HoldResult
	err := f.tx(t, func(tx pgx.Tx) (err error) {
		placed, err = ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "order:1:placed", From: c.Available, To: c.Held,
			Amount: 3_000, Reason: "order.placed", Links: ledger.Links{OrderRef: "ORD-1"}})
		return err
	})
	require.NoError(t, err)
	require.Equal(t, ledger.HoldOpen, placed.Hold.State)
	b, err := ledger.Balances(ctx, f.pool, client)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 7_000, Held: 3_000}, b)

	capture := ledger.CaptureRequest{Key: "order:1:delivered", Hold: placed.Hold.ID, Reason: "order.delivered",
		To: []ledger.Leg{{Account: k.Available, Amount: 2_700}, {Account: f.platform.Revenue, Amount: 300}}}
	doCapture := func(r ledger.CaptureRequest) (res ledger.HoldResult, err error) {
		err = f.tx(t, func(tx pgx.Tx) error {
			res, err = ledger.CaptureHold(ctx, tx, r)
			return err
		})
		return res, err
	}
	captured, err := doCapture(capture)
	require.NoError(t, err)
	require.Equal(t, ledger.HoldCaptured, captured.Hold.State)
	require.Equal(t, captured.Transfer.ID, captured.Hold.ResolveTransfer)
	require.False(t, captured.Hold.ResolvedAt.IsZero())

	b, err = ledger.Balances(ctx, f.pool, client)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 7_000}, b)
	b, err = ledger.Balances(ctx, f.pool, courier)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 2_700}, b)
	require.Equal(t, ledger.Minor(300), f.balance(t, f.platform.Revenue))

	// The capture carries the hold's order.
	entries, err := ledger.Entries(ctx, f.pool, ledger.EntryFilter{Transfer: captured.Transfer.ID})
	require.NoError(t, err)
	require.Len(t, entries, 3)
	require.Equal(t, "ORD-1", entries[0].OrderRef)

	transfers := f.count(t, "ledger_transfers")

	// The same capture retried: the first result, nothing new.
	again, err := doCapture(capture)
	require.NoError(t, err)
	require.True(t, again.Transfer.Replayed)
	require.Equal(t, captured.Transfer.ID, again.Transfer.ID)

	// A second capture under another key, a retry with other content, and a release: all refused.
	second := capture
	second.Key = "order:1:delivered-again"
	_, err = doCapture(second)
	requireCode(t, err, apperr.Conflict)

	changed := capture
	changed.To = []ledger.Leg{{Account: k.Available, Amount: 3_000}}
	_, err = doCapture(changed)
	requireCode(t, err, apperr.Conflict)

	err = f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.ReleaseHold(ctx, tx, ledger.ReleaseRequest{Key: "order:1:cancel", Hold: placed.Hold.ID, Reason: "order.cancelled"})
		return err
	})
	requireCode(t, err, apperr.Conflict)

	require.Equal(t, transfers, f.count(t, "ledger_transfers"))
	require.Equal(t, ledger.Minor(2_700), f.balance(t, k.Available))

	// The database refuses to reopen or re-resolve it too.
	_, err = f.pool.Exec(ctx, `UPDATE ledger_holds SET state = 'released' WHERE id = $1`, placed.Hold.ID)
	require.Error(t, err)
	_, err = f.pool.Exec(ctx, `DELETE FROM ledger_holds`)
	require.Error(t, err)
	f.requireSound(t)
}

func TestHoldReleasedReturnsTheMoney(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	courier, k := f.user(t, "courier")
	f.topUp(t, k.Available, 500)
	// Promo credit comes from the platform's promo expense; a deal deposit may use it.
	err := f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "promo:1", Reason: "promo.grant",
			Legs: ledger.Move(f.platform.PromoExpense, k.Promo, 1_000)})
		return err
	})
	require.NoError(t, err)

	var hold ledger.Hold
	err = f.tx(t, func(tx pgx.Tx) error {
		res, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "order:2:deal:promo", From: k.Promo, To: k.Deposit,
			Amount: 800, Reason: "order.deal"})
		hold = res.Hold
		return err
	})
	require.NoError(t, err)
	b, err := ledger.Balances(ctx, f.pool, courier)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 500, Deposit: 800, Promo: 200}, b)

	release := ledger.ReleaseRequest{Key: "order:2:released", Hold: hold.ID, Reason: "order.delivered"}
	var first, second ledger.HoldResult
	require.NoError(t, f.tx(t, func(tx pgx.Tx) (err error) { first, err = ledger.ReleaseHold(ctx, tx, release); return err }))
	require.NoError(t, f.tx(t, func(tx pgx.Tx) (err error) { second, err = ledger.ReleaseHold(ctx, tx, release); return err }))
	require.Equal(t, ledger.HoldReleased, first.Hold.State)
	require.True(t, second.Transfer.Replayed)
	require.Equal(t, first.Transfer.ID, second.Transfer.ID)

	b, err = ledger.Balances(ctx, f.pool, courier)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 500, Promo: 1_000}, b)

	err = f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: "order:2:capture", Hold: hold.ID, Reason: "x",
			To: []ledger.Leg{{Account: f.platform.Revenue, Amount: 800}}})
		return err
	})
	requireCode(t, err, apperr.Conflict)
	f.requireSound(t)
}

func TestPlaceHoldRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	_, k := f.user(t, "courier")
	f.topUp(t, c.Available, 1_000)
	place := func(r ledger.HoldRequest) (res ledger.HoldResult, err error) {
		err = f.tx(t, func(tx pgx.Tx) error {
			res, err = ledger.PlaceHold(ctx, tx, r)
			return err
		})
		return res, err
	}

	_, err := place(ledger.HoldRequest{Key: "short", From: c.Available, To: c.Held, Amount: 1_001, Reason: "order.placed"})
	requireCode(t, err, apperr.Conflict)
	require.Equal(t, ledger.ErrInsufficient, apperr.MessageOf(err))

	_, err = place(ledger.HoldRequest{Key: "other-owner", From: c.Available, To: k.Deposit, Amount: 1, Reason: "order.deal"})
	requireCode(t, err, apperr.Invalid)
	_, err = place(ledger.HoldRequest{Key: "not-held", From: c.Available, To: k.Available, Amount: 1, Reason: "order.deal"})
	requireCode(t, err, apperr.Invalid)
	require.Zero(t, f.count(t, "ledger_holds"))

	// A retry returns the hold; the key of a plain transfer cannot place one.
	req := ledger.HoldRequest{Key: "order:3:placed", From: c.Available, To: c.Held, Amount: 100, Reason: "order.placed"}
	first, err := place(req)
	require.NoError(t, err)
	again, err := place(req)
	require.NoError(t, err)
	require.True(t, again.Transfer.Replayed)
	require.Equal(t, first.Hold, again.Hold)

	f.topUp(t, c.Available, 1) // key "topup:..."
	var key string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT idempotency_key FROM ledger_transfers WHERE reason = 'topup' ORDER BY id DESC LIMIT 1`).Scan(&key))
	_, err = place(ledger.HoldRequest{Key: key, From: c.Available, To: c.Held, Amount: 1, Reason: "topup"})
	requireCode(t, err, apperr.Conflict)

	// A capture must take the whole hold.
	err = f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: "partial", Hold: first.Hold.ID, Reason: "x",
			To: []ledger.Leg{{Account: k.Available, Amount: 99}}})
		return err
	})
	requireCode(t, err, apperr.Invalid)
	err = f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.ReleaseHold(ctx, tx, ledger.ReleaseRequest{Key: "nope", Hold: 424242, Reason: "x"})
		return err
	})
	requireCode(t, err, apperr.NotFound)
	f.requireSound(t)
}
