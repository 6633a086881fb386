package ledger_test

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// An order's money from placement to delivery: each step runs in the transaction that changes the
// order's status, under a key named after the order and the step, so a retried step is harmless.
func Example_orderSettlement() {
	ctx := context.Background()
	var pool *pgxpool.Pool // the application's pool
	var client, courier ledger.UserID
	const cost, declared, commission ledger.Minor = 5_000, 20_000, 500

	c, _ := ledger.EnsureUserAccounts(ctx, pool, client)
	k, _ := ledger.EnsureUserAccounts(ctx, pool, courier)
	platform, _ := ledger.Platform(ctx, pool)

	// Placed: the client's cost is held (refused with ledger.ErrInsufficient when short).
	var placed ledger.HoldResult
	_ = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		placed, err = ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "order:42:placed",
			From: c.Available, To: c.Held, Amount: cost, Reason: "order.placed", Links: ledger.Links{OrderRef: "42"}})
		// ... and the order's status change, and River's InsertTx, on the same tx.
		return err
	})

	// Deal: the courier's deposit, declared value plus cost, is held.
	var deposit ledger.HoldResult
	_ = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		deposit, err = ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "order:42:deal",
			From: k.Available, To: k.Deposit, Amount: declared + cost, Reason: "order.deal", Links: ledger.Links{OrderRef: "42"}})
		return err
	})

	// Delivered: the client's hold goes to the courier less the commission; the deposit comes back.
	_ = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := ledger.ReleaseHold(ctx, tx, ledger.ReleaseRequest{Key: "order:42:deposit-released",
			Hold: deposit.Hold.ID, Reason: "order.delivered"}); err != nil {
			return err
		}
		_, err := ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: "order:42:delivered",
			Hold: placed.Hold.ID, Reason: "order.delivered",
			To: []ledger.Leg{{Account: k.Available, Amount: cost - commission}, {Account: platform.Revenue, Amount: commission}}})
		return err
	})
}
