package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/views"
)

// ComplaintsSLAArgs sends the complaints' deadline warnings and breach escalations. It runs every
// five minutes; complaint_sla_alerts makes each alert once even if two runs overlap.
type ComplaintsSLAArgs struct{}

func (ComplaintsSLAArgs) Kind() string { return "complaints_sla" }

// ComplaintsSLAWorker runs ComplaintsSLAArgs.
type ComplaintsSLAWorker struct {
	river.WorkerDefaults[ComplaintsSLAArgs]
	Pool *pgxpool.Pool
}

func (w *ComplaintsSLAWorker) Work(ctx context.Context, _ *river.Job[ComplaintsSLAArgs]) error {
	s := &complaints.Store{Pool: w.Pool, Loc: views.Zone}
	// A backlog larger than one batch is worked off in a few rounds.
	for range 10 {
		sent, err := s.Sweep(ctx, time.Now())
		if err != nil || len(sent) < complaints.SweepBatch {
			return err
		}
	}
	return nil
}

// ComplaintsLetterWorker makes a decision letter and sends the decision notice.
type ComplaintsLetterWorker struct {
	river.WorkerDefaults[complaints.LetterArgs]
	Pool *pgxpool.Pool
}

func (w *ComplaintsLetterWorker) Work(ctx context.Context, j *river.Job[complaints.LetterArgs]) error {
	return (&complaints.Store{Pool: w.Pool, Loc: views.Zone}).MakeLetter(ctx, j.Args.ComplaintID)
}

// addComplaintsDesk registers the complaints desk's workers.
func addComplaintsDesk(workers *river.Workers, pool *pgxpool.Pool) {
	river.AddWorker(workers, &ComplaintsSLAWorker{Pool: pool})
	river.AddWorker(workers, &ComplaintsLetterWorker{Pool: pool})
	river.AddWorker(workers, &ComplaintsIntakeWorker{Pool: pool, Config: complaints.MailboxFromEnv()})
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
