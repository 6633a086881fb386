package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/orders"
)

// OrdersExportWorker runs orders.ExportArgs: the desk does the work and records its progress.
type OrdersExportWorker struct {
	river.WorkerDefaults[orders.ExportArgs]
	Env *orders.Env
}

func (w *OrdersExportWorker) Work(ctx context.Context, job *river.Job[orders.ExportArgs]) error {
	return w.Env.RunExport(ctx, job.Args)
}

func (w *OrdersExportWorker) Timeout(*river.Job[orders.ExportArgs]) time.Duration {
	return 30 * time.Minute
}
