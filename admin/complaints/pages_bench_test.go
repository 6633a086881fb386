package complaints_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/complaints"
)

// BenchmarkQueuePages measures each queue page as the agent gets it (session, permission check,
// query, render) over 200,000 complaints; the figure is the median server time.
func BenchmarkQueuePages(b *testing.B) {
	env := admintest.New(b)
	if _, err := env.Pool.Exec(context.Background(), complaints.BenchSeedSQL); err != nil {
		b.Fatal(err)
	}
	agent := env.Login("agent@demo.postdesk")
	for _, q := range complaints.Queues {
		b.Run(string(q), func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				r := agent.Get("/complaints?q=" + string(q))
				took = append(took, time.Since(t0))
				if r.Status != 200 {
					b.Fatalf("%s: %d", q, r.Status)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
		})
	}
}
