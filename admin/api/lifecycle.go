package api

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// OrderLifecycle is Lifecycle through admin/lifecycle, the entry points the orders desk uses.
type OrderLifecycle struct {
	Pool *pgxpool.Pool
}

var _ Lifecycle = OrderLifecycle{}

// inTx lets a function that opens its own transaction on a pool run inside the caller's: its
// transaction becomes a savepoint of tx.
type inTx struct{ pgx.Tx }

func (t inTx) BeginTx(ctx context.Context, _ pgx.TxOptions) (pgx.Tx, error) { return t.Tx.Begin(ctx) }

// CreateTx enters the order as the orders desk does (lifecycle.Create: validation, tariff, the
// client's hold, the notices), inside tx.
func (l OrderLifecycle) CreateTx(ctx context.Context, tx pgx.Tx, in orders.Input, now time.Time) (orders.Order, error) {
	return lifecycle.Create(ctx, inTx{tx}, in, now)
}

// ClientCancel is the client's cancellation: before pickup the lifecycle's cancel row (a fee
// after a deal), after pickup a moderation case for the client's cancellation.
func (l OrderLifecycle) ClientCancel(ctx context.Context, number, note string, now time.Time) error {
	var status string
	err := l.Pool.QueryRow(ctx, `SELECT status FROM orders WHERE number = $1`, number).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "api.order_not_found")
	}
	if err != nil {
		return err
	}
	if orders.Status(status) == orders.PickedUp {
		_, err := lifecycle.Open(ctx, l.Pool, number, "client_cancel_after_pickup", now)
		return err
	}
	return lifecycle.Move(ctx, l.Pool, number, orders.MoveRequest{To: orders.Cancelled, Note: note}, now)
}
