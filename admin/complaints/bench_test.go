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
