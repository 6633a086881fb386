package complaints

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/db"
)

// Week is one week of the SLA board (weeks start on Monday, platform time).
type Week struct {
	Start         time.Time
	Received      int
	Decided       int
	OnTime        int     // decided by the decision deadline
	AvgDays       float64 // from receipt to decision
	Notified      int
	NoticesOnTime int // decision notices sent by their deadline
}

// OnTimeShare is the share of decisions taken in time, 0..1.
func (w Week) OnTimeShare() float64 {
	if w.Decided == 0 {
		return 0
	}
	return float64(w.OnTime) / float64(w.Decided)
}

// NoticeShare is the share of notices sent in time, 0..1.
func (w Week) NoticeShare() float64 {
	if w.Notified == 0 {
		return 0
	}
	return float64(w.NoticesOnTime) / float64(w.Notified)
}

// AgentBreaches counts an agent's breached complaints: decided late, or still open past the deadline.
type AgentBreaches struct {
	Name     string
	Breaches int
}

// Board is the SLA board.
type Board struct {
	Weeks  []Week
	Agents []AgentBreaches
}

// SLABoard computes the last weeks of the board. Received counts by week of receipt, the rest by
// week of decision; both read range scans of their indexes.
func (s *Store) SLABoard(ctx context.Context, q db.Querier, weeks int) (Board, error) {
	if weeks <= 0 || weeks > 52 {
		weeks = 12
	}
	now := s.now()
	y, m, d := now.In(s.Loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, s.Loc)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	from := monday.AddDate(0, 0, -7*(weeks-1))
	tz := s.Loc.String()
	rows, err := q.Query(ctx, `
		WITH w AS (
			SELECT gs AS start FROM generate_series(($1::timestamptz AT TIME ZONE $2), ($3::timestamptz AT TIME ZONE $2), interval '7 days') gs
		), rec AS (
			SELECT date_trunc('week', received_at AT TIME ZONE $2) AS start, count(*) AS n
			FROM complaints WHERE received_at >= $1 GROUP BY 1
		), dec AS (
			SELECT date_trunc('week', decided_at AT TIME ZONE $2) AS start, count(*) AS n,
				count(*) FILTER (WHERE decided_at < decision_due) AS on_time,
				coalesce(avg(extract(epoch FROM decided_at - received_at) / 86400), 0) AS avg_days,
				count(notified_at) AS notified,
				count(*) FILTER (WHERE notified_at <= notice_due) AS notices_on_time
			FROM complaints WHERE decided_at >= $1 GROUP BY 1
		)
		SELECT w.start, coalesce(rec.n, 0), coalesce(dec.n, 0), coalesce(dec.on_time, 0), coalesce(dec.avg_days, 0),
			coalesce(dec.notified, 0), coalesce(dec.notices_on_time, 0)
		FROM w LEFT JOIN rec ON rec.start = w.start LEFT JOIN dec ON dec.start = w.start ORDER BY w.start`,
		from, tz, monday)
	if err != nil {
		return Board{}, err
	}
	var b Board
	b.Weeks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Week, error) {
		var w Week
		var start time.Time
		err := r.Scan(&start, &w.Received, &w.Decided, &w.OnTime, &w.AvgDays, &w.Notified, &w.NoticesOnTime)
		w.Start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, s.Loc)
		return w, err
	})
	if err != nil {
		return Board{}, err
	}
	rows, err = q.Query(ctx, `
		SELECT coalesce(st.name, ''), count(*) FROM (
			SELECT assignee_id FROM complaints WHERE decided_at >= $1 AND decided_at >= decision_due
			UNION ALL
			SELECT assignee_id FROM complaints
			WHERE state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting') AND decision_due <= $2
		) b LEFT JOIN staff st ON st.id = b.assignee_id
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50`, from, now)
	if err != nil {
		return Board{}, err
	}
	b.Agents, err = pgx.CollectRows(rows, pgx.RowToStructByPos[AgentBreaches])
	return b, err
}
