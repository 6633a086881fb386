package settle_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/testfactory"
)

type fixture struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	platform ledger.PlatformAccounts
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	p, err := ledger.Platform(context.Background(), pool)
	require.NoError(t, err)
	return &fixture{ctx: context.Background(), pool: pool, platform: p}
}

var seq atomic.Int64

func (f *fixture) user(t testing.TB, kind string, money ledger.Minor) ledger.UserID {
	t.Helper()
	id, _ := testfactory.User(f.ctx, t, f.pool, kind, money)
	return id
}

// topUp brings money in through the gateway, as a payment would.
func (f *fixture) topUp(t testing.TB, to ledger.AccountID, money ledger.Minor) {
	t.Helper()
	testfactory.TopUp(f.ctx, t, f.pool, to, money)
}

// promo grants promo credit, as the platform does.
func (f *fixture) promo(t testing.TB, courier ledger.UserID, amount ledger.Minor) {
	t.Helper()
	ua, err := ledger.EnsureUserAccounts(f.ctx, f.pool, courier)
	require.NoError(t, err)
	f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(f.ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("promo:%d", seq.Add(1)), Reason: "promo",
			Legs: ledger.Move(f.platform.PromoExpense, ua.Promo, amount)})
		return err
	})
}

// order enters an order of cost C and declared value V between the two parties, expected at exp.
func (f *fixture) order(t testing.TB, client, courier ledger.UserID, cost, declared ledger.Minor, exp time.Time) int64 {
	t.Helper()
	id, _ := testfactory.Order(f.ctx, t, f.pool, testfactory.OrderOpts{Client: int64(client), Courier: int64(courier),
		Cost: int64(cost), Declared: int64(declared), ExpectedAt: exp})
	return id
}

func (f *fixture) tx(t testing.TB, fn func(tx pgx.Tx) error) {
	t.Helper()
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, fn))
}

// do runs one event in its own transaction and returns its error.
func (f *fixture) do(event func(context.Context, pgx.Tx, int64) error, order int64) error {
	return pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error { return event(f.ctx, tx, order) })
}

// state is every balance a user would check after an event.
type state struct {
	ClientAvail, ClientHeld                    ledger.Minor
	CourierAvail, CourierDeposit, CourierPromo ledger.Minor
	Revenue                                    ledger.Minor
}

func (f *fixture) state(t testing.TB, client, courier ledger.UserID) state {
	t.Helper()
	cb, err := ledger.Balances(f.ctx, f.pool, client)
	require.NoError(t, err)
	var kb ledger.UserBalances
	if courier != 0 {
		kb, err = ledger.Balances(f.ctx, f.pool, courier)
		require.NoError(t, err)
	}
	return state{ClientAvail: cb.Available, ClientHeld: cb.Held, CourierAvail: kb.Available, CourierDeposit: kb.Deposit,
		CourierPromo: kb.Promo, Revenue: f.revenue(t)}
}

func (f *fixture) revenue(t testing.TB) ledger.Minor {
	t.Helper()
	var b ledger.Minor
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT sum(balance) FROM ledger_balances WHERE ledger_account_id = $1`, f.platform.Revenue).Scan(&b))
	return b
}

func (f *fixture) sound(t testing.TB) {
	t.Helper()
	v, err := ledger.CheckInvariants(f.ctx, f.pool)
	require.NoError(t, err)
	require.Empty(t, v)
}

func itoa(n int64) string { return fmt.Sprint(n) }

func deadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
