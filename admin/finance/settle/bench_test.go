package settle_test

import (
	"context"
	"fmt"
	"sync"
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
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench OrderSettlement -benchtime 2000x ./admin/finance/settle/
func BenchmarkOrderSettlement(b *testing.B) {
	const workers, parties = 32, 64
	f := benchFixture(b, 4)
	var clients, couriers []ledger.UserID
	for range parties {
		clients = append(clients, f.user(b, "client", 1_000_000_00))
		couriers = append(couriers, f.user(b, "courier", 1_000_000_00))
	}
	ids := make([]int64, b.N)
	for i := range ids {
		ids[i] = f.order(b, clients[i%parties], couriers[(i*7+3)%parties], 50_00, 200_00, time.Time{})
	}
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
	b.ReportMetric(float64(4*b.N)/elapsed.Seconds(), "transfers/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	f.sound(b)
}

// retry runs one event in its own transaction, again after a deadlock (the ledger may answer a
// transaction posting several transfers with 40P01).
func retry(f *fixture, e func(context.Context, pgx.Tx, int64) error, id int64) error {
	var err error
	for range 5 {
		if err = f.do(e, id); err == nil || !deadlock(err) {
			return err
		}
	}
	return err
}

// benchFixture is a fresh database with a pool of conns connections.
func benchFixture(b *testing.B, conns int) *fixture {
	_, url := dbtest.NewWithURL(b)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(b, err)
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	p, err := ledger.Platform(context.Background(), pool)
	require.NoError(b, err)
	return &fixture{ctx: context.Background(), pool: pool, platform: p}
}
