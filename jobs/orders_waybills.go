package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/orders"
)

// OrdersWaybillsWorker runs orders.WaybillsArgs: the desk does the work and records its progress.
type OrdersWaybillsWorker struct {
	river.WorkerDefaults[orders.WaybillsArgs]
	Env *orders.Env
}

func (w *OrdersWaybillsWorker) Work(ctx context.Context, job *river.Job[orders.WaybillsArgs]) error {
	return w.Env.RunWaybills(ctx, job.Args)
}

func (w *OrdersWaybillsWorker) Timeout(*river.Job[orders.WaybillsArgs]) time.Duration {
	return 10 * time.Minute
}
