package lifecycle

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/orders"
)

// CaseRecord is the audit record type of a moderation case.
const CaseRecord = "moderation_case"

// OverdueAfter is how long after its expected delivery an order on the road goes to moderation.
const OverdueAfter = 24 * time.Hour

// SweepBatch is how many overdue orders one sweep round takes.
const SweepBatch = 200

// Open puts an order into moderation from the moderation desk for reason (a courier's
// cancellation, a cancellation after pickup, a weight dispute, or staff's own), opening its case
// and moving its status in one transaction. It returns the case.
func Open(ctx context.Context, pool orders.Beginner, number, reason string, now time.Time) (int64, error) {
	if reason == "overdue" {
		return 0, apperr.InvalidField("reason", "moderation.reason_unknown")
	}
	return open(ctx, pool, number, OpenCase, reason, "", now)
}

func open(ctx context.Context, pool orders.Beginner, number string, action Action, reason, note string, now time.Time) (int64, error) {
	if _, ok := ReasonsFrom[reason]; !ok {
		return 0, apperr.InvalidField("reason", "moderation.reason_unknown")
	}
	var caseID int64
	err := inTx(ctx, pool, func(tx pgx.Tx) error {
		o, err := lock(ctx, tx, number)
		if err != nil {
			return err
		}
		id, err := openTx(ctx, tx, o, action, reason, note, now)
		caseID = id
		return err
	})
	return caseID, err
}

// openTx opens the order's case and moves it into moderation; the order is locked.
func openTx(ctx context.Context, tx pgx.Tx, o order, action Action, reason, note string, now time.Time) (int64, error) {
	if _, ok := find(action, o.Status); !ok {
		return 0, refused(o.Status, inModeration)
	}
	if !contains(ReasonsFrom[reason], o.Status) {
		return 0, &apperr.Error{Code: apperr.Conflict, Message: "lifecycle.reason_not_now", Field: "reason"}
	}
	var caseID int64
	err := tx.QueryRow(ctx, `INSERT INTO moderation_cases (order_id, reason, from_status, opened_at, opened_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, o.ID, reason, string(o.Status), now, actor.StaffID(ctx)).Scan(&caseID)
	if err != nil {
		return 0, err
	}
	if note != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO moderation_notes (case_id, kind, body, staff_id) VALUES ($1, 'finding', $2, $3)`,
			caseID, note, actor.StaffID(ctx)); err != nil {
			return 0, err
		}
	}
	history := "moderation: " + reason
	if note != "" {
		history = note
	}
	if err := setStatus(ctx, tx, o, inModeration, history, now); err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, "moderation.open", CaseRecord, caseID, nil, map[string]any{"order_id": o.ID, "reason": reason}); err != nil {
		return 0, err
	}
	return caseID, notifyParties(ctx, tx, o.ID, 0, "moderation_opened", map[string]any{"reason": reason})
}

