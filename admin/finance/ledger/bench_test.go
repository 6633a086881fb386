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
// held at placement, the courier's deposit at the deal, and at delivery the deposit is released
// and the client's hold captured (courier share + platform commission): four transfers in three
// transactions. The ledger is checked after every round.
//
// The workers share a pool sized as the application's is (pgxpool's default: 4 connections on 2
// cores): on a 2-core machine more connections only add PostgreSQL processes that contend for the
// same cores, and measured slower.
func BenchmarkSettlement(b *testing.B) {
	const workers = 32
	f := newFixture(b)
	ctx := context.Background()
	clients := benchUsers(b, f, "client", 1_000)
	couriers := benchUsers(b, f, "courier", 200)

	round := 0
	b.Run(fmt.Sprintf("workers=%d/conns=%d", workers, f.pool.Config().MaxConns), func(b *testing.B) {
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
	// Delivered: the deposit comes back first, so the platform's revenue row is locked last and
	// for the shortest time.
	return pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		_, err := ledger.ReleaseHold(ctx, tx, ledger.ReleaseRequest{Key: order + ":deposit-released", Hold: deposit.Hold.ID, Reason: "order.delivered"})
		if err != nil {
			return err
		}
		fee := cost / 10
		_, err = ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: order + ":delivered", Hold: placed.Hold.ID, Reason: "order.delivered",
			To: []ledger.Leg{{Account: courier.Available, Amount: cost - fee}, {Account: f.platform.Revenue, Amount: fee}}})
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
	// Statistics for the new rows, as autovacuum would gather: plans made for a near-empty table
	// scan it whole.
	_, err := f.pool.Exec(ctx, `ANALYZE ledger_accounts, ledger_balances`)
	require.NoError(b, err)
	return users
}

// BenchmarkTrialBalance reads the trial balance of a ledger with 10,000,000 entries spread over
// 10,000 users, and reports how long CheckInvariants takes on it.
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
	seedTransfers(b, f.pool, "tb", "topup", 5_000_000, 2, time.Now().AddDate(-1, 0, 0), 6*time.Second, f.platform.GatewayClearing, users)
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

// BenchmarkStatement builds a year's statement for a client with 100,000 entries (a top-up and a
// charge every ten minutes), among 900,000 entries of other users.
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
	seedTransfers(b, f.pool, "noise", "topup", 450_000, 2, start, time.Minute, f.platform.GatewayClearing, others)
	seedTransfers(b, f.pool, "top", "topup", 50_000, 2, start, 10*time.Minute, f.platform.GatewayClearing, []ledger.AccountID{c.Available})
	seedTransfers(b, f.pool, "charge", "order.delivered", 50_000, 2, start.Add(5*time.Minute), 10*time.Minute, c.Available, []ledger.AccountID{f.platform.Revenue})

	f.requireSound(b)

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

// seedTransfers posts n transfers of legs legs each in one statement: transfer g moves 1..997 from
// `from` to each of legs-1 accounts of to, at time start + g*step. The accounts of to take the
// transfers in turn, a block each, so that every index grows at its end as the ledger's do in life.
// Benchmarks only: as a superuser (the local test server's role is one) it skips the triggers,
// whose foreign-key checks alone take longer than the seed for ten million entries; the
// benchmarks then check the seeded ledger with CheckInvariants.
func seedTransfers(b *testing.B, pool *pgxpool.Pool, prefix, reason string, n, legs int, start time.Time, step time.Duration, from ledger.AccountID, to []ledger.AccountID) {
	b.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var super bool
		if err := tx.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil {
			return err
		}
		if super {
			if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `
			WITH credit AS MATERIALIZED (
				SELECT g, leg, (1 + (g * 31 + leg) % 997)::bigint AS amount,
					($7::bigint[])[1 + ((g - 1)::bigint * ($8 - 1) + leg - 2) * cardinality($7::bigint[]) / ($3 * ($8 - 1))] AS account
				FROM generate_series(1, $3::int) g, generate_series(2, $8::int) leg
			), total AS (
				SELECT g, sum(amount)::bigint AS amount FROM credit GROUP BY g
			), t AS (
				INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs, created_at)
				SELECT $1 || ':' || g, '\x00', $2, amount, $8, $4::timestamptz + g * $5::interval FROM total
				RETURNING id, split_part(idempotency_key, ':', 2)::int AS g, amount, created_at
			), entries AS (
				INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount, created_at)
				SELECT t.id, 1, $8, $6, -t.amount, t.created_at FROM t
				UNION ALL
				SELECT t.id, c.leg, $8, c.account, c.amount, t.created_at FROM t JOIN credit c USING (g)
			), delta AS (
				SELECT account, sum(amount) AS amount FROM credit GROUP BY account
				UNION ALL
				SELECT $6, -sum(amount) FROM total
			)
			UPDATE ledger_balances b SET balance = b.balance + d.amount
			FROM (SELECT account, sum(amount)::bigint AS amount FROM delta GROUP BY account) d
			WHERE b.ledger_account_id = d.account AND b.slot = 0`,
			prefix, reason, n, start, step, from, to, legs)
		return err
	})
	require.NoError(b, err)
	// As autovacuum would: statistics for the planner, the visibility map for index-only scans.
	_, err = pool.Exec(ctx, `VACUUM ANALYZE ledger_transfers, ledger_entries, ledger_balances`)
	require.NoError(b, err)
}

// BenchmarkPostTogether posts batches of holds (each from one of 1,000 clients' available money
// into their held account) through one connection, one transaction per batch: alone (one call of
// ledger_post each) and together (ledger_post_many), per batch size. It reports microseconds per
// posting, which set postTogetherFrom.
//
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench PostTogether ./admin/finance/ledger/
func BenchmarkPostTogether(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	clients := benchUsers(b, f, "client", 1_000)
	key := 0
	for _, size := range []int{1, 2, 4, 8, 64} {
		for _, mode := range []string{"alone", "together"} {
			b.Run(fmt.Sprintf("size=%d/%s", size, mode), func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					ps := make([]ledger.Posting, size)
					for i := range ps {
						key++
						c := clients[key%len(clients)]
						ps[i] = ledger.HoldPosting(ledger.HoldRequest{Key: fmt.Sprintf("pt:%d", key), From: c.Available, To: c.Held,
							Amount: 1, Reason: "order.placed"})
					}
					require.NoError(b, f.tx(b, func(tx pgx.Tx) error {
						if mode == "alone" {
							for _, p := range ps {
								if _, err := ledger.Post(ctx, tx, p); err != nil {
									return err
								}
							}
							return nil
						}
						_, ok, err := ledger.PostTogether(ctx, tx, ps)
						if err == nil && !ok {
							err = fmt.Errorf("batch of %d not posted together", size)
						}
						return err
					}))
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N*size), "µs/posting")
			})
		}
	}
}
