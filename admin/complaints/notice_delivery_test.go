package complaints

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/admin/notify"
)

// fakeMailer answers every mail with err (nil: delivered).
type fakeMailer struct{ err error }

func (m fakeMailer) SendMail(_ context.Context, mails []notify.Mail) []notify.Result {
	out := make([]notify.Result, len(mails))
	for i := range out {
		out[i] = notify.Result{Err: m.err, ProviderID: "fake"}
	}
	return out
}

// deliverDecision sends the complaint's decision notices through the real delivery at the
// injected time at, with a mailer that delivers them (err nil) or refuses them for good.
func (f *fixture) deliverDecision(id int64, at time.Time, err error) {
	f.t.Helper()
	ctx := context.Background()
	rows, qerr := f.pool.Query(ctx, `SELECT notification_id FROM complaint_notices WHERE complaint_id = $1 AND purpose = 'decision' ORDER BY 1`, id)
	must(f.t, qerr)
	var ids []notify.ID
	for rows.Next() {
		var n notify.ID
		must(f.t, rows.Scan(&n))
		ids = append(ids, n)
	}
	must(f.t, rows.Err())
	d := &notify.Delivery{Mail: fakeMailer{err: err}, Now: func() time.Time { return at },
		Attachments: map[string]notify.AttachmentLoader{LetterSource: LetterFile}}
	must(f.t, d.Deliver(ctx, f.pool, ids, false))
}

// Issue 14, item 15: the board counted a decision notice as on time when its outbox rows were
// written. It is given when it was delivered: a letter queued in time but delivered after the
// notice deadline is late, one delivered in time is on time, one that failed is not notified at
// all, and its notice clock runs on (the sweep escalates it) although the complaint reads
// "notified".
func TestNoticeCountsWhenDelivered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	onTime, late, failed := f.register(), f.register(), f.register()
	f.now = f.now.Add(2 * time.Hour)
	for _, r := range []Registered{onTime, late, failed} {
		must(t, f.store.Decide(f.ctx, r.ID, Decision{Outcome: Rejected, Reasoning: "Не підтверджено."}))
		must(t, f.store.MakeLetter(ctx, r.ID)) // queued at once, days before the notice deadline
	}
	c, err := f.store.Get(f.ctx, f.pool, late.ID)
	must(t, err)
	due := *c.NoticeDue
	if c.State != Notified || c.NotifiedAt != nil {
		t.Fatalf("queued, not delivered: state %s, notified %v", c.State, c.NotifiedAt)
	}

	f.deliverDecision(onTime.ID, due.Add(-30*time.Hour), nil)
	f.deliverDecision(late.ID, due.Add(2*time.Hour), nil)
	f.deliverDecision(failed.ID, due.Add(-30*time.Hour), errors.New("550 mailbox unavailable"))

	for _, tc := range []struct {
		r    Registered
		want *time.Time
	}{{onTime, ptr(due.Add(-30 * time.Hour))}, {late, ptr(due.Add(2 * time.Hour))}, {failed, nil}} {
		c, err := f.store.Get(f.ctx, f.pool, tc.r.ID)
		must(t, err)
		if (c.NotifiedAt == nil) != (tc.want == nil) || (c.NotifiedAt != nil && !c.NotifiedAt.Equal(*tc.want)) {
			t.Errorf("complaint %s: notified at %v, want %v", c.Number, c.NotifiedAt, tc.want)
		}
	}
	var delivered int
	must(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM complaint_events WHERE complaint_id = $1 AND kind = 'notice_delivered'`, onTime.ID).Scan(&delivered))
	if delivered != 1 {
		t.Fatalf("%d delivery events in the history", delivered)
	}
	f.checkStoredDeadlines()

	f.now = due.Add(3 * time.Hour)
	board, err := f.store.SLABoard(ctx, f.pool, 4)
	must(t, err)
	var notified, inTime int
	for _, w := range board.Weeks {
		notified, inTime = notified+w.Notified, inTime+w.NoticesOnTime
	}
	if notified != 2 || inTime != 1 {
		t.Fatalf("board: %d notices delivered, %d on time; want 2 and 1", notified, inTime)
	}

	// The failed one's notice clock still runs: the sweep escalates it, and only it.
	alerts, err := f.store.Sweep(ctx, f.now)
	must(t, err)
	if len(alerts) != 1 || alerts[0].ComplaintID != failed.ID || alerts[0].Clock != "notice" || alerts[0].Level != "breach" {
		t.Fatalf("alerts %+v, want one notice breach for complaint %d", alerts, failed.ID)
	}

	// Resent from the notifications page and delivered, it is notified — late.
	tx, err := f.pool.Begin(ctx)
	must(t, err)
	rows, err := tx.Query(ctx, `SELECT n.id FROM complaint_notices cn JOIN notifications n ON n.id = cn.notification_id
		WHERE cn.complaint_id = $1 AND cn.purpose = 'decision' AND n.status = 'failed' ORDER BY n.id`, failed.ID)
	must(t, err)
	var failedIDs []int64
	for rows.Next() {
		var id int64
		must(t, rows.Scan(&id))
		failedIDs = append(failedIDs, id)
	}
	must(t, rows.Err())
	for _, id := range failedIDs {
		_, err := notify.ResendTx(ctx, tx, id)
		must(t, err)
	}
	must(t, tx.Commit(ctx))
	f.deliverDecision(failed.ID, due.Add(5*time.Hour), nil)
	c, err = f.store.Get(f.ctx, f.pool, failed.ID)
	must(t, err)
	if c.NotifiedAt == nil || !c.NotifiedAt.Equal(due.Add(5*time.Hour)) {
		t.Fatalf("resent and delivered: notified at %v", c.NotifiedAt)
	}
	f.checkStoredDeadlines()
}

func ptr[T any](v T) *T { return &v }
