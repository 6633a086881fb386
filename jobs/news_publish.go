package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/news"
)

// NewsPublishWorker publishes scheduled news at their time: news.Schedule inserts one job per item
// at its publish_at, and a periodic run each minute catches any whose job was lost. Each item is
// published exactly once (news.PublishDue), with its notices queued in the same transaction.
type NewsPublishWorker struct {
	river.WorkerDefaults[news.PublishArgs]
	Pool *pgxpool.Pool
	Now  clock.Clock
}

func (w *NewsPublishWorker) Work(ctx context.Context, _ *river.Job[news.PublishArgs]) error {
	return pgx.BeginFunc(ctx, w.Pool, func(tx pgx.Tx) error {
		_, err := news.PublishDue(ctx, tx, clock.Or(w.Now))
		return err
	})
}

func newsPublishPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return news.PublishArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "news_publish_due"})
}

// NewsNotifyWorker writes a published item's notices to the outbox (news.FanOut), resuming where
// an interrupted run stopped.
type NewsNotifyWorker struct {
	river.WorkerDefaults[news.NotifyArgs]
	Pool *pgxpool.Pool
}

func (w *NewsNotifyWorker) Work(ctx context.Context, job *river.Job[news.NotifyArgs]) error {
	return news.FanOut(ctx, w.Pool, job.Args.NewsID)
}

// Timeout: a fan-out to hundreds of thousands of users takes longer than River's default minute.
func (w *NewsNotifyWorker) Timeout(*river.Job[news.NotifyArgs]) time.Duration {
	return 30 * time.Minute
}
