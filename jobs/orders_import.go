package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/orders"
)

// OrdersImportWorker runs orders.ImportArgs: the desk does the work and records its progress.
type OrdersImportWorker struct {
	river.WorkerDefaults[orders.ImportArgs]
	Env *orders.Env
}

func (w *OrdersImportWorker) Work(ctx context.Context, job *river.Job[orders.ImportArgs]) error {
	return w.Env.RunImport(ctx, job.Args)
}

func (w *OrdersImportWorker) Timeout(*river.Job[orders.ImportArgs]) time.Duration {
	return 30 * time.Minute
}
