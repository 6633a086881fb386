package ledger_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// fixture is a fresh migrated database with the platform's accounts at hand.
type fixture struct {
	pool     *pgxpool.Pool
	platform ledger.PlatformAccounts
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return fixtureOn(t, dbtest.New(t))
}

func fixtureOn(t testing.TB, pool *pgxpool.Pool) *fixture {
	t.Helper()
	p, err := ledger.Platform(context.Background(), pool)
	require.NoError(t, err)
	return &fixture{pool: pool, platform: p}
}

var phones atomic.Int64

// user registers a client or courier and their ledger accounts.
func (f *fixture) user(t testing.TB, kind string) (ledger.UserID, ledger.UserAccounts) {
	t.Helper()
	ctx := context.Background()
	var id ledger.UserID
	err := f.pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone) VALUES ($1, $2, $3) RETURNING id`,
		kind, kind+" test", fmt.Sprintf("+380%09d", phones.Add(1))).Scan(&id)
	require.NoError(t, err)
	ua, err := ledger.EnsureUserAccounts(ctx, f.pool, id)
	require.NoError(t, err)
	return id, ua
}

// tx runs fn in a transaction, committing when it succeeds.
func (f *fixture) tx(t testing.TB, fn func(tx pgx.Tx) error) error {
	t.Helper()
	return pgx.BeginFunc(context.Background(), f.pool, fn)
}

// topUp brings money in through the gateway, as a payment would.
func (f *fixture) topUp(t testing.TB, to ledger.AccountID, amount ledger.Minor) {
	t.Helper()
	err := f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(context.Background(), tx, ledger.TransferRequest{
			Key: fmt.Sprintf("topup:%d:%d", to, phones.Add(1)), Reason: "topup",
			Legs: ledger.Move(f.platform.GatewayClearing, to, amount),
		})
		return err
	})
	require.NoError(t, err)
}

func (f *fixture) balance(t testing.TB, id ledger.AccountID) ledger.Minor {
	t.Helper()
	var b ledger.Minor
	require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT sum(balance) FROM ledger_balances WHERE ledger_account_id = $1`, id).Scan(&b))
	return b
}

func (f *fixture) count(t testing.TB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

// requireSound fails the test on any invariant violation.
func (f *fixture) requireSound(t testing.TB) {
	t.Helper()
	v, err := ledger.CheckInvariants(context.Background(), f.pool)
	require.NoError(t, err)
	require.Empty(t, v)
}

func requireCode(t testing.TB, err error, code apperr.Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, apperr.CodeOf(err), "error: %v", err)
}
