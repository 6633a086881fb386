package complaints

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db"
)

// Queue names a work list.
type Queue string

const (
	QMine       Queue = "mine"
	QUnassigned Queue = "unassigned"
	QToday      Queue = "today"     // the decision is due by tonight's 24:00
	QSoon       Queue = "soon"      // its first warning has come (3 days before, unless a lead set another)
	QOverdue    Queue = "overdue"   // breached and still undecided
	QWaiting    Queue = "waiting"   // waiting for the respondent
	QExtension  Queue = "extension" // an agent asks a lead for the extension
)

// Queues in the order the tabs show them.
var Queues = []Queue{QMine, QUnassigned, QToday, QSoon, QOverdue, QWaiting, QExtension}

// Row is a complaint in a queue.
type Row struct {
	ID              int64
	Number          string
	State           State
	ComplainantName string
	RespondentLogin string
	AssigneeName    string
	DecisionDue     time.Time
	Extended        bool
	DuplicateOf     *int64
}

// Cursor is the keyset position after the last row shown.
type Cursor struct {
	Due time.Time
	ID  int64
}

// QueuePage lists one queue, soonest deadline first, PageSize rows after the cursor (zero: from the
// start). Every queue reads one of the partial indexes on open complaints by (decision_due, id).
func (s *Store) QueuePage(ctx context.Context, q db.Querier, queue Queue, me int64, after Cursor, limit int) ([]Row, *Cursor, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	now := s.now()
	today := DayEnd(now, s.Loc)
	soon, err := s.soon(ctx, q, now)
	if err != nil {
		return nil, nil, err
	}
	args := pgx.NamedArgs{"me": me, "now": now, "today": today, "soon": soon, "limit": limit + 1,
		"after_due": after.Due, "after_id": after.ID}
	where := `c.state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting')`
	switch queue {
	case QMine:
		where += ` AND c.assignee_id = @me`
	case QUnassigned:
		where += ` AND c.assignee_id IS NULL`
	case QToday:
		where += ` AND c.decision_due > @now AND c.decision_due <= @today`
	case QSoon:
		where += ` AND c.decision_due > @now AND c.decision_due <= @soon`
	case QOverdue:
		where += ` AND c.decision_due <= @now`
	case QWaiting:
		where = `c.state = 'waiting'`
	case QExtension:
		where += ` AND c.id IN (SELECT complaint_id FROM complaint_extension_requests WHERE state = 'pending')`
	default:
		where += ` AND c.assignee_id = @me`
	}
	if after.ID != 0 {
		where += ` AND (c.decision_due, c.id) > (@after_due, @after_id)`
	}
	rows, err := q.Query(ctx, `SELECT c.id, c.number, c.state, c.complainant_name, c.respondent_login, coalesce(st.name, ''),
			c.decision_due, c.extended, c.duplicate_of
		FROM complaints c LEFT JOIN staff st ON st.id = c.assignee_id
		WHERE `+where+` ORDER BY c.decision_due, c.id LIMIT @limit`, args)
	if err != nil {
		return nil, nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Row])
	if err != nil {
		return nil, nil, err
	}
	v := actor.ViewOf(ctx)
	for i := range list {
		list[i].RespondentLogin = v.Login(list[i].RespondentLogin)
	}
	if len(list) > limit {
		list = list[:limit]
		last := list[len(list)-1]
		return list, &Cursor{Due: last.DecisionDue, ID: last.ID}, nil
	}
	return list, nil, nil
}

// Badge is how urgent a deadline looks: green before the clock's first warning (3 days before
// the deadline unless a lead set another), amber from it, red once breached. Left is negative
// after the deadline.
type Badge struct {
	Level string // green, amber, red
	Left  time.Duration
}

// BadgeFor classifies a deadline at now, amber from the first warning (hours before it, see WarnAt).
func BadgeFor(deadline, now time.Time, loc *time.Location, firstWarning int) Badge {
	b := Badge{Left: deadline.Sub(now)}
	switch {
	case b.Left <= 0:
		b.Level = "red"
	case !now.Before(WarnAt(deadline, firstWarning, loc)):
		b.Level = "amber"
	default:
		b.Level = "green"
	}
	return b
}

// soon is the latest decision deadline in the "due soon" queue: the decision clock's first
// warning (set on the SLA board) has come for it.
func (s *Store) soon(ctx context.Context, q db.Querier, now time.Time) (time.Time, error) {
	t, err := LoadThresholds(ctx, q)
	if err != nil {
		return time.Time{}, err
	}
	return WarnedUntil(now, t.Decision.First, s.Loc), nil
}

// countCap is where a tab stops counting ("999+"): each count reads its own index and stops there.
const countCap = 1000

// QueueCounts counts each queue for the tabs, up to countCap each.
func (s *Store) QueueCounts(ctx context.Context, q db.Querier, me int64) (map[Queue]int, error) {
	now := s.now()
	today := DayEnd(now, s.Loc)
	open := `state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting')`
	capped := func(where string) string {
		return `(SELECT count(*) FROM (SELECT 1 FROM complaints WHERE ` + where + ` LIMIT ` + strconv.Itoa(countCap) + `) x)`
	}
	soonUntil, err := s.soon(ctx, q, now)
	if err != nil {
		return nil, err
	}
	args := pgx.NamedArgs{"me": me, "now": now, "today": today, "soon": soonUntil}
	out := map[Queue]int{}
	var mine, unassigned, todayN, soon, overdue, waiting, extension int
	err = q.QueryRow(ctx, `SELECT `+capped(open+` AND assignee_id = @me`)+`, `+capped(open+` AND assignee_id IS NULL`)+`, `+
		capped(open+` AND decision_due > @now AND decision_due <= @today`)+`, `+capped(open+` AND decision_due > @now AND decision_due <= @soon`)+`, `+
		capped(open+` AND decision_due <= @now`)+`, `+capped(`state = 'waiting'`)+`, `+
		`(SELECT count(*) FROM complaint_extension_requests WHERE state = 'pending')`, args).
		Scan(&mine, &unassigned, &todayN, &soon, &overdue, &waiting, &extension)
	out[QMine], out[QUnassigned], out[QToday], out[QSoon], out[QOverdue], out[QWaiting] = mine, unassigned, todayN, soon, overdue, waiting
	out[QExtension] = extension
	return out, err
}
