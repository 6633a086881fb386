package moderation

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedDemo opens the case of every demo order that the demo data put in moderation without one
// (they came there by the overdue rule, after pickup), so the queue shows them and each can be
// decided. Run again it adds nothing.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `
		INSERT INTO moderation_cases (order_id, reason, from_status, opened_at)
		SELECT o.id, 'overdue', 'picked_up', o.updated_at FROM orders o
		WHERE o.status = 'in_moderation'
		  AND NOT EXISTS (SELECT 1 FROM moderation_cases c WHERE c.order_id = o.id AND c.state = 'open')
		ON CONFLICT DO NOTHING`)
	return err
}
