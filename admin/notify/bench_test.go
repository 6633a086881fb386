package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/jobs"
)

// BenchmarkOutboxDelivery sends e-mails from the outbox to a local SMTP server (go-smtp) through
// River with 2 workers on the notice queue, and reports e-mails per second. The goal is ≥ 500/s.
//
//	make bench, or: go test -run '^$' -bench OutboxDelivery -benchtime 1x ./admin/notify/
func BenchmarkOutboxDelivery(b *testing.B) {
	const perRun = 10_000
	f := newFixture(b)
	ms := newMailServer(b)
	ctx := context.Background()
	d := &notify.Delivery{Mail: ms.mailer()}
	client, err := jobs.New(f.pool, jobs.Options{Work: true, Workers: 2, Delivery: d})
	require.NoError(b, err)
	var total time.Duration
	sent := 0
	for i := 0; i < b.N; i++ {
		// Rows as EnqueueTx writes them, made in one statement so the setup is not measured.
		var ids []notify.ID
		require.NoError(b, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `INSERT INTO notifications (channel, address, template, data, lang, kind, cause)
				SELECT 'email', 'user' || g || '@example.com', 'message', jsonb_build_object('subject', 'Order ' || g, 'text', 'Your order is on its way.'), 'uk', 'service', 'bench'
				FROM generate_series(1, $1) g RETURNING id`, perRun)
			if err != nil {
				return err
			}
			ids, err = pgx.CollectRows(rows, pgx.RowTo[notify.ID])
			return err
		}))
		before := ms.count.Load()
		start := time.Now()
		require.NoError(b, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return notify.QueueSendTx(ctx, tx, ids, notify.QueueService) }))
		runCtx, cancel := context.WithCancel(ctx)
		require.NoError(b, client.Start(runCtx))
		for ms.count.Load()-before < perRun {
			time.Sleep(5 * time.Millisecond)
			require.Less(b, time.Since(start), 5*time.Minute)
		}
		// Delivered is not done: wait until every row records it.
		for f.count(b, `SELECT count(*) FROM notifications WHERE cause = 'bench' AND status <> 'sent'`) > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(start)
		sent += perRun
		cancel()
		jobs.Stop(client, 10*time.Second, nil)
		_, err := f.pool.Exec(ctx, `DELETE FROM notification_attempts; DELETE FROM notifications`)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(sent)/total.Seconds(), "emails/s")
	b.ReportMetric(0, "ns/op")
}
