package payouts_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/testfactory"
	"github.com/postdesk/postdesk/rbac"
)

// fixture is a fresh database with two finance officers and a client with a card and money.
type fixture struct {
	t              testing.TB
	pool           *pgxpool.Pool
	url            string // the database's URL, for other processes
	maker, checker context.Context
	makerID        int64
	account        int64
	jobs           *river.Client[pgx.Tx] // insert-only
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool, url := dbtest.NewWithURL(t)
	f := &fixture{t: t, pool: pool, url: url}
	var checkerID int64
	f.makerID, checkerID = f.staff("maker"), f.staff("checker")
	f.maker = actor.With(context.Background(), &actor.Actor{ID: f.makerID, Email: "maker@test", Roles: []string{"finance"}, View: rbac.FullView()})
	f.checker = actor.With(context.Background(), &actor.Actor{ID: checkerID, Email: "checker@test", Roles: []string{"finance"}, View: rbac.FullView()})
	f.account = f.client("Олена Коваленко", "OLENA KOVALENKO", "tok_4111")
	f.topUp(f.account, 1_000_000)
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	f.jobs = jobs
	return f
}

func (f *fixture) staff(name string) int64 {
	return testfactory.Staff(context.Background(), f.t, f.pool, testfactory.StaffOpts{Name: name})
}

// client adds a client whose saved card has the given holder name and token.
func (f *fixture) client(name, cardHolder, token string) int64 {
	return testfactory.Account(context.Background(), f.t, f.pool, testfactory.AccountOpts{Name: name, CardHolder: cardHolder, CardToken: token})
}

// topUp brings money in from the gateway, as a card top-up does.
func (f *fixture) topUp(account, amount int64) {
	testfactory.TopUpUser(context.Background(), f.t, f.pool, ledger.UserID(account), ledger.Minor(amount))
}

func (f *fixture) balances(account int64) ledger.UserBalances {
	b, err := ledger.Balances(context.Background(), f.pool, ledger.UserID(account))
	require.NoError(f.t, err)
	return b
}

// platform returns a platform account's balance.
func (f *fixture) platform(kind ledger.Kind) int64 {
	var v int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `SELECT coalesce(sum(b.balance), 0) FROM ledger_balances b
		JOIN ledger_accounts a ON a.id = b.ledger_account_id WHERE a.kind = $1 AND a.owner_account_id IS NULL`, kind).Scan(&v))
	return v
}

func (f *fixture) jobCount(payoutID int64) int {
	var n int
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'payouts_execute' AND (args->>'payout_id')::bigint = $1`, payoutID).Scan(&n))
	return n
}
