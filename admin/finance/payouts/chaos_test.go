package payouts_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
	"github.com/postdesk/postdesk/jobs"
)

// sandboxGateway runs the sandbox over HTTP and returns it with a client.
func sandboxGateway(t testing.TB, o sandbox.Options) (*sandbox.Server, *gateway.Client) {
	o.Merchant, o.Secret = "chaos_merchant", "chaos-secret"
	s := sandbox.New(o)
	url, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, gateway.New(gateway.Config{URL: url, Merchant: o.Merchant, Secret: o.Secret, Currency: "UAH", Timeout: 2 * time.Second})
}

// worker starts a River client running the real payout worker with 2 workers.
func (f *fixture) worker(gw *gateway.Client, at func(context.Context, string, int64) error) *river.Client[pgx.Tx] {
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.PayoutsExecuteWorker{Exec: &payouts.Executor{Pool: f.pool, Gateway: gw, At: at}})
	c, err := river.NewClient(riverpgxv5.New(f.pool), &river.Config{
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		Workers:             workers,
		Queues:              map[string]river.QueueConfig{payouts.Queue: {MaxWorkers: 2}},
		FetchPollInterval:   20 * time.Millisecond,
		FetchCooldown:       5 * time.Millisecond,
		TestOnly:            true,
		SkipUnknownJobCheck: true, // a declined payout's notice queues its delivery through this client
	})
	require.NoError(f.t, err)
	require.NoError(f.t, c.Start(context.Background()))
	return c
}

func (f *fixture) waitFinal(id int64) payouts.Payout {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		p, err := payouts.Get(context.Background(), f.pool, id)
		require.NoError(f.t, err)
		if p.State.Final() {
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.t.Fatalf("payout %d never became final", id)
	return payouts.Payout{}
}

// The worker is cancelled, or frozen as if its process died, at each step of a payout; another
// worker takes the job over (River's rescue is done by hand here, as its rescuer would do it an
// hour later). Whatever the step, the gateway's own records show one payment, and the ledger
// moved the money once.
func TestChaosPayoutIsPaidExactlyOnce(t *testing.T) {
	for _, step := range []string{payouts.StepBeforeCall, payouts.StepAfterAccepted, payouts.StepBeforeStore} {
		for _, mode := range []string{"cancel", "kill"} {
			t.Run(step+"/"+mode, func(t *testing.T) {
				f := newFixture(t)
				sb, gw := sandboxGateway(t, sandbox.Options{})
				ctx := context.Background()

				reached := make(chan struct{})
				release := make(chan struct{})
				var once sync.Once
				hook := func(ctx context.Context, at string, _ int64) error {
					if at != step {
						return nil
					}
					first := false
					once.Do(func() { first = true })
					if !first {
						return nil
					}
					close(reached)
					if mode == "cancel" {
						<-ctx.Done()
						return ctx.Err()
					}
					<-release // frozen: it wakes up later as a zombie and carries on
					return nil
				}
				a := f.worker(gw, hook)
				p, err := payouts.Place(f.maker, f.pool, a, payouts.Request{AccountID: f.account, Amount: 40_000})
				require.NoError(t, err)
				select {
				case <-reached:
				case <-time.After(15 * time.Second):
					t.Fatal("the worker never reached " + step)
				}

				if mode == "cancel" {
					stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
					require.NoError(t, a.StopAndCancel(stopCtx))
					cancel()
					_, err = f.pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE kind = 'payouts_execute' AND state = 'retryable'`)
				} else {
					// What River's rescuer does with a job whose worker died.
					_, err = f.pool.Exec(ctx, `UPDATE river_job SET state = 'retryable', scheduled_at = now() WHERE kind = 'payouts_execute' AND state = 'running'`)
				}
				require.NoError(t, err)

				b := f.worker(gw, nil)
				if mode == "kill" {
					// Let the new worker run alongside the frozen one, then wake the zombie. (Frozen
					// inside its result transaction it still holds the payout's row lock, so the new
					// worker waits for it, as it would for a stalled process; a dead one's connection
					// would drop and release the lock at once.)
					time.Sleep(500 * time.Millisecond)
					close(release)
				}
				final := f.waitFinal(p.ID)
				require.Equal(t, payouts.Paid, final.State)
				if mode == "kill" {
					time.Sleep(300 * time.Millisecond) // let the zombie finish whatever it still does
					stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
					_ = a.StopAndCancel(stopCtx)
					cancel()
				}
				stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				require.NoError(t, b.Stop(stopCtx))
				cancel()

				// The gateway's own records: one payment under the reference.
				n := 0
				for _, pay := range sb.Payments() {
					if pay.Ref == p.Reference {
						n++
						require.Equal(t, gateway.Amount(40_000), pay.Amount)
						require.Equal(t, gateway.StatusApproved, pay.Status)
					}
				}
				require.Equal(t, 1, n)
				// The ledger agrees: placed once, paid once, nothing left pending.
				var place, paid, other int
				require.NoError(t, f.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE reason = 'payout_placed'), count(*) FILTER (WHERE reason = 'payout_paid'),
					count(*) FILTER (WHERE reason NOT IN ('payout_placed', 'payout_paid')) FROM ledger_transfers WHERE payout_id = $1`, p.ID).Scan(&place, &paid, &other))
				require.Equal(t, [3]int{1, 1, 0}, [3]int{place, paid, other})
				require.Equal(t, ledger.Minor(960_000), f.balances(f.account).Available)
				require.Zero(t, f.platform(ledger.PayoutsPending))
				require.Equal(t, int64(-1_000_000+40_000), f.platform(ledger.GatewayClearing))
				viol, err := ledger.CheckInvariants(ctx, f.pool)
				require.NoError(t, err)
				require.Empty(t, viol)
			})
		}
	}
}

// A lost answer (the gateway paid, the reply never came) and a decline: the retry asks
// CHECK_STATUS and pays nothing more; a decline returns the money and tells the user.
func TestLostAnswerAndDecline(t *testing.T) {
	f := newFixture(t)
	sb, gw := sandboxGateway(t, sandbox.Options{})
	ctx := context.Background()
	declined := f.client("Сергій Іванов", "SERHII IVANOV", "tok_0002")
	f.topUp(declined, 30_000)

	sb.Inject(sandbox.FaultLoseAnswer, sandbox.Fault500)
	w := f.worker(gw, nil)
	defer func() { _ = w.Stop(ctx) }()
	p1, err := payouts.Place(f.maker, f.pool, w, payouts.Request{AccountID: f.account, Amount: 10_000})
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`)
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE state = 'retryable'`)
	require.NoError(t, err)
	require.Equal(t, payouts.Paid, f.waitFinal(p1.ID).State)
	require.Equal(t, 1, sb.Credits(), "the retries asked CHECK_STATUS instead of paying again")

	p2, err := payouts.Place(f.maker, f.pool, w, payouts.Request{AccountID: declined, Amount: 30_000})
	require.NoError(t, err)
	final := f.waitFinal(p2.ID)
	require.Equal(t, payouts.Failed, final.State)
	require.Equal(t, gateway.ReasonDeclined, *final.GatewayCode)
	require.Equal(t, ledger.Minor(30_000), f.balances(declined).Available)
	var n int
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = $1 AND template = 'payout_returned'`, declined).Scan(&n))
	require.Equal(t, 1, n)
}
