package payouts_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
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

var staffSeq atomic.Int64

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
	var id int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
		fmt.Sprintf("%s%d@test.postdesk", name, staffSeq.Add(1)), name).Scan(&id))
	return id
}

// client adds a client whose saved card has the given holder name and token.
func (f *fixture) client(name, cardHolder, token string) int64 {
	var id int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `
		INSERT INTO accounts (kind, name, phone, email, card_last4, card_token, card_holder)
		VALUES ('client', $1, '+380671234567', $2, right($3, 4), $3, $4) RETURNING id`,
		name, fmt.Sprintf("c%d@example.com", staffSeq.Add(1)), token, cardHolder).Scan(&id))
	return id
}

// topUp brings money in from the gateway, as a card top-up does.
func (f *fixture) topUp(account, amount int64) {
	ctx := context.Background()
	require.NoError(f.t, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		acc, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(account))
		if err != nil {
			return err
		}
		plat, err := ledger.Platform(ctx, tx)
		if err != nil {
			return err
		}
		_, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("test:topup:%d:%d", account, amount), Reason: "top_up",
			Legs: ledger.Move(plat.GatewayClearing, acc.Available, ledger.Minor(amount))})
		return err
	}))
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
