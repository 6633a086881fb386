package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/postdesk/postdesk/admin/finance/payouts"
)

// PayoutsExecuteWorker pays one approved payout through the gateway (payouts.Executor says how
// it never pays twice). The result is stored and the job completed in one transaction.
type PayoutsExecuteWorker struct {
	river.WorkerDefaults[payouts.ExecuteArgs]
	Exec *payouts.Executor
	// JobTimeout bounds one run (payouts.DefaultJobTimeout when zero).
	JobTimeout time.Duration
}

func (w *PayoutsExecuteWorker) Work(ctx context.Context, job *river.Job[payouts.ExecuteArgs]) error {
	if w.Exec.Gateway == nil {
		return errors.New("payouts: no payment gateway configured in this process")
	}
	err := w.Exec.Execute(ctx, job.Args.PayoutID, func(ctx context.Context, tx pgx.Tx) error {
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if errors.Is(err, payouts.ErrPending) {
		// The gateway is still processing: look again soon without using up an attempt.
		return river.JobSnooze(5 * time.Second)
	}
	return err
}

// Timeout: one gateway call, or two after an unknown result, set deliberately (not River's
// default) so that a run cut short is retried — asking the gateway's status first — well before
// the rescue window, and "check again" knows when a "running" job has lost its worker.
func (w *PayoutsExecuteWorker) Timeout(*river.Job[payouts.ExecuteArgs]) time.Duration {
	if w.JobTimeout > 0 {
		return w.JobTimeout
	}
	return payouts.DefaultJobTimeout
}

// NextRetry: a payout's retry (after an error, a timeout or a rescue from a dead process) asks the
// gateway's status first, so it is safe to come back soon; River's default backoff (attempt⁴
// seconds) would leave a payout "sending" for minutes after its third interruption.
func (w *PayoutsExecuteWorker) NextRetry(job *river.Job[payouts.ExecuteArgs]) time.Time {
	d := time.Duration(job.Attempt*job.Attempt) * time.Second
	return time.Now().Add(min(d, 10*time.Minute))
}

// rescueAfter is River's RescueStuckJobsAfter: how long a job may stay "running" before River
// decides its process died and makes it retryable. River's default is an hour, which left payouts
// "sending" for that long after a kill -9. River requires it to be at least the default job
// timeout; kinds with a longer timeout of their own (exports, imports) are left alone until that
// has passed, so a job still working is never run twice.
func rescueAfter(opts Options) time.Duration {
	d := opts.RescueAfter
	if d <= 0 {
		d = 5 * time.Minute
	}
	def := opts.JobTimeout
	if def <= 0 {
		def = time.Minute // River's default
	}
	return max(d, def)
}

// addFinance2Desk registers finance desk II's workers (payouts, reconciliation) and, in working
// processes, the payouts' own queue: a slow gateway never holds up other jobs.
func addFinance2Desk(workers *river.Workers, cfg *river.Config, pool *pgxpool.Pool, opts Options) {
	river.AddWorker(workers, &PayoutsExecuteWorker{Exec: &payouts.Executor{Pool: pool, Gateway: opts.Gateway}, JobTimeout: opts.PayoutTimeout})
	addRecon(workers, pool, opts)
	if opts.Work {
		cfg.Queues[payouts.Queue] = river.QueueConfig{MaxWorkers: max(2, opts.PayoutWorkers)}
	}
}
