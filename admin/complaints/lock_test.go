package complaints

import (
	"context"
	"testing"
	"time"
)

// An action on a complaint does not wait for a transaction that only references it: the SLA
// sweep writes the events and alerts of up to 2,000 complaints in one transaction, holding their
// key-share locks until it commits, and a note (taking the row FOR UPDATE) queued behind it for
// seconds under the mixed workload. The deadline only keeps a regression from hanging the test.
func TestActionsDoNotWaitForReferencingWriters(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	ctx := context.Background()
	sweep, err := f.pool.Begin(ctx)
	must(t, err)
	defer sweep.Rollback(ctx)
	_, err = sweep.Exec(ctx, `INSERT INTO complaint_events (complaint_id, kind, at, note) VALUES ($1, 'warning', now(), 'd3')`, r.ID)
	must(t, err)

	noteCtx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	must(t, f.store.Note(noteCtx, r.ID, "called the client back"))
}
