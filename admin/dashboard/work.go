package dashboard

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/db"
)

// work counts what waits for one member, each from an index: their open complaints due by
// tonight and overdue, the unassigned ones, payouts, top-ups and correcting entries other
// officers asked them to approve, open moderation cases. A count the member may not open is
// never asked for (need tells which).
type work struct {
	MineToday, MineOverdue, Unassigned int64
	Payouts, Funding, Corrections      int64
	Extensions                         int64
	Moderation                         int64
}

type need struct{ complaints, extensions, payouts, funding, corrections, moderation bool }

const openStates = `state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting')`

func countWork(ctx context.Context, q db.Querier, me int64, now time.Time, loc *time.Location, n need) (work, error) {
	var w work
	if n.complaints {
		today := complaints.DayEnd(now, loc)
		if err := q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE decision_due > $2 AND decision_due <= $3), count(*) FILTER (WHERE decision_due <= $2)
			FROM complaints WHERE assignee_id = $1 AND `+openStates, me, now, today).Scan(&w.MineToday, &w.MineOverdue); err != nil {
			return w, err
		}
		if err := q.QueryRow(ctx, `SELECT count(*) FROM complaints WHERE assignee_id IS NULL AND `+openStates).Scan(&w.Unassigned); err != nil {
			return w, err
		}
	}
	pending := func(enabled bool, sql string, dst *int64) error {
		if !enabled {
			return nil
		}
		return q.QueryRow(ctx, sql, me).Scan(dst)
	}
	if n.extensions {
		if err := q.QueryRow(ctx, `SELECT count(*) FROM complaint_extension_requests WHERE state = 'pending'`).Scan(&w.Extensions); err != nil {
			return w, err
		}
	}
	if err := pending(n.payouts, `SELECT count(*) FROM payouts WHERE state = 'pending_approval' AND requested_by <> $1`, &w.Payouts); err != nil {
		return w, err
	}
	if err := pending(n.funding, `SELECT count(*) FROM funding_requests WHERE state = 'pending_approval' AND requested_by <> $1`, &w.Funding); err != nil {
		return w, err
	}
	if err := pending(n.corrections, `SELECT count(*) FROM recon_corrections WHERE state = 'pending_approval' AND requested_by <> $1`, &w.Corrections); err != nil {
		return w, err
	}
	if n.moderation {
		if err := q.QueryRow(ctx, `SELECT count(*) FROM moderation_cases WHERE state = 'open'`).Scan(&w.Moderation); err != nil {
			return w, err
		}
	}
	return w, nil
}

// recentFile is one of the member's own generated files.
type recentFile struct {
	ID    int64
	Name  string
	State string
	At    time.Time
}

func recentFiles(ctx context.Context, q db.Querier, me int64) ([]recentFile, error) {
	rows, err := q.Query(ctx, `SELECT id, name, state, created_at FROM files WHERE owner_staff_id = $1 AND record_type = '' ORDER BY id DESC LIMIT 5`, me)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[recentFile])
}
