package lifecycle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/admin/orders"
)

// Service is the lifecycle as the orders pages use it (orders.Lifecycle).
type Service struct {
	Pool orders.DB
}

var _ orders.Lifecycle = Service{}

func (s Service) Create(ctx context.Context, in orders.Input, now time.Time) (orders.Order, error) {
	return Create(ctx, s.Pool, in, now)
}

func (s Service) Move(ctx context.Context, number string, m orders.MoveRequest, now time.Time) error {
	return Move(ctx, s.Pool, number, m, now)
}

func (s Service) MoveMany(ctx context.Context, numbers []string, to orders.Status, note string, now time.Time) ([]error, error) {
	return MoveMany(ctx, s.Pool, numbers, to, note, now)
}

func (s Service) BulkTargets() []orders.Status { return slices.Clone(BulkTargets) }

func (s Service) Moves(o orders.Order) []orders.Status { return Moves(o.Status) }

func (s Service) CaseReasons(from orders.Status) []string { return CaseReasons(from) }

func (s Service) OpenCase(ctx context.Context, orderID int64) (int64, error) {
	return OpenCaseOf(ctx, s.Pool, orderID)
}

// Moves lists the statuses the orders page offers from a status: the rows staff with orders:edit
// may take (deal again is a change of courier). An order in moderation has none: it leaves only
// through its case.
func Moves(from orders.Status) []orders.Status {
	var out []orders.Status
	for _, r := range Table {
		if r.From == from && r.Action != Place && contains([]Action{Accept, ChangeCourier, PickUp, Deliver, ClientCancel, Moderate}, r.Action) &&
			!contains(out, r.To) {
			out = append(out, r.To)
		}
	}
	return out
}

// Create enters an order (by hand or through the API) and holds its cost C from the client's
// available money, in one transaction: refused with the reason when the client is short or over
// the balance limit a complaint decision set.
func Create(ctx context.Context, pool orders.DB, in orders.Input, now time.Time) (orders.Order, error) {
	var number string
	err := inTx(ctx, pool, func(tx pgx.Tx) error {
		id, n, err := orders.InsertTx(ctx, tx, in, now)
		if err != nil {
			return err
		}
		number = n
		if in.NoPromo {
			err = settle.SetNoPromo(ctx, tx, id, true) // places the hold first
		} else {
			err = place(ctx, tx, id)
		}
		if err != nil {
			switch apperr.MessageOf(err) {
			case ledger.ErrInsufficient:
				return orders.FieldErrors{"client_id": "orders.client_short"}
			case "settle.over_balance_limit":
				return orders.FieldErrors{"client_id": "orders.client_over_limit"}
			}
			return err
		}
		return notifyParties(ctx, tx, id, 0, "order_status", map[string]any{"status": string(created)})
	})
	if err != nil {
		return orders.Order{}, err
	}
	return orders.Get(ctx, pool, number)
}

// Move applies one action of the orders page (or the API): the move must be a row of the table
// from the order's status. A deal needs a courier who may accept orders; a deal with another
// courier on an order in deal is a change of courier; a move to moderation opens a case (manual,
// or m's reason). A refused move changes nothing.
func Move(ctx context.Context, pool orders.Beginner, number string, m orders.MoveRequest, now time.Time) error {
	note := strings.TrimSpace(m.Note)
	if utf8.RuneCountInString(note) > 1000 {
		return apperr.InvalidField("note", "orders.too_long")
	}
	if !m.To.Valid() {
		return apperr.InvalidField("status", "orders.status_unknown")
	}
	if m.To == inModeration {
		if m.CourierID != 0 {
			return apperr.InvalidField("courier", "orders.courier_only_with_deal")
		}
		reason := m.Reason
		switch reason {
		case "":
			reason = "manual"
		case "overdue": // the sweep's alone
			return apperr.InvalidField("reason", "moderation.reason_unknown")
		}
		_, err := open(ctx, pool, number, Moderate, reason, note, now)
		return err
	}
	return inTx(ctx, pool, func(tx pgx.Tx) error {
		o, err := lock(ctx, tx, number)
		if err != nil {
			return err
		}
		action, err := actionOf(o, m)
		if err != nil {
			return err
		}
		row, ok := find(action, o.Status)
		if !ok || row.Who == "" {
			return refused(o.Status, m.To)
		}
		if row.To == inModeration && row.To != m.To { // the client's cancellation after pickup
			_, err := openTx(ctx, tx, o, action, "client_cancel_after_pickup", note, now)
			return err
		}
		if row.To != m.To {
			return refused(o.Status, m.To)
		}
		previous := o.Courier
		if row.To == deal {
			if err := assignCourier(ctx, tx, &o, m.CourierID); err != nil {
				return err
			}
		}
		if row.Money != nil {
			if err := row.Money(ctx, tx, o.ID); err != nil {
				return friendly(err)
			}
		}
		if action == ChangeCourier && note == "" {
			note = "courier changed"
		}
		if err := setStatus(ctx, tx, o, row.To, note, now); err != nil {
			return err
		}
		return notifyParties(ctx, tx, o.ID, previous, "order_status", map[string]any{"status": string(row.To)})
	})
}

// Cancel is the client's cancellation (the API's, or support's on the client's call), by the
// RULES.md §3.2: before a deal with no fee, after a deal with the 20 % penalty, after pickup into
// moderation with a client_cancel_after_pickup case.
func Cancel(ctx context.Context, pool orders.Beginner, number, note string, now time.Time) error {
	return Move(ctx, pool, number, orders.MoveRequest{To: cancelled, Note: note}, now)
}

