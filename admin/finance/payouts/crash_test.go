package payouts_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
	"github.com/postdesk/postdesk/jobs"
)

// TestMain lets the test binary serve as a worker process for the crash test: started with
// PAYOUTS_CRASH_WORKER=1 it runs River's workers as `postdesk worker` does (jobs.New) until it
// is killed.
func TestMain(m *testing.M) {
	if os.Getenv("PAYOUTS_CRASH_WORKER") == "1" {
		crashWorker()
		return
	}
	os.Exit(m.Run())
}

func crashWorker() {
	ctx := context.Background()
	fail := func(err error) {
		if err != nil {
			slog.Error("crash worker", "err", err)
			os.Exit(2)
		}
	}
	pool, err := db.Open(ctx, os.Getenv("PAYOUTS_CRASH_DB"))
	fail(err)
	dir, err := os.MkdirTemp("", "payouts-crash-worker")
	fail(err)
	defer os.RemoveAll(dir)
	gw := gateway.New(gateway.Config{URL: os.Getenv("PAYOUTS_CRASH_GATEWAY"), Merchant: "crash_merchant", Secret: "crash-secret",
		Currency: "UAH", Timeout: time.Second})
	client, err := jobs.New(pool, jobs.Options{Work: true, Workers: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DataDir: dir, Gateway: gw, PayoutWorkers: 3, PayoutTimeout: 2 * time.Second, JobTimeout: 2 * time.Second, RescueAfter: 3 * time.Second})
	fail(err)
	fail(client.Start(ctx))
	fmt.Println("ready") // the test kills a worker only once it works
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	jobs.Stop(client, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// Defect 6, as staff met it: two worker processes pay 200 payouts through the sandbox gateway
// while one of them is killed with SIGKILL at random moments ten times and started again. The
// gateway (its own records, and the new payments it counted) paid each payout exactly once,
// none is lost, and none is left "sending" once River's rescue window (3 s here) has passed:
// River's default of an hour left them stuck.
func TestCrashKilledWorkerPaysEachPayoutOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sb := sandbox.New(sandbox.Options{Merchant: "crash_merchant", Secret: "crash-secret", Pool: f.pool, Delay: 60 * time.Millisecond})
	gwURL, err := sb.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })

	const n = 200
	ids := make([]int64, 0, n)
	for i := range n {
		p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: int64(1000 + i)})
		require.NoError(t, err)
		ids = append(ids, p.ID)
	}

	// start runs a worker process and waits until its workers run: on a loaded machine a process
	// (built with -race) can take longer to start than the time between kills, and a worker killed
	// before it starts interrupts nothing.
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "PAYOUTS_CRASH_WORKER=1", "PAYOUTS_CRASH_DB="+f.url, "PAYOUTS_CRASH_GATEWAY="+gwURL)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "ready" {
					close(ready)
					break
				}
			}
			_, _ = io.Copy(io.Discard, out)
		}()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			t.Fatal("a worker process did not start in 30 s")
		}
		return cmd
	}
	began := time.Now()
	steady, victim := start(), start()
	t.Cleanup(func() {
		for _, c := range []*exec.Cmd{steady, victim} {
			_ = c.Process.Kill()
			_, _ = c.Process.Wait()
		}
	})

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 0))
	for range 10 {
		time.Sleep(time.Duration(150+rnd.IntN(450)) * time.Millisecond)
		require.NoError(t, victim.Process.Signal(syscall.SIGKILL))
		_, _ = victim.Process.Wait()
		victim = start()
	}
	killed := time.Since(began)

	remaining := func() (final, sending int) {
		require.NoError(t, f.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state IN ('paid', 'failed', 'refused')),
			count(*) FILTER (WHERE state = 'sending') FROM payouts`).Scan(&final, &sending))
		return
	}
	deadline := time.Now().Add(50 * time.Second)
	for {
		final, sending := remaining()
		if final == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d payouts final, %d still sending", time.Since(began), final, n, sending)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var interrupted int
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE attempts > 1`).Scan(&interrupted))
	t.Logf("10 kills in %s; all %d final after %s; %d payouts were interrupted and taken up again; gateway: %d credit requests, %d new payments",
		killed.Round(time.Millisecond), n, time.Since(began).Round(time.Millisecond), interrupted, sb.Credits(), sb.Accepted())
	require.Positive(t, interrupted, "the kills interrupted payouts in flight")

	// At the gateway: one payment per payout, for its amount, and no other.
	require.Equal(t, n, sb.Accepted(), "new payments the gateway made")
	byRef := map[string]gateway.Amount{}
	for _, p := range sb.Payments() {
		_, dup := byRef[p.Ref]
		require.False(t, dup, p.Ref)
		byRef[p.Ref] = p.Amount
	}
	require.Len(t, byRef, n)
	for i, id := range ids {
		p, err := payouts.Get(ctx, f.pool, id)
		require.NoError(t, err)
		require.Equal(t, payouts.Paid, p.State, p.Reference)
		require.Equal(t, gateway.Amount(1000+i), byRef[p.Reference], p.Reference)
	}
	// In the ledger: each paid once.
	var paid, payoutsPaid int
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT payout_id) FROM ledger_transfers WHERE reason = 'payout_paid'`).Scan(&paid, &payoutsPaid))
	require.Equal(t, [2]int{n, n}, [2]int{paid, payoutsPaid})
	require.Zero(t, f.platform(ledger.PayoutsPending))
	viol, err := ledger.CheckInvariants(ctx, f.pool)
	require.NoError(t, err)
	require.Empty(t, viol)
}
