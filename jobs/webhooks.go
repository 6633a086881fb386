package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/api"
	"github.com/postdesk/postdesk/admin/webhooks"
)

// WebhookDeliverWorker sends one webhook delivery (webhooks.DeliverArgs, queued by the database in
// the transaction of the event, or by staff's resend). A failed attempt is retried by River on
// webhooks.Backoff's schedule until the delivery's attempts run out.
type WebhookDeliverWorker struct {
	river.WorkerDefaults[webhooks.DeliverArgs]
	Sender *webhooks.Sender
}

func (w *WebhookDeliverWorker) Work(ctx context.Context, job *river.Job[webhooks.DeliverArgs]) error {
	err := w.Sender.Deliver(ctx, job.Args.DeliveryID)
	if errors.Is(err, webhooks.ErrRetry) && job.Attempt >= job.MaxAttempts {
		return nil // the delivery shows failed; nothing is left to retry
	}
	return err
}

// NextRetry is on the machine's clock: River schedules by it, whatever the portal's clock says.
func (w *WebhookDeliverWorker) NextRetry(job *river.Job[webhooks.DeliverArgs]) time.Time {
	return time.Now().Add(webhooks.Backoff(job.Attempt))
}

func (w *WebhookDeliverWorker) Timeout(*river.Job[webhooks.DeliverArgs]) time.Duration {
	return time.Minute
}

// addWebhooks registers the delivery worker and its queue.
func addWebhooks(workers *river.Workers, cfg *river.Config, pool *pgxpool.Pool, opts Options) {
	river.AddWorker(workers, &WebhookDeliverWorker{Sender: &webhooks.Sender{Pool: pool, Now: opts.Clock}})
	river.AddWorker(workers, &APIPurgeWorker{Pool: pool, Now: opts.Clock})
	if opts.Work {
		cfg.Queues[webhooks.Queue] = river.QueueConfig{MaxWorkers: 5}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return APIPurgeArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "api_purge"}))
	}
}

// APIPurgeArgs forgets the API's old Idempotency-Keys (api.IdempotencyTTL).
type APIPurgeArgs struct{}

func (APIPurgeArgs) Kind() string { return "api_purge" }

// APIPurgeWorker runs APIPurgeArgs.
type APIPurgeWorker struct {
	river.WorkerDefaults[APIPurgeArgs]
	Pool *pgxpool.Pool
	Now  func() time.Time
}

func (w *APIPurgeWorker) Work(ctx context.Context, _ *river.Job[APIPurgeArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	_, err := api.PurgeIdempotency(ctx, w.Pool, now())
	return err
}
