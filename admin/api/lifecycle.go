package api

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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

// ClientCancel is lifecycle.Cancel: the client's cancellation by RULES.md §3.2 (before a deal
// with no fee, after a deal with the penalty, after pickup into moderation), the order locked.
func (l OrderLifecycle) ClientCancel(ctx context.Context, number, note string, now time.Time) error {
	return lifecycle.Cancel(ctx, l.Pool, number, note, now)
}
