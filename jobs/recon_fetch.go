package jobs

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/admin/gateway"
)

// ReconFetchWorker loads a period's statement from the gateway (TRANSACTION_LIST) and matches it.
type ReconFetchWorker struct {
	river.WorkerDefaults[recon.FetchArgs]
	Pool    *pgxpool.Pool
	Gateway *gateway.Client
}

func (w *ReconFetchWorker) Work(ctx context.Context, job *river.Job[recon.FetchArgs]) error {
	err := w.fetch(ctx, job.Args.StatementID)
	if err != nil && job.Attempt >= job.MaxAttempts {
		// The last try: say so on the statement, so the page stops waiting.
		_ = recon.Fail(context.WithoutCancel(ctx), w.Pool, job.Args.StatementID, err)
	}
	return err
}

func (w *ReconFetchWorker) fetch(ctx context.Context, statementID int64) error {
	if w.Gateway == nil {
		return errors.New("recon: no payment gateway configured in this process")
	}
	p, err := recon.FetchPeriod(ctx, w.Pool, statementID)
	if err != nil {
		return err
	}
	list, err := w.Gateway.Transactions(ctx, p.StartsAt, p.EndsAt.Add(-1))
	if err != nil {
		return err
	}
	return recon.LoadInto(ctx, w.Pool, statementID, recon.FromGateway(list))
}
