package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/finance/recon"
)

// ReconLoadWorker loads an uploaded statement (CSV or XLSX) into its period and matches it; the
// desk does the work and records its progress (recon.Loader).
type ReconLoadWorker struct {
	river.WorkerDefaults[recon.LoadArgs]
	Loader *recon.Loader
}

func (w *ReconLoadWorker) Work(ctx context.Context, job *river.Job[recon.LoadArgs]) error {
	return w.Loader.RunUpload(ctx, job.Args, job.Attempt >= job.MaxAttempts)
}

// Timeout: a statement of 2,000,000 lines takes about a minute; leave room on a busy machine.
func (w *ReconLoadWorker) Timeout(*river.Job[recon.LoadArgs]) time.Duration { return 30 * time.Minute }

// addRecon registers the reconciliation's workers: uploads and fetches share one loader.
func addRecon(workers *river.Workers, pool *pgxpool.Pool, opts Options) {
	loader := &recon.Loader{Pool: pool, Files: opts.Files, Loc: opts.TZ, Now: opts.Clock, Log: opts.Log}
	river.AddWorker(workers, &ReconLoadWorker{Loader: loader})
	river.AddWorker(workers, &ReconFetchWorker{Loader: loader, Gateway: opts.Gateway})
}
