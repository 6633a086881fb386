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
	// Week boundaries are exact instants (Monday 00:00 in the platform zone, DST included), so
	// rows are bucketed by comparison with width_bucket instead of a time-zone conversion per row.
	bounds := make([]time.Time, weeks+1)
	for i := range bounds {
		bounds[i] = from.AddDate(0, 0, 7*i)
	}
	b := Board{Weeks: make([]Week, weeks)}
	for i := range b.Weeks {
		b.Weeks[i].Start = bounds[i]
	}
	rows, err := q.Query(ctx, `SELECT width_bucket(hour, $1::timestamptz[]), sum(received), sum(decided), sum(on_time),
			coalesce(sum(decision_secs)::float8 / nullif(sum(decided), 0) / 86400, 0), sum(notified), sum(notices_on_time)
		FROM complaint_sla_hours WHERE hour >= $2 AND hour < $3 GROUP BY 1`, bounds, bounds[0], bounds[weeks])
	if err != nil {
		return Board{}, err
	}
	var bucket int
	var w Week
	if _, err := pgx.ForEachRow(rows, []any{&bucket, &w.Received, &w.Decided, &w.OnTime, &w.AvgDays, &w.Notified, &w.NoticesOnTime}, func() error {
		if bucket >= 1 && bucket <= weeks {
			w.Start = b.Weeks[bucket-1].Start
			b.Weeks[bucket-1] = w
		}
		return nil
	}); err != nil {
		return Board{}, err
	}
	// Breaches: decisions taken late in the period (from the rollup) and open complaints already
	// past their deadline (from the open-complaints index).
	rows, err = q.Query(ctx, `
		SELECT coalesce(st.name, ''), sum(n)::int FROM (
			SELECT nullif(assignee_id, 0) AS assignee_id, breaches AS n FROM complaint_sla_breaches WHERE hour >= $1
			UNION ALL
			SELECT assignee_id, count(*) FROM complaints
			WHERE state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting') AND decision_due <= $2
			GROUP BY assignee_id
		) x LEFT JOIN staff st ON st.id = x.assignee_id
		GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50`, bounds[0], now)
	if err != nil {
		return Board{}, err
	}
	b.Agents, err = pgx.CollectRows(rows, pgx.RowToStructByPos[AgentBreaches])
	return b, err
}
