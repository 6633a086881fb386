package complaints

import (
	"context"
	"errors"
	"testing"
	"time"
)

// notices are the complaint's outbox rows: template, purpose and the recipient's language.
func (f *fixture) notices(id int64, template string) []string {
	f.t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT cn.purpose || ':' || cn.role || ':' || n.lang FROM complaint_notices cn
		JOIN notifications n ON n.id = cn.notification_id WHERE cn.complaint_id = $1 AND n.template = $2 ORDER BY n.id`, id, template)
	must(f.t, err)
	var out []string
	for rows.Next() {
		var s string
		must(f.t, rows.Scan(&s))
		out = append(out, s)
	}
	return out
}

// Issue 14, item 15 (annex E): the complainant was not told of an extension, nor either party of
// a withdrawal. Now each gets a notice in their language, remembered on the complaint.
func TestExtensionAndWithdrawalAreNotified(t *testing.T) {
	f := newFixture(t)
	a := f.register()
	if _, err := f.store.Extend(f.asLead(), a.ID, 10, "waiting for the courier's explanation"); err != nil {
		t.Fatal(err)
	}
	if got := f.notices(a.ID, tplExtended); len(got) != 1 || got[0] != "extension:complainant:uk" {
		t.Fatalf("extension notices %v", got)
	}
	var deadline string
	must(t, f.pool.QueryRow(context.Background(), `SELECT n.data->>'deadline' FROM notifications n WHERE n.template = $1`, tplExtended).Scan(&deadline))
	if _, err := time.Parse(time.RFC3339, deadline); err != nil {
		t.Fatalf("the notice names the new deadline: %q", deadline)
	}

	b := f.register()
	must(t, f.store.Withdraw(f.ctx, b.ID, nil, "the parcel arrived"))
	got := f.notices(b.ID, tplWithdrawn)
	if len(got) != 2 || got[0] != "withdrawal:complainant:uk" || got[1] != "withdrawal:respondent:uk" {
		t.Fatalf("withdrawal notices %v", got)
	}
}

// Issue 14, item 15: staff could not enter the date a complaint was received (post, paper,
// phone): the 15-day clock started when it was typed in. It now starts when it was received; a
// date in the future, or before the action complained of, is refused.
func TestReceivedDateStartsTheClock(t *testing.T) {
	f := newFixture(t)
	in := f.intake()
	in.ReceivedVia, in.ReceivedDate, in.ReceivedTime = "post", "2027-03-09", "09:00"
	r, err := f.store.Register(f.ctx, in, nil, 0)
	must(t, err)
	received := time.Date(2027, 3, 9, 9, 0, 0, 0, f.store.Loc)
	if want := PeriodEnd(received, DecisionDays, f.store.Loc); !r.Deadline.Equal(want) {
		t.Fatalf("deadline %s, want %s (15 days from receipt, not from typing in)", r.Deadline, want)
	}
	var at time.Time
	must(t, f.pool.QueryRow(context.Background(), `SELECT received_at FROM complaints WHERE id = $1`, r.ID).Scan(&at))
	if !at.Equal(received) {
		t.Fatalf("received_at %s", at)
	}
	f.checkStoredDeadlines()

	for date, key := range map[string]string{"2027-03-11": "complaints.err.received_future", "2027-03-07": "complaints.err.received_before_action"} {
		in := f.intake()
		in.ReceivedDate = date
		_, err := f.store.Register(f.ctx, in, nil, 0)
		var inv *InvalidForm
		if !errors.As(err, &inv) || inv.Fields["received_date"] != key {
			t.Fatalf("%s: %v", date, err)
		}
	}
}
