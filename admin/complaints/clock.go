package complaints

import "time"

// The periods of RULES.md §4.2, in calendar days, counted as §4.3 says.
const (
	DecisionDays     = 15 // from receipt to the decision
	MaxExtensionDays = 15 // the one extension may add at most this many
	NoticeDays       = 3  // from the decision to the notice
)

// DayEnd is 24:00 of the day that t falls on in loc, i.e. 00:00 of the next day there. Building it
// from the calendar date (not by adding 24h) keeps it right on the 23- and 25-hour days of DST.
func DayEnd(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// PeriodEnd is the end of a period of days that starts the day after event: 24:00 of the last
// day, in loc. A 15-day period for a complaint received on 1 March ends at 24:00 on 16 March.
func PeriodEnd(event time.Time, days int, loc *time.Location) time.Time {
	y, m, d := event.In(loc).Date()
	// day d+days is the last day; its end is 00:00 of day d+days+1. time.Date normalises overflow
	// across month and year ends, and the leap day.
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, loc)
}

// Extend moves a deadline by days calendar days, still ending at 24:00 of the new last day.
func Extend(deadline time.Time, days int, loc *time.Location) time.Time {
	y, m, d := deadline.In(loc).Date()
	return time.Date(y, m, d+days, 0, 0, 0, 0, loc)
}

// EventKind names a step in a complaint's history. The clock reads only the ones that move it.
type EventKind string

const (
	EvReceived     EventKind = "received"
	EvAcknowledged EventKind = "acknowledged"
	EvAssigned     EventKind = "assigned"
	EvNote         EventKind = "note"
	EvExplanation  EventKind = "explanation_requested"
	EvReply        EventKind = "respondent_replied"
	EvEvidence     EventKind = "evidence_added"
	EvExtended     EventKind = "extended"
	EvWithdrawn    EventKind = "withdrawn"
	EvPartWithdraw EventKind = "partly_withdrawn"
	EvDecided      EventKind = "decided"
	EvNotified     EventKind = "notified"         // the decision letter made and its e-mails queued
	EvDelivered    EventKind = "notice_delivered" // the last of them delivered (written by the outbox's trigger, migration 029)
	EvClosed       EventKind = "closed"
	EvEdited       EventKind = "edited"
	EvWarning      EventKind = "sla_warning"
	EvEscalated    EventKind = "sla_escalated"
)

// ClockEvent is what the deadline arithmetic needs of an event.
type ClockEvent struct {
	Kind EventKind
	At   time.Time
	Days int // extended: the days added
}

// Deadlines are a complaint's clock as its history says.
type Deadlines struct {
	Decision   time.Time // zero before receipt
	Notice     time.Time // zero until decided
	Extended   bool
	DecidedAt  time.Time
	NotifiedAt time.Time // when the decision notice was delivered: what the notice clock measures
}

// Recompute derives the deadlines from the history, oldest event first. The stored columns are a
// cache of this, kept for indexes; a test checks they always agree.
func Recompute(events []ClockEvent, loc *time.Location) Deadlines {
	var d Deadlines
	for _, e := range events {
		switch e.Kind {
		case EvReceived:
			d.Decision = PeriodEnd(e.At, DecisionDays, loc)
		case EvExtended:
			d.Decision = Extend(d.Decision, e.Days, loc)
			d.Extended = true
		case EvDecided:
			d.DecidedAt = e.At
			d.Notice = PeriodEnd(e.At, NoticeDays, loc)
		case EvDelivered:
			if d.NotifiedAt.IsZero() {
				d.NotifiedAt = e.At
			}
		}
	}
	return d
}

// Breached tells whether a deadline has passed at now: at 24:00 exactly the day is over.
func Breached(deadline, now time.Time) bool { return !deadline.IsZero() && !now.Before(deadline) }

// DaysLeft counts calendar days in loc from today to the deadline's last day, today included:
// 1 means it ends tonight. After the deadline it is minus the days late (-1 on the first day after).
func DaysLeft(deadline, now time.Time, loc *time.Location) int {
	last := deadline.Add(-time.Nanosecond) // a moment on the last day
	if Breached(deadline, now) {
		return -calendarDays(last, now, loc)
	}
	return calendarDays(now, last, loc) + 1
}

// calendarDays counts the date changes in loc from a to b.
func calendarDays(a, b time.Time, loc *time.Location) int {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	// Noon UTC on both dates: whole days apart, whatever DST did in loc.
	da := time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
