package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/orders"
)

// OrdersActWorker runs orders.ActArgs: the desk does the work and records its progress.
type OrdersActWorker struct {
	river.WorkerDefaults[orders.ActArgs]
	Env *orders.Env
}

func (w *OrdersActWorker) Work(ctx context.Context, job *river.Job[orders.ActArgs]) error {
	return w.Env.RunAct(ctx, job.Args)
}

func (w *OrdersActWorker) Timeout(*river.Job[orders.ActArgs]) time.Duration { return 5 * time.Minute }
