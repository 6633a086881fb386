package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/finance"
)

// FinanceActWorker makes a reconciliation act (finance.ActArgs): the desk does the work and
// records its progress in the file's row.
type FinanceActWorker struct {
	river.WorkerDefaults[finance.ActArgs]
	Env *finance.Env
}

func (w *FinanceActWorker) Work(ctx context.Context, job *river.Job[finance.ActArgs]) error {
	return w.Env.RunAct(ctx, job.Args)
}

func (w *FinanceActWorker) Timeout(*river.Job[finance.ActArgs]) time.Duration { return 5 * time.Minute }

// addFinanceDesk registers finance desk I's workers.
func addFinanceDesk(workers *river.Workers, pool *pgxpool.Pool, opts Options) error {
	store := opts.Files
	env := &finance.Env{Pool: pool, Files: store, Loc: opts.TZ, Currency: opts.Currency}
	if env.Loc == nil {
		env.Loc = time.UTC
	}
	if env.Currency == "" {
		env.Currency = "UAH"
	}
	river.AddWorker(workers, &FinanceActWorker{Env: env})
	return nil
}
