package complaints

import (
	"context"
	"slices"
	"testing"
	"time"
)

// benchSeed makes 200,000 complaints over the last 120 days with generate_series: a quarter open
// (deadlines from breached to 16 days ahead, some waiting for the respondent), the rest decided and
// closed; 20 agents share them, a tenth unassigned.
func benchSeed(b *testing.B, f *fixture) {
	ctx := context.Background()
	start := time.Now()
	_, err := f.pool.Exec(ctx, BenchSeedSQL)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 200,000 complaints in %s", time.Since(start).Round(time.Millisecond))
}

// BenchSeedSQL is benchSeed's data, shared with the page benchmark (which adds the demo agent to
// the 20 generated ones).
const BenchSeedSQL = `
		INSERT INTO staff (email, name, password_hash) SELECT 'agent' || g || '@bench.test', 'Agent ' || g, 'x' FROM generate_series(1, 20) g;
		WITH a AS (SELECT array_agg(id ORDER BY id) ids FROM staff WHERE email LIKE '%@bench.test' OR email = 'agent@demo.postdesk'),
		g AS (
			SELECT g, now() - ((g * 7919) % (120 * 24)) * interval '1 hour' AS rec FROM generate_series(1, 200000) g
		), d AS (
			SELECT g, rec, (date_trunc('day', rec AT TIME ZONE 'Europe/Kyiv') + interval '16 days') AT TIME ZONE 'Europe/Kyiv' AS due,
				(g % 3 <> 0 AND rec > now() - interval '45 days') AS open
			FROM g
		)
		INSERT INTO complaints (number, state, source, complainant_name, complainant_login, respondent_login, order_ref,
			received_at, decision_due, notice_due, decided_at, notified_at, outcome, assignee_id)
		SELECT 'B-' || g, CASE WHEN open AND g % 7 = 0 THEN 'waiting' WHEN open THEN 'in_review' ELSE 'closed' END, 'staff',
			'Complainant ' || g, '+38050' || lpad(g::text, 7, '0'), '+38067' || lpad((g % 5000)::text, 7, '0'), 'PD' || lpad(g::text, 8, '0'),
			rec, due,
			CASE WHEN open THEN NULL ELSE (date_trunc('day', (rec + (g % 18) * interval '1 day') AT TIME ZONE 'Europe/Kyiv') + interval '4 days') AT TIME ZONE 'Europe/Kyiv' END,
			CASE WHEN open THEN NULL ELSE rec + (g % 18) * interval '1 day' END,
			CASE WHEN open THEN NULL ELSE rec + (g % 18) * interval '1 day' + (g % 5) * interval '1 day' END,
			CASE WHEN open THEN NULL WHEN g % 2 = 0 THEN 'upheld' ELSE 'rejected' END,
			CASE WHEN g % 10 = 0 THEN NULL ELSE (SELECT ids[1 + g % cardinality(ids)] FROM a) END
		FROM d;
		ANALYZE complaints;`

func median(d []time.Duration) float64 {
	slices.Sort(d)
	return float64(d[len(d)/2].Microseconds()) / 1000
}

func BenchmarkComplaints(b *testing.B) {
	f := newFixture(b)
	f.store.Now = time.Now
	benchSeed(b, f)
	ctx := context.Background()
	var agent int64
	must(b, f.pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'agent3@bench.test'`).Scan(&agent))
	var open int
	must(b, f.pool.QueryRow(ctx, `SELECT count(*) FROM complaints WHERE state IN ('in_review', 'waiting')`).Scan(&open))
	b.Logf("%d open complaints", open)

	for _, q := range Queues {
		b.Run("queue/"+string(q), func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				rows, _, err := f.store.QueuePage(ctx, f.pool, q, agent, Cursor{}, 50)
				took = append(took, time.Since(t0))
				if err != nil || len(rows) == 0 {
					b.Fatalf("%s: %d rows, %v", q, len(rows), err)
				}
			}
			b.ReportMetric(median(took), "ms-median")
		})
	}

	// The first sweep works off the backlog of every breached complaint (in batches); after it,
	// each run scans all open complaints and sends what became due since the last run.
	t0 := time.Now()
	sent := 0
	for {
		a, err := f.store.Sweep(ctx, time.Now())
		must(b, err)
		sent += len(a)
		if len(a) < SweepBatch {
			break
		}
	}
	b.Logf("first sweep: %d alerts in %s", sent, time.Since(t0).Round(time.Millisecond))
	b.Run("sweep/steady", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			t0 := time.Now()
			_, err := f.store.Sweep(ctx, time.Now())
			took = append(took, time.Since(t0))
			must(b, err)
		}
		b.ReportMetric(median(took), "ms-median")
		b.ReportMetric(float64(open), "open")
	})
	b.Run("board", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			t0 := time.Now()
			board, err := f.store.SLABoard(ctx, f.pool, 12)
			took = append(took, time.Since(t0))
			if err != nil || len(board.Weeks) != 12 {
				b.Fatalf("%d weeks, %v", len(board.Weeks), err)
			}
		}
		b.ReportMetric(median(took), "ms-median")
	})
}
