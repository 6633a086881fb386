package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/complaints"
)

// ComplaintsIntakeArgs reads the complaints mailbox (POSTDESK_COMPLAINTS_IMAP) every minute.
type ComplaintsIntakeArgs struct{}

func (ComplaintsIntakeArgs) Kind() string { return "complaints_intake" }

// ComplaintsIntakeWorker runs ComplaintsIntakeArgs.
type ComplaintsIntakeWorker struct {
	river.WorkerDefaults[ComplaintsIntakeArgs]
	Store  *complaints.Store
	Config complaints.Mailbox
}

func (w *ComplaintsIntakeWorker) Work(ctx context.Context, _ *river.Job[ComplaintsIntakeArgs]) error {
	_, err := w.Store.ReadMailbox(ctx, w.Config)
	return err
}
