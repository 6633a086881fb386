// Package moderation is the moderation desk: orders that left the normal line (not delivered 24 h
// after their expected time, cancelled after pickup, a courier's cancellation, a weight dispute)
// become cases; support staff record contact attempts and findings and choose an outcome, which
// applies the money rule (admin/finance/settle) with the order's status in one transaction.
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
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/admin/orders"
)

// Record is the audit record type of a case.
const Record = "moderation_case"

// Overdue is how long after its expected delivery an order on the road goes to moderation.
const Overdue = 24 * time.Hour

// SweepBatch is how many overdue orders one sweep round takes.
const SweepBatch = 200

// Reasons a case opens for.
var Reasons = []string{"overdue", "client_cancel_after_pickup", "courier_cancel_before_pickup", "courier_cancel_after_pickup", "weight_dispute", "manual"}

// Outcomes staff may choose.
var Outcomes = []string{"delivered_late", "force_majeure", "lost", "returned", "client_fault", "courier_fault", "weight_accepted", "weight_refused"}

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

// Sweep moves every order still on the road Overdue after its expected delivery into moderation,
// at most batch orders per call. The overdue case is unique per order and rows are taken with SKIP
// LOCKED, so two workers sweeping at once never open a case twice. It returns how many it moved.
func Sweep(ctx context.Context, pool orders.Beginner, now time.Time) (int, error) {
	moved := 0
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, status FROM orders
			WHERE status IN ('deal', 'picked_up') AND expected_at IS NOT NULL AND expected_at < $1
			  AND NOT EXISTS (SELECT 1 FROM moderation_cases c WHERE c.order_id = orders.id AND c.reason = 'overdue')
			ORDER BY expected_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now.Add(-Overdue), SweepBatch)
		if err != nil {
			return err
		}
		type due struct {
			ID     int64
			Status string
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
		if err != nil {
			return err
		}
		for _, d := range list {
			ok, err := openTx(ctx, tx, d.ID, orders.Status(d.Status), "overdue", now)
			if err != nil {
				return err
			}
			if ok {
				moved++
			}
		}
		return nil
	})
	return moved, err
}

