package ledger_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/testfactory"
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

// user registers a client or courier and their ledger accounts.
func (f *fixture) user(t testing.TB, kind string) (ledger.UserID, ledger.UserAccounts) {
	t.Helper()
	return testfactory.User(context.Background(), t, f.pool, kind, 0)
}

// tx runs fn in a transaction, committing when it succeeds.
func (f *fixture) tx(t testing.TB, fn func(tx pgx.Tx) error) error {
	t.Helper()
	return pgx.BeginFunc(context.Background(), f.pool, fn)
}

// topUp brings money in through the gateway, as a payment would.
func (f *fixture) topUp(t testing.TB, to ledger.AccountID, amount ledger.Minor) {
	t.Helper()
	testfactory.TopUp(context.Background(), t, f.pool, to, amount)
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
