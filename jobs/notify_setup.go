package jobs

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/notify"
)

// addAccountsDesk registers the accounts desk's workers: blocks, news, notices.
func addAccountsDesk(workers *river.Workers, pool *pgxpool.Pool, opts Options) {
	river.AddWorker(workers, &BlocksLiftWorker{Pool: pool, Now: opts.Clock})
	river.AddWorker(workers, &NotifySendWorker{Pool: pool, Delivery: opts.Delivery})
	river.AddWorker(workers, &NotifySweepWorker{Pool: pool})
	river.AddWorker(workers, &NewsPublishWorker{Pool: pool, Now: opts.Clock})
	river.AddWorker(workers, &NewsNotifyWorker{Pool: pool})
}

// accountsDeskQueues adds the notice queues and the desk's periodic jobs to a working client.
// Service notices have their own queue so a news fan-out never delays a block notice.
func accountsDeskQueues(cfg *river.Config, opts Options) {
	n := opts.Workers
	if n <= 0 {
		n = 10
	}
	cfg.Queues[notify.QueueService] = river.QueueConfig{MaxWorkers: max(2, n/2)}
	cfg.Queues[notify.QueueBulk] = river.QueueConfig{MaxWorkers: max(1, n/5)}
	cfg.PeriodicJobs = append(cfg.PeriodicJobs, blocksLiftPeriodic(), notifySweepPeriodic(), newsPublishPeriodic())
}
