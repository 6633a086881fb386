// Package moderation is the moderation desk: orders that left the normal line (not delivered 24 h
// after their expected time, cancelled after pickup, a courier's cancellation, a weight dispute)
// become cases; support staff record contact attempts and findings and choose an outcome. Opening
// and deciding a case are the order lifecycle's (admin/lifecycle): the case, the order's status,
// the money rule and the notices in one transaction; this desk lists, shows and annotates cases.
package moderation

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// Record is the audit record type of a case.
const Record = lifecycle.CaseRecord

// Overdue is how long after its expected delivery an order on the road goes to moderation.
const Overdue = lifecycle.OverdueAfter

// SweepBatch is how many overdue orders one sweep round takes.
const SweepBatch = lifecycle.SweepBatch

// Reasons a case opens for.
var Reasons = lifecycle.Reasons

// Outcomes staff may choose (each case offers those of admin/lifecycle's table that fit it).
var Outcomes = lifecycle.OutcomeNames

// Case is one order's stay in moderation.
type Case struct {
	ID          int64
	OrderID     int64
	OrderNumber string
	Reason      string
	FromStatus  orders.Status
	State       string
	Outcome     string
	OpenedAt    time.Time
	ClosedAt    time.Time
	Cost        int64
	Declared    int64
	ExpectedAt  time.Time
	ClientID    int64
	CourierID   int64
}

// Note is a contact attempt or a finding.
type Note struct {
	Kind      string
	Body      string
	StaffName string
	At        time.Time
}

// Sweep, Open and Decide are the order lifecycle's (admin/lifecycle): a case opens with the
// order's move into moderation and is decided with its move out, money and notices included.
func Sweep(ctx context.Context, pool orders.Beginner, now time.Time) (int, error) {
	return lifecycle.Sweep(ctx, pool, now)
}

func Open(ctx context.Context, pool orders.Beginner, number, reason string, now time.Time) (int64, error) {
	return lifecycle.Open(ctx, pool, number, reason, now)
}

func Decide(ctx context.Context, pool orders.Beginner, caseID int64, d Decision, now time.Time) error {
	return lifecycle.Decide(ctx, pool, caseID, d, now)
}

// Decision is staff's outcome of a case; RealGrams for the weight outcomes.
type Decision = lifecycle.Decision

// AddNote records a contact attempt or a finding on an open case.
func AddNote(ctx context.Context, pool orders.Beginner, caseID int64, kind, body string) error {
	body = strings.TrimSpace(body)
	switch {
	case kind != "contact" && kind != "finding":
		return apperr.InvalidField("kind", "moderation.note_kind")
	case body == "":
		return apperr.InvalidField("body", "moderation.required")
	case utf8.RuneCountInString(body) > 4000:
		return apperr.InvalidField("body", "moderation.too_long")
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM moderation_cases WHERE id = $1 FOR UPDATE`, caseID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "moderation.not_found")
		}
		if err != nil {
			return err
		}
		if state != "open" {
			return apperr.New(apperr.Conflict, "moderation.closed")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO moderation_notes (case_id, kind, body, staff_id) VALUES ($1, $2, $3, $4)`,
			caseID, kind, body, actor.StaffID(ctx)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "moderation.note", Record, caseID, nil, map[string]any{"kind": kind, "body": body})
	})
}

const caseCols = `c.id, c.order_id, o.number, c.reason, c.from_status, c.state, coalesce(c.outcome, ''), c.opened_at,
	coalesce(c.closed_at, 'epoch'), o.cost, o.declared_value, coalesce(o.expected_at, 'epoch'), o.client_id, coalesce(o.courier_id, 0)`

func scanCase(row pgx.Row) (Case, error) {
	var c Case
	var from string
	err := row.Scan(&c.ID, &c.OrderID, &c.OrderNumber, &c.Reason, &from, &c.State, &c.Outcome, &c.OpenedAt, &c.ClosedAt,
		&c.Cost, &c.Declared, &c.ExpectedAt, &c.ClientID, &c.CourierID)
	c.FromStatus = orders.Status(from)
	return c, err
}

// Get returns a case.
func Get(ctx context.Context, q db.Querier, id int64) (Case, error) { return get(ctx, q, id, false) }

func get(ctx context.Context, q db.Querier, id int64, lock bool) (Case, error) {
	sql := `SELECT ` + caseCols + ` FROM moderation_cases c JOIN orders o ON o.id = c.order_id WHERE c.id = $1`
	if lock {
		sql += ` FOR UPDATE OF c`
	}
	c, err := scanCase(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, apperr.New(apperr.NotFound, "moderation.not_found")
	}
	return c, err
}

// Queue lists cases in a state, oldest first, a page at a time: after is the last id shown.
func Queue(ctx context.Context, q db.Querier, state string, after int64, limit int) ([]Case, error) {
	rows, err := q.Query(ctx, `SELECT `+caseCols+` FROM moderation_cases c JOIN orders o ON o.id = c.order_id
		WHERE c.state = $1 AND c.id > $2 ORDER BY c.id LIMIT $3`, state, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Notes returns a case's notes, oldest first.
func Notes(ctx context.Context, q db.Querier, caseID int64) ([]Note, error) {
	rows, err := q.Query(ctx, `SELECT n.kind, n.body, coalesce(s.name, ''), n.at FROM moderation_notes n
		LEFT JOIN staff s ON s.id = n.staff_id WHERE n.case_id = $1 ORDER BY n.id`, caseID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Note])
}

// Balances of the parties, shown on the case.
func Balances(ctx context.Context, q db.Querier, c Case) (client, courier ledger.UserBalances, err error) {
	if client, err = ledger.Balances(ctx, q, ledger.UserID(c.ClientID)); err != nil || c.CourierID == 0 {
		return
	}
	courier, err = ledger.Balances(ctx, q, ledger.UserID(c.CourierID))
	return
}
