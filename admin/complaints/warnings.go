package complaints

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
)

// Warnings are the two warning times before one clock's deadline, in hours: the sweep sends the
// first warning (alert level "d3") and the second ("d1", the last before the breach) when that
// much is left; the SLA pill turns amber at the first. Whole days are counted as calendar days
// in the platform zone, so a 3-day warning falls at midnight there whatever DST does.
type Warnings struct {
	First  int `json:"first_hours"`
	Second int `json:"second_hours"`
}

// Thresholds are the warnings of the board's two clocks, which a support lead sets on the board.
type Thresholds struct {
	Decision Warnings
	Notice   Warnings
}

// The warnings unless a lead set others: 3 days and 1 day before either deadline.
const (
	DefaultFirstHours  = 72
	DefaultSecondHours = 24
	// MaxWarningHours caps a warning at the longest period of RULES.md §4.2 (15 days).
	MaxWarningHours = 15 * 24
)

// Settings keys of the two clocks' warnings.
const (
	settingDecisionWarnings = "complaints.sla.decision_warnings"
	settingNoticeWarnings   = "complaints.sla.notice_warnings"
)

// DefaultThresholds are 3 days and 1 day on both clocks.
func DefaultThresholds() Thresholds {
	w := Warnings{First: DefaultFirstHours, Second: DefaultSecondHours}
	return Thresholds{Decision: w, Notice: w}
}

// LoadThresholds reads the warnings from the settings, the defaults where none are set.
func LoadThresholds(ctx context.Context, q db.Querier) (Thresholds, error) {
	t := DefaultThresholds()
	rows, err := q.Query(ctx, `SELECT key, value FROM settings WHERE key IN ($1, $2)`, settingDecisionWarnings, settingNoticeWarnings)
	if err != nil {
		return t, err
	}
	var key string
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&key, &raw}, func() error {
		var w Warnings
		if err := json.Unmarshal(raw, &w); err != nil {
			return err
		}
		if w.Check() != nil {
			return nil // a value this code would refuse keeps the default
		}
		if key == settingDecisionWarnings {
			t.Decision = w
		} else {
			t.Notice = w
		}
		return nil
	})
	return t, err
}

// Check applies the rule: whole hours, the first warning before the second, the second before
// the deadline, the first at most 15 days before it. The error names the broken rule's message.
func (w Warnings) Check() error {
	switch {
	case w.Second <= 0:
		return errors.New("complaints.warn.positive")
	case w.First <= w.Second:
		return errors.New("complaints.warn.order")
	case w.First > MaxWarningHours:
		return errors.New("complaints.warn.max")
	}
	return nil
}

// WarnAt is when a warning hours before deadline falls: whole days back on the platform's
// calendar, then the remaining hours.
func WarnAt(deadline time.Time, hours int, loc *time.Location) time.Time {
	t := deadline.In(loc)
	y, m, d := t.Date()
	day := time.Date(y, m, d-hours/24, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	return day.Add(-time.Duration(hours%24) * time.Hour)
}

// WarnedUntil is the latest deadline whose warning hours before it has fallen by now: WarnAt turned
// round (the remaining hours forward, then whole days on the platform's calendar).
func WarnedUntil(now time.Time, hours int, loc *time.Location) time.Time {
	t := now.In(loc).Add(time.Duration(hours%24) * time.Hour)
	y, m, d := t.Date()
	return time.Date(y, m, d+hours/24, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// ParseSpan reads a warning as typed: a whole number of days ("d") or hours ("h"), in hours. The
// error is the message key for the field.
func ParseSpan(amount, unit string) (int, error) {
	amount = strings.TrimSpace(amount)
	n, err := strconv.Atoi(amount)
	if err != nil {
		return 0, errors.New("complaints.warn.whole")
	}
	if n <= 0 {
		return 0, errors.New("complaints.warn.positive")
	}
	switch unit {
	case "d":
		if n > MaxWarningHours/24 {
			return 0, errors.New("complaints.warn.max")
		}
		return n * 24, nil
	case "h":
		if n > MaxWarningHours {
			return 0, errors.New("complaints.warn.max")
		}
		return n, nil
	}
	return 0, errors.New("complaints.warn.bad_unit")
}

// SetThresholds stores both clocks' warnings and audits the change, in one transaction. The
// caller has checked them (Warnings.Check).
func (s *Store) SetThresholds(ctx context.Context, t Thresholds) error {
	for _, w := range []Warnings{t.Decision, t.Notice} {
		if err := w.Check(); err != nil {
			return apperr.InvalidField("warnings", err.Error())
		}
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		// The lock keeps two leads' changes from interleaving their audit entries' "before".
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, settingDecisionWarnings); err != nil {
			return err
		}
		old, err := LoadThresholds(ctx, tx)
		if err != nil {
			return err
		}
		for key, w := range map[string]Warnings{settingDecisionWarnings: t.Decision, settingNoticeWarnings: t.Notice} {
			b, err := json.Marshal(w)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, b, s.now()); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "complaints.sla_warnings", "setting", "complaints.sla", thresholdsAudit(old), thresholdsAudit(t))
	})
}

func thresholdsAudit(t Thresholds) map[string]any {
	return map[string]any{"decision": t.Decision, "notice": t.Notice}
}
