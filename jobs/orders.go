package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/orders"
)

// addOrdersDesk registers the orders desk's workers: exports, waybills, handover acts, imports,
// and the sweep of expired files (which every desk's generated files share).
func addOrdersDesk(workers *river.Workers, pool *pgxpool.Pool, opts Options) error {
	store := opts.Files
	env := &orders.Env{Pool: pool, Files: store, TZ: opts.TZ, Currency: opts.Currency, Now: opts.Clock}
	if env.Currency == "" {
		env.Currency = "UAH"
	}
	river.AddWorker(workers, &OrdersExportWorker{Env: env})
	river.AddWorker(workers, &OrdersWaybillsWorker{Env: env})
	river.AddWorker(workers, &OrdersActWorker{Env: env})
	river.AddWorker(workers, &OrdersImportWorker{Env: env})
	river.AddWorker(workers, &PurgeFilesWorker{Files: store, Now: opts.Clock})
	return nil
}

// ordersDeskPeriodic sweeps expired files hourly.
func ordersDeskPeriodic(cfg *river.Config) {
	cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeFilesArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "purge_files"}))
}

// PurgeFilesArgs removes generated files past their expiry.
type PurgeFilesArgs struct{}

func (PurgeFilesArgs) Kind() string { return "purge_files" }

// PurgeFilesWorker runs PurgeFilesArgs.
type PurgeFilesWorker struct {
	river.WorkerDefaults[PurgeFilesArgs]
	Files *files.Store
	Now   clock.Clock
}

func (w *PurgeFilesWorker) Work(ctx context.Context, _ *river.Job[PurgeFilesArgs]) error {
	_, err := w.Files.PurgeExpired(ctx, clock.Or(w.Now))
	return err
}
