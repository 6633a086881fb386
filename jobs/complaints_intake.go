package jobs

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/views"
)

// ComplaintsIntakeArgs reads the complaints mailbox (POSTDESK_COMPLAINTS_IMAP) every minute.
type ComplaintsIntakeArgs struct{}

func (ComplaintsIntakeArgs) Kind() string { return "complaints_intake" }

// ComplaintsIntakeWorker runs ComplaintsIntakeArgs.
type ComplaintsIntakeWorker struct {
	river.WorkerDefaults[ComplaintsIntakeArgs]
	Pool   *pgxpool.Pool
	Config complaints.Mailbox
}

func (w *ComplaintsIntakeWorker) Work(ctx context.Context, _ *river.Job[ComplaintsIntakeArgs]) error {
	_, err := (&complaints.Store{Pool: w.Pool, Loc: views.Zone}).ReadMailbox(ctx, w.Config)
	return err
}
