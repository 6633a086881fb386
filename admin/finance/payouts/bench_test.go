package payouts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
)

// BenchmarkSandboxPayouts pays approved payouts end to end through River with 2 workers against
// the sandbox over HTTP: claim, P2P_CREDIT, ledger transfer, audit and JobCompleteTx per payout.
func BenchmarkSandboxPayouts(b *testing.B) {
	for range b.N {
		benchPayouts(b, 1000)
	}
}

func benchPayouts(b *testing.B, n int) {
	b.StopTimer()
	f := newFixture(b)
	sb, gw := sandboxGateway(b, sandbox.Options{})
	ctx := context.Background()
	f.topUp(f.account, int64(n)*1000) // plenty for n payouts of 10.00
	for i := range n {
		_, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 1000})
		require.NoError(b, err, "payout %d", i)
	}
	b.StartTimer()
	start := time.Now()
	w := f.worker(gw, nil)
	for {
		var left int
		require.NoError(b, f.pool.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE state NOT IN ('paid', 'failed')`).Scan(&left))
		if left == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	_ = w.Stop(ctx)
	require.Len(b, sb.Payments(), n)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "payouts/s")
	fmt.Printf("%d payouts in %s\n", n, elapsed.Round(time.Millisecond))
}
