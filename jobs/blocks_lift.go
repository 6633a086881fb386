package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/clock"
)

// BlocksLiftArgs lifts the blocks whose end date has come. It runs every minute in one process of
// the cluster; accounts.LiftExpired takes each block once, however many runs overlap.
type BlocksLiftArgs struct{}

func (BlocksLiftArgs) Kind() string { return "blocks_lift" }

// BlocksLiftWorker runs BlocksLiftArgs.
type BlocksLiftWorker struct {
	river.WorkerDefaults[BlocksLiftArgs]
	Pool *pgxpool.Pool
	Now  clock.Clock
}

func (w *BlocksLiftWorker) Work(ctx context.Context, _ *river.Job[BlocksLiftArgs]) error {
	_, err := accounts.LiftExpired(ctx, w.Pool, clock.Or(w.Now))
	return err
}

func blocksLiftPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return BlocksLiftArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "blocks_lift"})
}
