package settle_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
)

// BenchmarkOrderSettlement runs whole orders (placement hold → deal deposit → delivery capture with
// commission and the deposit's release: four transfers) with 32 concurrent workers, each event in
// its own transaction as the orders pages make them, and checks the invariants afterwards. The
// pool has 4 connections, as the application's has on 2 cores (pgxpool's default): more only add
// PostgreSQL processes contending for the same cores, and measured slower.
//
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench OrderSettlement -benchtime 4000x ./admin/finance/settle/
func BenchmarkOrderSettlement(b *testing.B) {
	// As many parties as the ledger's own settlement benchmark: with a few dozen, the workers
	// mostly wait for one another on the same clients' balances (64 of each measured half the
	// throughput), which a platform with thousands of users does not see.
	const workers, nClients, nCouriers = 32, 1000, 200
	f, url := benchFixture(b, 4)
	var clients, couriers []ledger.UserID
	for range nClients {
		clients = append(clients, f.user(b, "client", 1_000_000_00))
	}
	for range nCouriers {
		couriers = append(couriers, f.user(b, "courier", 1_000_000_00))
	}
	ids := make([]int64, b.N)
	for i := range ids {
		ids[i] = f.order(b, clients[i%nClients], couriers[(i*7+3)%nCouriers], 50_00, 200_00, time.Time{})
	}
	// Statistics for the new rows, as autovacuum would gather them on a live database: a plan made
	// for near-empty tables scans them whole once they have grown, and the run's speed would
	// depend on when autovacuum happened to come by.
	_, err := f.pool.Exec(f.ctx, `ANALYZE orders, accounts, ledger_accounts, ledger_balances, ledger_holds, order_money`)
	require.NoError(b, err)
	work := make(chan int64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	b.ResetTimer()
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				for _, e := range []func(context.Context, pgx.Tx, int64) error{settle.Place, settle.Accept, settle.Deliver} {
					if err := retry(f, e, id); err != nil {
						mu.Lock()
						failed = fmt.Errorf("order %d: %w", id, err)
						mu.Unlock()
					}
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	require.NoError(b, failed)
	transfers := float64(4*b.N) / elapsed.Seconds()
	b.ReportMetric(transfers, "transfers/s")
	// The machine's limit, measured on the same server in the same run: pgbench's simple-update
	// transactions (-N) from as many connections as the settlement's pool.
	if tps, ok := pgbenchTPS(b, url, 4); ok {
		b.ReportMetric(tps, "pgbench-N-tps")
		b.ReportMetric(transfers/tps, "ratio")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(retries.Swap(0)), "deadlock-retries")
	f.sound(b)
}

// BenchmarkOrderSettlementBatched settles the same orders as BenchmarkOrderSettlement through
// settle.Batch: each of 4 workers (one per connection of the pool) takes the next 64 orders and
// runs their placement, deal and delivery as three batches, each in its own transaction — how
// bulk settlement posts (one statement per table for the batch's transfers,
// ledger_post_many). It reports the ledger's transfers per second beside pgbench -N's
// transactions per second measured on the same server in the same run, and checks the
// invariants afterwards.
//
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench OrderSettlementBatched -benchtime 20000x ./admin/finance/settle/
func BenchmarkOrderSettlementBatched(b *testing.B) {
	const conns, batch, nClients, nCouriers = 4, 64, 1000, 200
	f, url := benchFixture(b, conns)
	var clients, couriers []ledger.UserID
	for range nClients {
		clients = append(clients, f.user(b, "client", 1_000_000_00))
	}
	for range nCouriers {
		couriers = append(couriers, f.user(b, "courier", 1_000_000_00))
	}
	ids := make([]int64, b.N)
	for i := range ids {
		ids[i] = f.order(b, clients[i%nClients], couriers[(i*7+3)%nCouriers], 50_00, 200_00, time.Time{})
	}
	_, err := f.pool.Exec(f.ctx, `ANALYZE orders, accounts, ledger_accounts, ledger_balances, ledger_holds, order_money`)
	require.NoError(b, err)
	work := make(chan []int64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	fail := func(err error) {
		mu.Lock()
		failed = err
		mu.Unlock()
	}
	b.ResetTimer()
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for chunk := range work {
				for _, e := range []settle.Event{settle.EventPlace, settle.EventAccept, settle.EventDeliver} {
					err := retryTx(f, func(tx pgx.Tx) error {
						errs, err := settle.Batch(f.ctx, tx, e, chunk)
						if err != nil {
							return err
						}
						for i, err := range errs {
							if err != nil {
								return fmt.Errorf("order %d: %s: %w", chunk[i], e, err)
							}
						}
						return nil
					})
					if err != nil {
						fail(err)
					}
				}
			}
		})
	}
	for len(ids) > 0 {
		n := min(batch, len(ids))
		work <- ids[:n]
		ids = ids[n:]
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	require.NoError(b, failed)
	transfers := float64(4*b.N) / elapsed.Seconds()
	b.ReportMetric(transfers, "transfers/s")
	if tps, ok := pgbenchTPS(b, url, conns); ok {
		b.ReportMetric(tps, "pgbench-N-tps")
		b.ReportMetric(transfers/tps, "ratio")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(retries.Swap(0)), "deadlock-retries")
	var n int
	require.NoError(b, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM ledger_transfers WHERE reason = 'order.delivered'`).Scan(&n))
	require.Equal(b, b.N, n, "every order delivered once")
	f.sound(b)
}

// retryTx runs fn in a transaction, again after a deadlock or a serialization failure.
func retryTx(f *fixture, fn func(pgx.Tx) error) error {
	var err error
	for range 5 {
		if err = pgx.BeginFunc(f.ctx, f.pool, fn); err == nil || !deadlock(err) {
			return err
		}
		retries.Add(1)
	}
	return err
}

// retry runs one event in its own transaction, again after a deadlock (the ledger may answer a
// transaction posting several transfers with 40P01).
func retry(f *fixture, e func(context.Context, pgx.Tx, int64) error, id int64) error {
	var err error
	for range 5 {
		if err = f.do(e, id); err == nil || !deadlock(err) {
			return err
		}
		retries.Add(1)
	}
	return err
}

// retries counts the events run again after a deadlock.
var retries atomic.Int64

// benchFixture is a fresh database with a pool of conns connections, and the database's URL.
func benchFixture(b *testing.B, conns int) (*fixture, string) {
	_, url := dbtest.NewWithURL(b)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(b, err)
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	p, err := ledger.Platform(context.Background(), pool)
	require.NoError(b, err)
	return &fixture{ctx: context.Background(), pool: pool, platform: p}, url
}

// pgbenchTPS runs `pgbench -N` (scale 10, clients connections, 15 s) in the benchmark's own
// database and returns its transactions per second; false when pgbench is not installed.
func pgbenchTPS(b *testing.B, url string, clients int) (float64, bool) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
		if len(dirs) == 0 {
			b.Log("pgbench not found: no ratio (apt-get install postgresql-client)")
			return 0, false
		}
		slices.Sort(dirs)
		bin = dirs[len(dirs)-1]
	}
	out, err := exec.Command(bin, "-i", "-s", "10", "-q", url).CombinedOutput()
	require.NoError(b, err, "%s", out)
	out, err = exec.Command(bin, "-N", "-c", strconv.Itoa(clients), "-j", "2", "-T", "15", url).CombinedOutput()
	require.NoError(b, err, "%s", out)
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	require.NotNil(b, m, "%s", out)
	tps, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(b, err)
	return tps, true
}
