// Package jobs sets up River: the client every process uses to enqueue, and in worker processes the
// workers of every job kind (one file per kind). Workers call desk packages; desks never import jobs.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/notify"
)

// Client is River's client over pgx transactions.
type Client = river.Client[pgx.Tx]

// Options shapes a River client.
type Options struct {
	// Work: run workers in this process (serve, worker). False makes an insert-only client (web).
	Work    bool
	Workers int
	Log     *slog.Logger
	// Files is the generated files' store (blob storage); nil opens files/ under DataDir (tests).
	Files   *files.Store
	DataDir string
	// Clock is the portal's clock (the machine's when nil).
	Clock clock.Clock
	// Mailbox is the complaints intake's mailbox (none when its Addr is empty).
	Mailbox complaints.Mailbox
	// TZ and Currency are the platform's, for documents the workers write.
	TZ       *time.Location
	Currency string
	// Delivery sends notices (e-mail, SMS); nil leaves the outbox rows for a process that has one.
	Delivery *notify.Delivery
	// Gateway pays payouts and fetches statements; nil leaves those jobs failing until a process
	// with one takes them. PayoutWorkers sizes the payouts queue (at least 2).
	Gateway       *gateway.Client
	PayoutWorkers int
	// PayoutTimeout bounds one run of a payout's job (payouts.DefaultJobTimeout when zero).
	// RescueAfter is when River hands a job left running by a dead process to another worker
	// (5 minutes when zero; River's own default is an hour); it is at least JobTimeout, and River
	// waits longer for kinds whose own timeout is longer.
	PayoutTimeout time.Duration
	RescueAfter   time.Duration
	// JobTimeout is the timeout of kinds that set none of their own (River's minute when zero).
	JobTimeout time.Duration
}

// New returns a River client. Any number of processes may run one against the same database;
// River hands each job to exactly one of them.
func New(pool *pgxpool.Pool, opts Options) (*Client, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	if opts.TZ == nil {
		opts.TZ = time.UTC
	}
	if opts.Files == nil {
		store, err := files.Open(context.Background(), pool, opts.DataDir)
		if err != nil {
			return nil, err
		}
		opts.Files = store
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &PurgeSessionsWorker{Pool: pool})
	if err := addOrdersDesk(workers, pool, opts); err != nil {
		return nil, err
	}
	addAccountsDesk(workers, pool, opts)
	addComplaintsDesk(workers, pool, opts)
	if err := addFinanceDesk(workers, pool, opts); err != nil {
		return nil, err
	}

	cfg := &river.Config{
		Logger:               opts.Log,
		Workers:              workers,
		RescueStuckJobsAfter: rescueAfter(opts),
		JobTimeout:           opts.JobTimeout,
	}
	if opts.Work {
		n := opts.Workers
		if n <= 0 {
			n = 10
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return PurgeSessionsArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true, ID: "purge_sessions"}),
		}
		ordersDeskPeriodic(cfg)
		accountsDeskQueues(cfg, opts)
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, complaintsPeriodic()...)
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, addModerationDesk(workers, pool, opts.Clock))
	}
	addFinance2Desk(workers, cfg, pool, opts)
	addWebhooks(workers, cfg, pool, opts)
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, err
	}
	return client, nil
}

// Stop stops a working client: a soft stop lets running jobs finish; after the grace period
// they are cancelled and River retries them later.
func Stop(client *Client, grace time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := client.Stop(ctx); err != nil {
		log.Warn("river: soft stop timed out; cancelling running jobs", "err", err)
		hard, cancelHard := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancelHard()
		_ = client.StopAndCancel(hard)
	}
}
