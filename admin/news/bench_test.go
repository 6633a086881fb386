package news_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/news"
	"github.com/postdesk/postdesk/admin/seed"
)

// BenchmarkNewsNotice100k publishes an item to clients and couriers and writes its notices for
// 100,000 consenting recipients to the outbox, with their delivery jobs (news.FanOut, as the
// news_notify job runs it). The goal is ≤ 10 s.
//
//	make bench, or: go test -run '^$' -bench NewsNotice100k -benchtime 1x ./admin/news/
func BenchmarkNewsNotice100k(b *testing.B) {
	const recipients = 100_000
	f := newFixtureB(b)
	ctx := context.Background()
	// 110,000 accounts, of which 100,000 consented to news by e-mail.
	require.NoError(b, seed.Accounts(ctx, f.pool, 70_000, 40_000, 7))
	_, err := f.pool.Exec(ctx, `UPDATE accounts SET consent_email = id <= (SELECT min(id) FROM accounts) + $1 - 1, email = coalesce(email, 'a' || id || '@example.com')`, recipients)
	require.NoError(b, err)
	_, err = f.pool.Exec(ctx, `ANALYZE accounts`)
	require.NoError(b, err)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		var id int64
		require.NoError(b, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) (err error) {
			if id, err = news.Create(f.ctx, tx, news.Input{Title: "New tariffs", Body: "From **1 December** parcels up to 2 kg cost less.", Audience: "everyone", Notify: true}); err != nil {
				return err
			}
			return news.PublishNow(f.ctx, tx, id)
		}))
		start := time.Now()
		require.NoError(b, news.FanOut(f.ctx, f.pool, id))
		total += time.Since(start)
		p, err := news.ProgressOf(ctx, f.pool, id)
		require.NoError(b, err)
		require.Equal(b, recipients, p.Enqueued)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/notice")
	b.ReportMetric(float64(recipients*b.N)/total.Seconds(), "recipients/s")
	b.ReportMetric(0, "ns/op")
}