// Sweep moves every order still on the road OverdueAfter its expected delivery into moderation, at
// most SweepBatch orders per call, opening each one's overdue case. The overdue case is unique per
// order and rows are taken with SKIP LOCKED, so two sweeps at once never open a case twice. It
// returns how many it moved.
func Sweep(ctx context.Context, pool orders.Beginner, now time.Time) (int, error) {
	moved := 0
	err := inTx(ctx, pool, func(tx pgx.Tx) error {
		moved = 0
		rows, err := tx.Query(ctx, `SELECT id, number, status, coalesce(courier_id, 0) FROM orders
			WHERE status IN ('deal', 'picked_up') AND expected_at IS NOT NULL AND expected_at < $1
			  AND NOT EXISTS (SELECT 1 FROM moderation_cases c WHERE c.order_id = orders.id AND c.reason = 'overdue')
			ORDER BY expected_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now.Add(-OverdueAfter), SweepBatch)
		if err != nil {
			return err
		}
		due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (order, error) {
			var o order
			var status string
			err := r.Scan(&o.ID, &o.Number, &status, &o.Courier)
			o.Status = orders.Status(status)
			return o, err
		})
		if err != nil {
			return err
		}
		for _, o := range due {
			if _, err := openTx(ctx, tx, o, Overdue, "overdue", "", now); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	return moved, err
}

// Decision is staff's outcome of a case; RealGrams for the weight outcomes.
type Decision struct {
	Outcome   string
	RealGrams int64
	Note      string
}

// Decide closes an open case with its outcome: the money rule, the order's status, the case, the
// audit entry and the parties' notices, all in one transaction. A case is decided only while its
// order is in moderation for it, and only with an outcome of the table for where the order was
// when the case opened and why.
func Decide(ctx context.Context, pool orders.Beginner, caseID int64, d Decision, now time.Time) error {
	if !contains(OutcomeNames, d.Outcome) {
		return apperr.InvalidField("outcome", "moderation.outcome_unknown")
	}
	if strings.HasPrefix(d.Outcome, "weight_") && d.RealGrams <= 0 {
		return apperr.InvalidField("real_grams", "moderation.real_weight_required")
	}
	return inTx(ctx, pool, func(tx pgx.Tx) error {
		// The order first, then its case: the order every path locks them in.
		var orderID int64
		err := tx.QueryRow(ctx, `SELECT order_id FROM moderation_cases WHERE id = $1`, caseID).Scan(&orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "moderation.not_found")
		}
		if err != nil {
			return err
		}
		o, err := lockBy(ctx, tx, "id = $1", orderID)
		if err != nil {
			return err
		}
		var state, reason, from string
		if err := tx.QueryRow(ctx, `SELECT state, reason, from_status FROM moderation_cases WHERE id = $1 FOR UPDATE`, caseID).
			Scan(&state, &reason, &from); err != nil {
			return err
		}
		if state != "open" {
			return apperr.New(apperr.Conflict, "moderation.closed")
		}
		if o.Status != inModeration {
			return apperr.New(apperr.Conflict, "lifecycle.case_stale")
		}
		line, ok := outcome(d.Outcome, orders.Status(from), reason)
		if !ok {
			return &apperr.Error{Code: apperr.Conflict, Message: "lifecycle.outcome_not_for_case", Field: "outcome"}
		}
		if line.Money != nil {
			if err := line.Money(ctx, tx, o.ID, d.RealGrams, "case-"+strconv.FormatInt(caseID, 10)); err != nil {
				if apperr.MessageOf(err) == ledger.ErrInsufficient {
					return &apperr.Error{Code: apperr.Conflict, Message: "lifecycle.party_short", Field: "outcome"}
				}
				return err
			}
		}
		if err := setStatus(ctx, tx, o, line.To, "moderation: "+d.Outcome, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE moderation_cases SET state = 'closed', outcome = $2, closed_at = $3, closed_by = $4 WHERE id = $1`,
			caseID, d.Outcome, now, actor.StaffID(ctx)); err != nil {
			return err
		}
		if note := strings.TrimSpace(d.Note); note != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO moderation_notes (case_id, kind, body, staff_id) VALUES ($1, 'finding', $2, $3)`,
				caseID, note, actor.StaffID(ctx)); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, "moderation.decide", CaseRecord, caseID, map[string]any{"state": "open"},
			map[string]any{"outcome": d.Outcome, "status": string(line.To), "real_grams": d.RealGrams}); err != nil {
			return err
		}
		return notifyParties(ctx, tx, o.ID, 0, "moderation_decided", map[string]any{"outcome": d.Outcome})
	})
}

// OpenCaseOf is the id of an order's open case (0: none).
func OpenCaseOf(ctx context.Context, pool orders.DB, orderID int64) (int64, error) {
	var id int64
	err := pool.QueryRow(ctx, `SELECT id FROM moderation_cases WHERE order_id = $1 AND state = 'open'`, orderID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