// Open puts an order into moderation for reason (a courier's cancellation, a cancellation after
// pickup, a weight dispute, or staff's own), moving its status in the same transaction.
func Open(ctx context.Context, pool orders.Beginner, number, reason string, now time.Time) (int64, error) {
	if !contains(Reasons, reason) || reason == "overdue" {
		return 0, apperr.InvalidField("reason", "moderation.reason_unknown")
	}
	var caseID int64
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var id int64
		var status string
		err := tx.QueryRow(ctx, `SELECT id, status FROM orders WHERE number = $1 FOR UPDATE`, number).Scan(&id, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "orders.not_found")
		}
		if err != nil {
			return err
		}
		if err := orders.CheckMove(orders.Status(status), orders.InModeration); err != nil {
			return err
		}
		if _, err := openTx(ctx, tx, id, orders.Status(status), reason, now); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT id FROM moderation_cases WHERE order_id = $1 AND state = 'open'`, id).Scan(&caseID)
	})
	return caseID, err
}

// openTx opens the case and moves the order; false when a case of this kind already exists.
func openTx(ctx context.Context, tx pgx.Tx, orderID int64, from orders.Status, reason string, now time.Time) (bool, error) {
	var caseID int64
	err := tx.QueryRow(ctx, `INSERT INTO moderation_cases (order_id, reason, from_status, opened_at, opened_by)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`, orderID, reason, string(from), now, staffID(ctx)).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := settle.SetStatus(ctx, tx, orderID, orders.InModeration, "moderation: "+reason, now); err != nil {
		return false, err
	}
	if err := audit.Record(ctx, tx, "moderation.open", Record, caseID, nil, map[string]any{"order_id": orderID, "reason": reason}); err != nil {
		return false, err
	}
	return true, notifyParties(ctx, tx, orderID, "moderation_opened", map[string]any{"reason": reason})
}

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
			caseID, kind, body, staffID(ctx)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "moderation.note", Record, caseID, nil, map[string]any{"kind": kind, "body": body})
	})
}

// Decision is staff's outcome of a case; RealGrams only for weight_accepted.
type Decision struct {
	Outcome   string
	RealGrams int64
	Note      string
}

// Decide closes an open case with its outcome: the money rule, the order's status, the case, the
// audit entry and the parties' notices, all in one transaction.
func Decide(ctx context.Context, pool orders.Beginner, caseID int64, d Decision, now time.Time) error {
	if !contains(Outcomes, d.Outcome) {
		return apperr.InvalidField("outcome", "moderation.outcome_unknown")
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		c, err := get(ctx, tx, caseID, true)
		if err != nil {
			return err
		}
		if c.State != "open" {
			return apperr.New(apperr.Conflict, "moderation.closed")
		}
		event, to, err := rule(c, d)
		if err != nil {
			return err
		}
		if err := event(ctx, tx, c.OrderID); err != nil {
			return err
		}
		if err := settle.SetStatus(ctx, tx, c.OrderID, to, "moderation: "+d.Outcome, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE moderation_cases SET state = 'closed', outcome = $2, closed_at = $3, closed_by = $4 WHERE id = $1`,
			caseID, d.Outcome, now, staffID(ctx)); err != nil {
			return err
		}
		if strings.TrimSpace(d.Note) != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO moderation_notes (case_id, kind, body, staff_id) VALUES ($1, 'finding', $2, $3)`,
				caseID, strings.TrimSpace(d.Note), staffID(ctx)); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, "moderation.decide", Record, caseID, map[string]any{"state": "open"},
			map[string]any{"outcome": d.Outcome, "status": string(to), "real_grams": d.RealGrams}); err != nil {
			return err
		}
		return notifyParties(ctx, tx, c.OrderID, "moderation_decided", map[string]any{"outcome": d.Outcome})
	})
}

// rule maps an outcome to its money event and the order's new status (DOMAIN.md §3).
func rule(c Case, d Decision) (func(context.Context, pgx.Tx, int64) error, orders.Status, error) {
	pickedUp := c.FromStatus == orders.PickedUp || c.FromStatus == orders.Delivered
	switch d.Outcome {
	case "delivered_late":
		return settle.Deliver, orders.Delivered, nil
	case "force_majeure":
		return settle.ForceMajeure, orders.Cancelled, nil
	case "lost":
		return settle.NotDelivered, orders.Lost, nil
	case "returned":
		if c.Reason == "client_cancel_after_pickup" {
			return settle.ClientReturned, orders.Returned, nil
		}
		return settle.CourierFault, orders.Returned, nil
	case "client_fault":
		if pickedUp {
			return settle.ClientReturned, orders.Returned, nil
		}
		return settle.ClientCancel, orders.Cancelled, nil
	case "courier_fault":
		if c.Reason == "overdue" {
			return settle.NotDelivered, orders.Lost, nil
		}
		if pickedUp {
			return settle.CourierFault, orders.Returned, nil
		}
		return settle.CourierFault, orders.Cancelled, nil
	case "weight_accepted":
		if d.RealGrams <= 0 {
			return nil, "", apperr.InvalidField("real_grams", "moderation.real_weight_required")
		}
		return func(ctx context.Context, tx pgx.Tx, id int64) error {
			_, err := settle.Reweigh(ctx, tx, id, d.RealGrams)
			return err
		}, c.FromStatus, nil
	case "weight_refused":
		return settle.WeightRefused, orders.Cancelled, nil
	}
	return nil, "", apperr.InvalidField("outcome", "moderation.outcome_unknown")
}

// notifyParties tells the order's client and courier through the outbox, in the caller's transaction.
func notifyParties(ctx context.Context, tx pgx.Tx, orderID int64, tpl string, data map[string]any) error {
	var number string
	var client int64
	var courier *int64
	if err := tx.QueryRow(ctx, `SELECT number, client_id, courier_id FROM orders WHERE id = $1`, orderID).Scan(&number, &client, &courier); err != nil {
		return err
	}
	data["number"] = number
	for _, to := range []*int64{&client, courier} {
		if to == nil {
			continue
		}
		if _, err := notify.EnqueueTx(ctx, tx, notify.Notice{AccountID: *to, Template: tpl, Data: data, Cause: "order:" + number}); err != nil {
			return err
		}
	}
	return nil
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

// staffID is the acting staff member, or nil for the system (the sweep).
func staffID(ctx context.Context) *int64 {
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		return &a.ID
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
