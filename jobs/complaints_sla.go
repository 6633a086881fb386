package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/complaints"
)

// ComplaintsSLAArgs sends the complaints' deadline warnings and breach escalations. It runs every
// five minutes; complaint_sla_alerts makes each alert once even if two runs overlap.
type ComplaintsSLAArgs struct{}

func (ComplaintsSLAArgs) Kind() string { return "complaints_sla" }

// ComplaintsSLAWorker runs ComplaintsSLAArgs.
type ComplaintsSLAWorker struct {
	river.WorkerDefaults[ComplaintsSLAArgs]
	Store *complaints.Store
}

func (w *ComplaintsSLAWorker) Work(ctx context.Context, _ *river.Job[ComplaintsSLAArgs]) error {
	// A backlog larger than one batch is worked off in a few rounds.
	for range 10 {
		sent, err := w.Store.Sweep(ctx, w.now())
		if err != nil || len(sent) < complaints.SweepBatch {
			return err
		}
	}
	return nil
}

func (w *ComplaintsSLAWorker) now() time.Time {
	if w.Store.Now != nil {
		return w.Store.Now()
	}
	return time.Now()
}

// ComplaintsLetterWorker makes a decision letter and sends the decision notice.
type ComplaintsLetterWorker struct {
	river.WorkerDefaults[complaints.LetterArgs]
	Store *complaints.Store
}

func (w *ComplaintsLetterWorker) Work(ctx context.Context, j *river.Job[complaints.LetterArgs]) error {
	return w.Store.MakeLetter(ctx, j.Args.ComplaintID)
}

// addComplaintsDesk registers the complaints desk's workers.
func addComplaintsDesk(workers *river.Workers, pool *pgxpool.Pool, opts Options) {
	store := &complaints.Store{Pool: pool, Loc: opts.TZ, Now: opts.Clock, Currency: opts.Currency}
	river.AddWorker(workers, &ComplaintsSLAWorker{Store: store})
	river.AddWorker(workers, &ComplaintsLetterWorker{Store: store})
	river.AddWorker(workers, &ComplaintsIntakeWorker{Store: store, Config: opts.Mailbox})
}

// complaintsPeriodic are the desk's periodic jobs: the SLA sweep and the mailbox intake.
func complaintsPeriodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return ComplaintsSLAArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "complaints_sla"}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return ComplaintsIntakeArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: "complaints_intake"}),
	}
}
