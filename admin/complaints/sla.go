package complaints

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// SweepBatch caps the alerts one sweep sends, so a backlog is worked off over a few runs in
// transactions of bounded size.
const SweepBatch = 2000

// Alert is one warning or escalation the sweep sent.
type Alert struct {
	ComplaintID int64
	Clock       string // decision or notice
	Deadline    time.Time
	Level       string // d3, d1, breach
	StaffID     *int64
}

// sweepSQL finds, for every open clock, the level due now by that clock's warnings ($4, $5 the
// decision's first and second, $6, $7 the notice's, in hours), and inserts it into
// complaint_sla_alerts unless it is there already. The deadlines are first narrowed by their
// indexes (a day's slack covers DST), then placed exactly as WarnAt places them: whole days back on
// the calendar of zone $2, then the hours. The primary key makes each
// (complaint, clock, deadline, level) alert exist once: two sweeps racing each other insert the
// same keys, and one of them gets nothing back for each. Levels keep their first names: d3 is the
// first warning, d1 the second, whatever the thresholds are now.
const sweepSQL = `
WITH due AS (
	SELECT c.id, 'decision' AS clock, c.decision_due AS deadline, c.assignee_id, $4::int AS first_h, $5::int AS second_h
	FROM complaints c
	WHERE c.state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting')
	  AND c.decision_due <= $1::timestamptz + make_interval(hours => $4::int + 25)
	UNION ALL
	SELECT c.id, 'notice', c.notice_due, c.assignee_id, $6::int, $7::int
	FROM complaints c
	WHERE c.notice_due IS NOT NULL AND c.notified_at IS NULL -- until the notice is delivered (migration 029)
	  AND c.notice_due <= $1::timestamptz + make_interval(hours => $6::int + 25)
), leveled AS (
	SELECT id, clock, deadline, assignee_id,
		CASE WHEN $1 >= deadline THEN 'breach'
		     WHEN $1 >= (((deadline AT TIME ZONE $2) - make_interval(days => second_h / 24)) AT TIME ZONE $2)
		                 - make_interval(hours => second_h % 24) THEN 'd1'
		     WHEN $1 >= (((deadline AT TIME ZONE $2) - make_interval(days => first_h / 24)) AT TIME ZONE $2)
		                 - make_interval(hours => first_h % 24) THEN 'd3' END AS level
	FROM due
)
INSERT INTO complaint_sla_alerts (complaint_id, clock, deadline, level, staff_id, sent_at)
SELECT l.id, l.clock, l.deadline, l.level, l.assignee_id, $1 FROM leveled l
WHERE l.level IS NOT NULL AND NOT EXISTS (SELECT 1 FROM complaint_sla_alerts a
	WHERE a.complaint_id = l.id AND a.clock = l.clock AND a.deadline = l.deadline AND a.level = l.level)
LIMIT $3
ON CONFLICT DO NOTHING
RETURNING complaint_id, clock, deadline, level, staff_id`

// Sweep sends the SLA warnings due at now: to the assignee at the clock's first and second warning
// (3 days and 1 day before the deadline unless a lead set others; to the leads while nobody is assigned), and an escalation to the leads and the assignee at a breach. Each alert is
// sent once, whatever number of sweeps run at the same time; the notices are written in the same
// transaction as the alert rows that record them.
func (s *Store) Sweep(ctx context.Context, now time.Time) ([]Alert, error) {
	var out []Alert
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		th, err := LoadThresholds(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sweepSQL, now, s.Loc.String(), SweepBatch,
			th.Decision.First, th.Decision.Second, th.Notice.First, th.Notice.Second)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Alert])
		if err != nil || len(out) == 0 {
			return err
		}
		leads, err := leadContacts(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range out {
			var c Complaint
			if err := tx.QueryRow(ctx, `SELECT id, number FROM complaints WHERE id = $1`, a.ComplaintID).Scan(&c.ID, &c.Number); err != nil {
				return err
			}
			to := leads
			if a.StaffID != nil {
				var st contact
				if err := tx.QueryRow(ctx, `SELECT email, lang FROM staff WHERE id = $1`, *a.StaffID).Scan(&st.email, &st.lang); err != nil {
					return err
				}
				if a.Level != "breach" {
					to = []contact{st} // warnings go to the assignee
				} else if !slices.ContainsFunc(leads, func(l contact) bool { return l.email == st.email }) {
					to = append(slices.Clip(leads), st) // a breach: the leads, and the assignee is told too
				}
			}
			for _, r := range to {
				if err := staffAlertTx(ctx, tx, c, r.email, r.lang, a.Level, a.Clock, a.Deadline); err != nil {
					return err
				}
			}
			kind := EvWarning
			if a.Level == "breach" {
				kind = EvEscalated
			}
			if err := event(ctx, tx, a.ComplaintID, kind, now, 0, a.Level, map[string]any{"clock": a.Clock, "deadline": a.Deadline}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

type contact struct{ email, lang string }

// leadContacts are the active support leads, who receive escalations.
func leadContacts(ctx context.Context, tx pgx.Tx) ([]contact, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT s.email, s.lang FROM staff s
		JOIN staff_group_members m ON m.staff_id = s.id JOIN staff_groups g ON g.id = m.group_id
		WHERE s.active AND g.role = 'support_lead' ORDER BY s.email`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (contact, error) {
		var c contact
		err := r.Scan(&c.email, &c.lang)
		return c, err
	})
}
