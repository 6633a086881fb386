package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// Benchmarks run only with -bench; the seeding they need lives inside them.
//
//	go test ./admin/finance/ledger/ -run '^$' -bench Settlement -benchtime 20000x
//	go test ./admin/finance/ledger/ -run '^$' -bench 'TrialBalance|Statement' -timeout 30m

// BenchmarkSettlement settles orders with 32 concurrent workers: per order, the client's cost is
// held at placement, the courier's deposit at the deal, and at delivery the client's hold is
// captured (courier share + platform commission) and the deposit released: four transfers in three
// transactions. The ledger is checked after every round.
func BenchmarkSettlement(b *testing.B) {
	const workers = 32
	f := fixtureOn(b, openPool(b, workers))
	ctx := context.Background()
	clients := benchUsers(b, f, "client", 1_000)
	couriers := benchUsers(b, f, "courier", 200)

	round := 0
	b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
		round++
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					if err := settle(ctx, f, fmt.Sprintf("r%d:%d", round, i), clients[(i+w)%len(clients)], couriers[i%len(couriers)], ledger.Minor(1_000+i%4_000)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(4*b.N)/elapsed.Seconds(), "transfers/s")
		f.requireSound(b)
	})
}

// settle runs one order's money from placement to delivery, 10% commission.
func settle(ctx context.Context, f *fixture, order string, client, courier ledger.UserAccounts, cost ledger.Minor) error {
	var placed, deposit ledger.HoldResult
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) (err error) {
		placed, err = ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: order + ":placed", From: client.Available, To: client.Held,
			Amount: cost, Reason: "order.placed", Links: ledger.Links{OrderRef: order}})
		return err
	})
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) (err error) {
		deposit, err = ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: order + ":deal", From: courier.Available, To: courier.Deposit,
			Amount: 10_000 + cost, Reason: "order.deal", Links: ledger.Links{OrderRef: order}})
		return err
	})
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		fee := cost / 10
		_, err := ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: order + ":delivered", Hold: placed.Hold.ID, Reason: "order.delivered",
			To: []ledger.Leg{{Account: courier.Available, Amount: cost - fee}, {Account: f.platform.Revenue, Amount: fee}}})
		if err != nil {
			return err
		}
		_, err = ledger.ReleaseHold(ctx, tx, ledger.ReleaseRequest{Key: order + ":deposit-released", Hold: deposit.Hold.ID, Reason: "order.delivered"})
		return err
	})
}

// benchUsers creates n users of a kind, each topped up with plenty, in one transfer.
func benchUsers(b *testing.B, f *fixture, kind string, n int) []ledger.UserAccounts {
	b.Helper()
	ctx := context.Background()
	users := make([]ledger.UserAccounts, n)
	legs := []ledger.Leg{{Account: f.platform.GatewayClearing, Amount: -ledger.Minor(n) * 1e10}}
	for i := range users {
		_, users[i] = f.user(b, kind)
		legs = append(legs, ledger.Leg{Account: users[i].Available, Amount: 1e10})
	}
	require.NoError(b, f.tx(b, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "seed:" + kind, Reason: "topup", Legs: legs})
		return err
	}))
	return users
}

// BenchmarkTrialBalance reads the trial balance of a ledger with 10,000,000 entries (5,000,000
// top-ups spread over 10,000 users), and reports how long CheckInvariants takes on it.
func BenchmarkTrialBalance(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	var users []ledger.AccountID
	require.NoError(b, f.pool.QueryRow(ctx, `
		WITH u AS (
			INSERT INTO accounts (kind, name, phone)
			SELECT 'client', 'bench ' || g, '+38' || lpad(g::text, 10, '0') FROM generate_series(1, 10000) g
			RETURNING id)
		, a AS (INSERT INTO ledger_accounts (kind, owner_account_id) SELECT 'user_available', id FROM u RETURNING id)
		SELECT array_agg(id) FROM a`).Scan(&users))
	seed := time.Now()
	seedTransfers(b, f.pool, "tb", "topup", 5_000_000, time.Now().AddDate(-1, 0, 0), time.Second, f.platform.GatewayClearing, users)
	b.Logf("seeded 10,000,000 entries in %s", time.Since(seed).Round(time.Millisecond))

	b.Run("TrialBalance", func(b *testing.B) {
		for b.Loop() {
			trial, err := ledger.TrialBalance(ctx, f.pool)
			require.NoError(b, err)
			require.Zero(b, trial.Total)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms")
	})
	b.Run("CheckInvariants", func(b *testing.B) {
		for b.Loop() {
			v, err := ledger.CheckInvariants(ctx, f.pool)
			require.NoError(b, err)
			require.Empty(b, v)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms")
	})
}

// BenchmarkStatement builds a year's statement for a client with 100,000 entries (top-ups and
// charges every few minutes), among 900,000 entries of other users.
func BenchmarkStatement(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	client, c := f.user(b, "client")
	var others []ledger.AccountID
	for range 100 {
		_, o := f.user(b, "client")
		others = append(others, o.Available)
	}
	start := time.Now().AddDate(-1, 0, 0)
	seedTransfers(b, f.pool, "noise", "topup", 450_000, start, time.Minute, f.platform.GatewayClearing, others)
	seedTransfers(b, f.pool, "top", "topup", 50_000, start, 10*time.Minute, f.platform.GatewayClearing, []ledger.AccountID{c.Available})
	seedTransfers(b, f.pool, "charge", "order.delivered", 50_000, start.Add(5*time.Minute), 10*time.Minute, c.Available, []ledger.AccountID{f.platform.Revenue})

	var st ledger.UserStatement
	b.Run("100k", func(b *testing.B) {
		for b.Loop() {
			var err error
			st, err = ledger.Statement(ctx, f.pool, client, start.Add(time.Hour), time.Now())
			require.NoError(b, err)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms")
	})
	require.Greater(b, len(st.Lines), 99_000)
	bal, err := ledger.Balances(ctx, f.pool, client)
	require.NoError(b, err)
	require.Equal(b, bal.Available, st.Closing)
}

// seedTransfers posts n two-leg transfers in one statement, through the posting trigger like any
// other: transfer g moves 1..997 from `from` to to[g mod len(to)] at time start + g*step.
func seedTransfers(b *testing.B, pool *pgxpool.Pool, prefix, reason string, n int, start time.Time, step time.Duration, from ledger.AccountID, to []ledger.AccountID) {
	b.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		WITH t AS (
			INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, created_at)
			SELECT $1 || ':' || g, '\x00', $2, 1 + g % 997, $4::timestamptz + g * $5::interval
			FROM generate_series(1, $3::int) g
			RETURNING id, amount, created_at
		)
		INSERT INTO ledger_entries (transfer_id, ledger_account_id, amount, created_at)
		SELECT t.id, CASE leg WHEN 0 THEN $6 ELSE ($7::bigint[])[1 + t.id % cardinality($7::bigint[])] END,
			CASE leg WHEN 0 THEN -t.amount ELSE t.amount END, t.created_at
		FROM t CROSS JOIN generate_series(0, 1) AS leg`,
		prefix, reason, n, start, step, from, to)
	require.NoError(b, err)
	// As autovacuum would: statistics for the planner, the visibility map for index-only scans.
	_, err = pool.Exec(ctx, `VACUUM ANALYZE ledger_transfers, ledger_entries, ledger_accounts`)
	require.NoError(b, err)
}