// actionOf reads what staff asked for: the target status, and for deal whether it is a change of
// courier.
func actionOf(o order, m orders.MoveRequest) (Action, error) {
	if m.CourierID != 0 && m.To != deal {
		return "", apperr.InvalidField("courier", "orders.courier_only_with_deal")
	}
	switch m.To {
	case deal:
		if o.Status == deal {
			if m.CourierID == 0 || m.CourierID == o.Courier {
				return "", apperr.InvalidField("courier", "lifecycle.courier_same")
			}
			return ChangeCourier, nil
		}
		return Accept, nil
	case pickedUp:
		return PickUp, nil
	case delivered:
		return Deliver, nil
	case cancelled:
		return ClientCancel, nil
	}
	return "", refused(o.Status, m.To)
}

// assignCourier sets the courier who accepted the order (or takes it over): they must exist, be
// active couriers and may accept orders.
func assignCourier(ctx context.Context, tx pgx.Tx, o *order, courier int64) error {
	if courier == 0 {
		courier = o.Courier
	}
	if courier == 0 {
		return apperr.InvalidField("courier", "orders.courier_needed")
	}
	fe := orders.FieldErrors{}
	if err := orders.CheckParties(ctx, tx, &orders.Input{CourierID: courier}, fe); err != nil {
		return err
	}
	if msg := fe["courier_id"]; msg != "" {
		return apperr.InvalidField("courier", msg)
	}
	if courier == o.Courier {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET courier_id = $2 WHERE id = $1`, o.ID, courier); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "order.courier", orders.Record, o.Number,
		map[string]any{"courier_id": o.Courier}, map[string]any{"courier_id": courier}); err != nil {
		return err
	}
	o.Courier = courier
	return nil
}

// order is an order's row as a move needs it, locked.
type order struct {
	ID      int64
	Number  string
	Status  orders.Status
	Courier int64
}

func lock(ctx context.Context, tx pgx.Tx, number string) (order, error) {
	return lockBy(ctx, tx, "number = $1", strings.ToUpper(strings.TrimSpace(number)))
}

func lockBy(ctx context.Context, tx pgx.Tx, cond string, arg any) (order, error) {
	var o order
	var status string
	err := tx.QueryRow(ctx, `SELECT id, number, status, coalesce(courier_id, 0) FROM orders WHERE `+cond+` FOR UPDATE`, arg).
		Scan(&o.ID, &o.Number, &status, &o.Courier)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, apperr.New(apperr.NotFound, "orders.not_found")
	}
	o.Status = orders.Status(status)
	return o, err
}

// setStatus writes the order's new status, its history line and the audit entry: the only place
// an order's status is written.
func setStatus(ctx context.Context, tx pgx.Tx, o order, to orders.Status, note string, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE orders SET status = $2::text, updated_at = $3::timestamptz,
			-- Back in delivered after a weight dispute or a late complaint, it keeps its first delivery.
			delivered_at = CASE WHEN $2::text = 'delivered' THEN coalesce((SELECT min(h.at) FROM order_status_history h
				WHERE h.order_id = $1 AND h.to_status = 'delivered'), $3::timestamptz) END
		WHERE id = $1`, o.ID, string(to), now); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO order_status_history (order_id, at, staff_id, from_status, to_status, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, o.ID, now, actor.StaffID(ctx), string(o.Status), string(to), note); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "order.status", orders.Record, o.Number,
		map[string]any{"status": string(o.Status)}, map[string]any{"status": string(to), "note": note})
}

// refused explains a move the table does not have.
func refused(from, to orders.Status) error {
	return &apperr.Error{Code: apperr.Conflict, Message: "orders.transition_refused", Field: "status",
		Args: map[string]any{"From": string(from), "To": string(to)}}
}

// friendly says a courier's shortfall at the deal in the user's terms.
func friendly(err error) error {
	if apperr.MessageOf(err) == ledger.ErrInsufficient {
		return &apperr.Error{Code: apperr.Conflict, Message: "lifecycle.courier_short", Field: "courier"}
	}
	return err
}

// notifyParties tells the order's client and courier (and a courier just replaced) through the
// outbox, in the caller's transaction.
func notifyParties(ctx context.Context, tx pgx.Tx, orderID, previousCourier int64, tpl string, data map[string]any) error {
	var number string
	var client, courier int64
	if err := tx.QueryRow(ctx, `SELECT number, client_id, coalesce(courier_id, 0) FROM orders WHERE id = $1`, orderID).
		Scan(&number, &client, &courier); err != nil {
		return err
	}
	data["number"] = number
	to := []int64{client}
	for _, c := range []int64{courier, previousCourier} {
		if c != 0 && !contains(to, c) {
			to = append(to, c)
		}
	}
	for _, acc := range to {
		if _, err := notify.EnqueueTx(ctx, tx, notify.Notice{AccountID: acc, Template: tpl, Data: data, Cause: "order:" + number}); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction, again when PostgreSQL answers a deadlock or a serialization
// failure: an order's move posts several transfers, which may meet another order's on the same
// accounts in the other order. Everything fn does is in the transaction, so running it again is safe.
func inTx(ctx context.Context, pool orders.Beginner, fn func(tx pgx.Tx) error) error {
	var err error
	for range 5 {
		err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, fn)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "40P01" && pe.Code != "40001" {
			return err
		}
	}
	return err
}
