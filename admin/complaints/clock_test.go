package complaints

import (
	"testing"
	"time"
	_ "time/tzdata" // the same zone rules on every machine
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The decision deadline is 24:00 (platform time) of the 15th day after the day of receipt.
// Expected values are written as UTC instants, so a wrong offset around DST shows.
func TestDecisionDeadline(t *testing.T) {
	cases := []struct {
		name, zone, received, want string
	}{
		{"month end: 31 Jan to 15 Feb", "Europe/Kyiv", "2027-01-31T10:00:00Z", "2027-02-15T22:00:00Z"},
		{"30-day month", "Europe/Kyiv", "2027-04-30T09:00:00Z", "2027-05-15T21:00:00Z"},
		{"year end", "Europe/Kyiv", "2027-12-20T08:00:00Z", "2028-01-04T22:00:00Z"},
		{"last day is the leap day", "Europe/Kyiv", "2028-02-14T12:00:00Z", "2028-02-29T22:00:00Z"},
		{"received on the leap day", "Europe/Kyiv", "2028-02-29T12:00:00Z", "2028-03-15T22:00:00Z"},
		{"period spans the leap day", "Europe/Kyiv", "2028-02-20T12:00:00Z", "2028-03-06T22:00:00Z"},
		{"no leap day in 2027", "Europe/Kyiv", "2027-02-20T12:00:00Z", "2027-03-07T22:00:00Z"},
		// Kyiv: summer time from the last Sunday of March (28 Mar 2027), 03:00 -> 04:00.
		{"spans the March change", "Europe/Kyiv", "2027-03-20T08:00:00Z", "2027-04-04T21:00:00Z"},
		{"last day is the 23-hour day", "Europe/Kyiv", "2027-03-13T21:30:00Z", "2027-03-28T21:00:00Z"},
		// ...back to winter time on the last Sunday of October (31 Oct 2027), 04:00 -> 03:00.
		{"last day is the 25-hour day", "Europe/Kyiv", "2027-10-16T09:00:00Z", "2027-10-31T22:00:00Z"},
		{"spans the October change", "Europe/Kyiv", "2027-10-25T09:00:00Z", "2027-11-09T22:00:00Z"},
		{"UTC date differs from Kyiv date", "Europe/Kyiv", "2027-06-30T22:30:00Z", "2027-07-16T21:00:00Z"},
		{"received at 00:00 exactly is that day", "Europe/Kyiv", "2027-02-28T22:00:00Z", "2027-03-16T22:00:00Z"},
		{"received at 23:59:59", "Europe/Kyiv", "2027-02-28T21:59:59Z", "2027-03-15T22:00:00Z"},
		// Almaty: UTC+5 all year since 1 Mar 2024 (was +6); no DST.
		{"Almaty month end", "Asia/Almaty", "2025-01-30T19:30:00Z", "2025-02-15T19:00:00Z"},
		{"Almaty across the 2024 offset change", "Asia/Almaty", "2024-02-20T06:00:00Z", "2024-03-06T19:00:00Z"},
		{"Almaty leap day", "Asia/Almaty", "2028-02-14T06:00:00Z", "2028-02-29T19:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := zone(t, c.zone)
			got := PeriodEnd(utc(c.received), DecisionDays, loc)
			if !got.Equal(utc(c.want)) {
				t.Fatalf("received %s (%s): deadline %s, want %s (%s)", c.received, utc(c.received).In(loc),
					got.UTC().Format(time.RFC3339), c.want, utc(c.want).In(loc))
			}
			if h, m, s := got.In(loc).Clock(); h != 0 || m != 0 || s != 0 {
				t.Fatalf("deadline %s is not 24:00 local", got.In(loc))
			}
		})
	}
}

func TestExtensionAndNotice(t *testing.T) {
	kyiv := zone(t, "Europe/Kyiv")
	cases := []struct {
		name string
		got  time.Time
		want string
	}{
		{"extension by 15 across October change", Extend(utc("2027-10-19T21:00:00Z"), 15, kyiv), "2027-11-03T22:00:00Z"},
		{"extension by 15 across March change", Extend(utc("2027-03-20T22:00:00Z"), 15, kyiv), "2027-04-04T21:00:00Z"},
		{"extension by 1", Extend(utc("2028-02-28T22:00:00Z"), 1, kyiv), "2028-02-29T22:00:00Z"},
		{"notice: 3 days over the leap day", PeriodEnd(utc("2028-02-27T13:00:00Z"), NoticeDays, kyiv), "2028-03-01T22:00:00Z"},
		{"notice: month end", PeriodEnd(utc("2027-04-29T13:00:00Z"), NoticeDays, kyiv), "2027-05-02T21:00:00Z"},
	}
	for _, c := range cases {
		if !c.got.Equal(utc(c.want)) {
			t.Errorf("%s: got %s, want %s", c.name, c.got.UTC().Format(time.RFC3339), c.want)
		}
	}
}

func TestRecomputeFromHistory(t *testing.T) {
	kyiv := zone(t, "Europe/Kyiv")
	ev := []ClockEvent{
		{Kind: EvReceived, At: utc("2027-03-13T21:30:00Z")},
		{Kind: EvExplanation, At: utc("2027-03-15T08:00:00Z")},
		{Kind: EvExtended, At: utc("2027-03-20T08:00:00Z"), Days: 10},
		{Kind: EvDecided, At: utc("2027-04-01T08:00:00Z")},
		{Kind: EvNotified, At: utc("2027-04-02T08:00:00Z")},
		{Kind: EvDelivered, At: utc("2027-04-05T08:00:00Z")},
	}
	d := Recompute(ev, kyiv)
	if want := utc("2027-04-07T21:00:00Z"); !d.Decision.Equal(want) || !d.Extended {
		t.Fatalf("decision deadline %s extended=%v, want %s", d.Decision.UTC(), d.Extended, want)
	}
	if want := utc("2027-04-04T21:00:00Z"); !d.Notice.Equal(want) {
		t.Fatalf("notice deadline %s, want %s", d.Notice.UTC(), want)
	}
	// The notice is given when it was delivered, not when the letter was queued (issue 14).
	if want := utc("2027-04-05T08:00:00Z"); !d.NotifiedAt.Equal(want) {
		t.Fatalf("notified at %s, want the delivery %s", d.NotifiedAt.UTC(), want)
	}
}

func TestDaysLeft(t *testing.T) {
	kyiv := zone(t, "Europe/Kyiv")
	deadline := utc("2027-03-28T21:00:00Z") // 24:00 on 28 March, Kyiv
	cases := []struct {
		now  string
		want int
	}{
		{"2027-03-28T20:59:59Z", 1},  // 23:59:59 on the last day
		{"2027-03-27T22:30:00Z", 1},  // 00:30 on the last day (winter time still)
		{"2027-03-27T21:30:00Z", 2},  // 23:30 the day before
		{"2027-03-25T10:00:00Z", 4},  // 25, 26, 27, 28
		{"2027-03-28T21:00:00Z", -1}, // 24:00: breached, the first day late
		{"2027-03-30T10:00:00Z", -2},
	}
	for _, c := range cases {
		if got := DaysLeft(deadline, utc(c.now), kyiv); got != c.want {
			t.Errorf("now %s: %d days left, want %d", utc(c.now).In(kyiv), got, c.want)
		}
	}
}
