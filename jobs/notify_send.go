package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/notify"
)

// NotifySendWorker delivers outbox rows (notify.SendArgs, inserted by notify.EnqueueTx on the
// cause's transaction). Per-row retries live in the outbox, not in River's attempts: the job
// records every row's result and queues a later job for those that failed temporarily.
type NotifySendWorker struct {
	river.WorkerDefaults[notify.SendArgs]
	Pool     *pgxpool.Pool
	Delivery *notify.Delivery
}

func (w *NotifySendWorker) Work(ctx context.Context, job *river.Job[notify.SendArgs]) error {
	if w.Delivery == nil {
		return errors.New("notify_send: this process has no delivery channels")
	}
	return w.Delivery.Deliver(ctx, w.Pool, job.Args.IDs, job.Queue == notify.QueueBulk)
}

// NotifySweepArgs re-queues outbox rows no job will pick up (see notify.Sweep).
type NotifySweepArgs struct{}

func (NotifySweepArgs) Kind() string { return "notify_sweep" }

// NotifySweepWorker runs NotifySweepArgs.
type NotifySweepWorker struct {
	river.WorkerDefaults[NotifySweepArgs]
	Pool *pgxpool.Pool
}

func (w *NotifySweepWorker) Work(ctx context.Context, _ *river.Job[NotifySweepArgs]) error {
	_, err := notify.Sweep(ctx, w.Pool)
	return err
}

func notifySweepPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return NotifySweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "notify_sweep"})
}
