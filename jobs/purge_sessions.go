package jobs

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// PurgeSessionsArgs removes expired sessions and rate-limit counters. It runs hourly in one
// process of the cluster, wherever River places it.
type PurgeSessionsArgs struct{}

func (PurgeSessionsArgs) Kind() string { return "purge_sessions" }

// PurgeSessionsWorker runs PurgeSessionsArgs.
type PurgeSessionsWorker struct {
	river.WorkerDefaults[PurgeSessionsArgs]
	Pool *pgxpool.Pool
}

func (w *PurgeSessionsWorker) Work(ctx context.Context, _ *river.Job[PurgeSessionsArgs]) error {
	for _, table := range []string{"sessions", "rate_limits"} {
		// The tables belong to Fiber's storage; e is the expiry in Unix seconds, 0 for none.
		if _, err := w.Pool.Exec(ctx, `DELETE FROM `+table+` WHERE e <> 0 AND e <= extract(epoch FROM now())::bigint`); err != nil {
			return err
		}
	}
	return nil
}
