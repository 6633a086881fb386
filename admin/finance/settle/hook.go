package settle

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/orders"
)

// The orders pages move an order with orders.Move; this hook gives each move its money rule in
// Move's transaction. A generic cancellation from the orders pages is the client's (support acts
// on the client's call); a courier's cancellation and every other finding go through the
// moderation desk, which calls the events directly.
func init() {
	orders.OnMove = OnMove
	orders.OnCreate = func(ctx context.Context, tx pgx.Tx, orderID int64, noPromo bool) error {
		if noPromo {
			return SetNoPromo(ctx, tx, orderID, true) // places the hold first
		}
		return Place(ctx, tx, orderID)
	}
}

// OnMove applies the money rule of a status change made on the orders pages.
func OnMove(ctx context.Context, tx pgx.Tx, orderID int64, from, to orders.Status) error {
	switch {
	case to == orders.Deal && from == orders.Created:
		return Accept(ctx, tx, orderID)
	case to == orders.Delivered:
		return Deliver(ctx, tx, orderID)
	case to == orders.Cancelled && from == orders.InModeration:
		return ForceMajeure(ctx, tx, orderID)
	case to == orders.Cancelled:
		return ClientCancel(ctx, tx, orderID)
	case to == orders.Lost && from == orders.InModeration, to == orders.Lost && from == orders.PickedUp:
		return NotDelivered(ctx, tx, orderID)
	case to == orders.Returned:
		return ForceMajeure(ctx, tx, orderID)
	}
	return nil
}

// SetStatus moves an order as orders.Move does (row, history, audit) inside the caller's
// transaction, for the moderation desk and the sweep, which apply a money event in the same
// transaction. The caller has checked the move and locked the order (the events lock it).
func SetStatus(ctx context.Context, tx pgx.Tx, orderID int64, to orders.Status, note string, now time.Time) error {
	var number, from string
	var staff *int64
	if b := by(ctx); b != 0 {
		id := int64(b)
		staff = &id
	}
	err := tx.QueryRow(ctx, `SELECT number, status FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&number, &from)
	if err != nil {
		return err
	}
	if from == string(to) {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET status = $2::text, updated_at = $3::timestamptz,
			delivered_at = CASE WHEN $2::text = 'delivered' THEN $3::timestamptz END WHERE id = $1`, orderID, string(to), now); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO order_status_history (order_id, at, staff_id, from_status, to_status, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, orderID, now, staff, from, string(to), note); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "order.status", orders.Record, number,
		map[string]any{"status": from}, map[string]any{"status": string(to), "note": note})
}
