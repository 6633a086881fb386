package ledger_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/finance/ledger"
)

func BenchmarkScratch(b *testing.B) {
	workers, _ := strconv.Atoi(os.Getenv("W"))
	conns, _ := strconv.Atoi(os.Getenv("C"))
	f := fixtureOn(b, openPool(b, int32(conns)))
	ctx := context.Background()
	clients := benchUsers(b, f, "client", 1_000)
	couriers := benchUsers(b, f, "courier", 200)
	mode := os.Getenv("M")
	round := 0
	b.Run("x", func(b *testing.B) {
		round++
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					key := fmt.Sprintf("r%d:%d", round, i)
					c, k := clients[(i+w)%len(clients)], couriers[i%len(couriers)]
					var err error
					switch mode {
					case "transfer":
						err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
							_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: key, Reason: "x", Legs: ledger.Move(c.Available, k.Available, 1)})
							return err
						})
					case "revenue":
						err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
							_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: key, Reason: "x", Legs: ledger.Move(c.Available, f.platform.Revenue, 1)})
							return err
						})
					case "empty":
						err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
							_, err := tx.Exec(ctx, "SELECT 1")
							return err
						})
					default:
						err = settle(ctx, f, key, c, k, 1000)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	})
}
