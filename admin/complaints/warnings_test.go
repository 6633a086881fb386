package complaints

import (
	"context"
	"testing"
	"time"
)

// Issue 14: the warning times are set per clock. With the decision clock's warnings at 5 days and
// 36 hours the sweep warns then (with the fixed 3 days and 1 day it was silent 5 days before), and
// the notice clock keeps its own.
func TestWarningThresholdsMoveTheSweep(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th := Thresholds{Decision: Warnings{First: 5 * 24, Second: 36}, Notice: Warnings{First: 48, Second: 6}}
	must(t, f.store.SetThresholds(f.asLead(), th))
	got, err := LoadThresholds(ctx, f.pool)
	must(t, err)
	if got != th {
		t.Fatalf("stored %+v, want %+v", got, th)
	}

	r := f.register()
	must(t, f.store.Assign(f.asLead(), r.ID, f.agent))
	deadline := time.Date(2027, 3, 26, 0, 0, 0, 0, f.store.Loc)
	step := func(clock string, now time.Time, want string) {
		t.Helper()
		alerts, err := f.store.Sweep(ctx, now)
		must(t, err)
		var levels []string
		for _, a := range alerts {
			if a.Clock != clock {
				t.Fatalf("at %s: a %s alert %+v", now, a.Clock, a)
			}
			levels = append(levels, a.Level)
		}
		if (want == "" && len(levels) != 0) || (want != "" && (len(levels) != 1 || levels[0] != want)) {
			t.Fatalf("%s clock at %s: alerts %v, want %q", clock, now.In(f.store.Loc), levels, want)
		}
	}
	step("decision", deadline.AddDate(0, 0, -5).Add(-time.Minute), "")
	step("decision", deadline.AddDate(0, 0, -5), "d3")
	step("decision", deadline.Add(-36*time.Hour-time.Minute), "")
	step("decision", deadline.Add(-36*time.Hour), "d1")
	step("decision", deadline.Add(-time.Hour), "")

	// The pill turns amber at the first warning, not at a fixed 3 days.
	if b := BadgeFor(deadline, deadline.AddDate(0, 0, -5).Add(-time.Minute), f.store.Loc, th.Decision.First); b.Level != "green" {
		t.Fatalf("just before the first warning: %s", b.Level)
	}
	if b := BadgeFor(deadline, deadline.AddDate(0, 0, -5), f.store.Loc, th.Decision.First); b.Level != "amber" {
		t.Fatalf("at the first warning: %s", b.Level)
	}

	// The notice clock: 48 hours and 6 hours.
	f.now = deadline.AddDate(0, 0, -3)
	must(t, f.store.Decide(f.ctx, r.ID, Decision{Outcome: Rejected, Reasoning: "Не підтверджено."}))
	c, err := f.store.Get(f.ctx, f.pool, r.ID)
	must(t, err)
	due := *c.NoticeDue
	step("notice", due.Add(-48*time.Hour-time.Minute), "")
	step("notice", due.Add(-48*time.Hour), "d3")
	step("notice", due.Add(-6*time.Hour), "d1")
	step("notice", due, "breach")
}

// WarnAt counts whole days on the platform's calendar: 3 days before a deadline across the night
// the clocks go forward is midnight there, 71 hours of real time.
func TestWarnAtAcrossDST(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	must(t, err)
	deadline := time.Date(2027, 3, 29, 0, 0, 0, 0, kyiv) // 28 March 2027 is 23 hours long
	if got, want := WarnAt(deadline, 72, kyiv), time.Date(2027, 3, 26, 0, 0, 0, 0, kyiv); !got.Equal(want) {
		t.Fatalf("3 days before: %s, want %s", got, want)
	}
	if got, want := WarnAt(deadline, 30, kyiv), time.Date(2027, 3, 27, 18, 0, 0, 0, kyiv); !got.Equal(want) {
		t.Fatalf("30 h before: %s, want %s", got, want)
	}
	for _, w := range []Warnings{{First: 24, Second: 24}, {First: 24, Second: 0}, {First: 16 * 24, Second: 24}, {First: 12, Second: 24}} {
		if w.Check() == nil {
			t.Errorf("%+v accepted", w)
		}
	}
}

// The "due soon" queue is the complaints whose first warning has come: 3 days before the
// decision deadline by default, 5 once a lead sets 5 (it was fixed at 3 calendar days whatever
// the board said). Its tab count follows.
func TestSoonQueueFollowsTheFirstWarning(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.register()
	// Due four days from now, on the platform's calendar.
	due := f.now.In(f.store.Loc).AddDate(0, 0, 4)
	_, err := f.pool.Exec(ctx, `UPDATE complaints SET decision_due = $2 WHERE id = $1`, r.ID, due)
	must(t, err)
	inSoon := func() (bool, int) {
		t.Helper()
		rows, _, err := f.store.QueuePage(ctx, f.pool, QSoon, f.agent, Cursor{}, 50)
		must(t, err)
		counts, err := f.store.QueueCounts(ctx, f.pool, f.agent)
		must(t, err)
		for _, row := range rows {
			if row.ID == r.ID {
				return true, counts[QSoon]
			}
		}
		return false, counts[QSoon]
	}
	if in, n := inSoon(); in || n != 0 {
		t.Fatalf("due in 4 days with the first warning at 3: in the queue %v, counted %d", in, n)
	}
	th := DefaultThresholds()
	th.Decision.First = 5 * 24
	must(t, f.store.SetThresholds(f.asLead(), th))
	if in, n := inSoon(); !in || n != 1 {
		t.Fatalf("due in 4 days with the first warning at 5: in the queue %v, counted %d", in, n)
	}
	// The turn-round of WarnAt: a deadline is warned by now exactly when it is at most WarnedUntil.
	kyiv := f.store.Loc
	for _, h := range []int{72, 30, 5 * 24, 12} {
		now := time.Date(2027, 3, 27, 9, 30, 0, 0, kyiv) // DST begins on the 28th
		until := WarnedUntil(now, h, kyiv)
		if w := WarnAt(until, h, kyiv); !w.Equal(now) {
			t.Errorf("%d h: WarnAt(WarnedUntil(%s)) = %s", h, now, w)
		}
	}
}
