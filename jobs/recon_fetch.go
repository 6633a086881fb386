package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/admin/gateway"
)

// ReconFetchWorker loads a period's statement from the gateway (TRANSACTION_LIST) and matches it,
// as an uploaded statement is (recon.Loader): the progress on the period's page, the outcome as a
// toast.
type ReconFetchWorker struct {
	river.WorkerDefaults[recon.FetchArgs]
	Loader  *recon.Loader
	Gateway *gateway.Client
}

func (w *ReconFetchWorker) Work(ctx context.Context, job *river.Job[recon.FetchArgs]) error {
	last := job.Attempt >= job.MaxAttempts
	if w.Gateway == nil {
		return w.Loader.FailFetch(ctx, job.Args, errors.New("recon: no payment gateway configured in this process"), last)
	}
	from, to, err := w.Loader.FetchWindow(ctx, job.Args)
	if err != nil {
		return w.Loader.FailFetch(ctx, job.Args, err, last)
	}
	list, err := w.Gateway.Transactions(ctx, from, to)
	if err != nil {
		return w.Loader.FailFetch(ctx, job.Args, err, last)
	}
	return w.Loader.RunFetched(ctx, job.Args, list, last)
}

func (w *ReconFetchWorker) Timeout(*river.Job[recon.FetchArgs]) time.Duration {
	return 30 * time.Minute
}
