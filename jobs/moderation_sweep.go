package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/moderation"
)

// ModerationSweepArgs moves orders still undelivered 24 h after their expected delivery into
// moderation. It runs every five minutes; the unique overdue case makes each move happen once even
// when two runs overlap.
type ModerationSweepArgs struct{}

func (ModerationSweepArgs) Kind() string { return "moderation_sweep" }

// ModerationSweepWorker runs ModerationSweepArgs.
type ModerationSweepWorker struct {
	river.WorkerDefaults[ModerationSweepArgs]
	Pool *pgxpool.Pool
	Now  clock.Clock
}

func (w *ModerationSweepWorker) Work(ctx context.Context, _ *river.Job[ModerationSweepArgs]) error {
	// A backlog larger than one batch is worked off in a few rounds.
	for range 20 {
		n, err := moderation.Sweep(ctx, w.Pool, clock.Or(w.Now))
		if err != nil || n < moderation.SweepBatch {
			return err
		}
	}
	return nil
}

// addModerationDesk registers the desk's worker and returns its periodic job.
func addModerationDesk(workers *river.Workers, pool *pgxpool.Pool, now clock.Clock) *river.PeriodicJob {
	river.AddWorker(workers, &ModerationSweepWorker{Pool: pool, Now: now})
	return river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return ModerationSweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "moderation_sweep"})
}
