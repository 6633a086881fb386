package api_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/apikeys"
)

// BenchmarkTrackingWith1MOrders answers GET /api/v1/orders/{number} through the whole app (key
// check, rate count, block check, the order with its history) over 1,000,000 orders of 1,000
// business clients, and reports the median and 95th percentile. The goal is a median ≤ 5 ms.
//
//	make bench, or: go test -run '^$' -bench TrackingWith1MOrders -benchtime 1x ./admin/api/
func BenchmarkTrackingWith1MOrders(b *testing.B) {
	const orders, clients, requests = 1_000_000, 1000, 2000
	env := admintest.New(b)
	ctx := context.Background()
	start := time.Now()
	var first int64
	require.NoError(b, env.Pool.QueryRow(ctx, `
		WITH c AS (INSERT INTO accounts (kind, business, name, phone, lang)
			SELECT 'client', true, 'Shop ' || g, '+38044' || lpad(g::text, 7, '0'), 'uk' FROM generate_series(1, $1) g RETURNING id)
		SELECT min(id) FROM c`, clients).Scan(&first))
	_, err := env.Pool.Exec(ctx, `
		INSERT INTO orders (number, client_id, sender_name, sender_phone, sender_address, recipient_name, recipient_phone,
			recipient_address, item, weight_grams, declared_value, cost, status, created_at)
		SELECT 'PB' || lpad(g::text, 8, '0'), $2 + g % $3, 'Sender', '+380501112233', 'Kyiv, Khreshchatyk 1', 'Recipient ' || g,
			'+380671112233', 'Lviv, Rynok 1', 'Parcel', 500 + g % 20000, 10000, 6000, 'deal', now() - (g || ' seconds')::interval
		FROM generate_series(1, $1) g`, orders, first, clients)
	require.NoError(b, err)
	_, err = env.Pool.Exec(ctx, `
		INSERT INTO order_status_history (order_id, at, from_status, to_status, note)
		SELECT id, created_at, NULL, 'created', '' FROM orders WHERE number LIKE 'PB%'
		UNION ALL
		SELECT id, created_at + interval '1 hour', 'created', 'deal', 'courier accepted' FROM orders WHERE number LIKE 'PB%'`)
	require.NoError(b, err)
	_, err = env.Pool.Exec(ctx, `ANALYZE orders; ANALYZE order_status_history; ANALYZE api_keys`)
	require.NoError(b, err)
	b.Logf("loaded %d orders in %s", orders, time.Since(start).Round(time.Second))

	client := first + 7
	key := newKey(b, env.Pool, client, []string{apikeys.OrdersRead}, 100000)
	// The client's orders: g % clients == 7.
	numbers := make([]string, 0, orders/clients)
	for g := 7; g <= orders; g += clients {
		numbers = append(numbers, fmt.Sprintf("PB%08d", g))
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		lat = lat[:0]
		for k := 0; k < requests; k++ {
			req := httptest.NewRequest("GET", "/api/v1/orders/"+numbers[r.IntN(len(numbers))], nil)
			req.Header.Set("Authorization", "Bearer "+key)
			t0 := time.Now()
			resp, err := env.Server.App.Test(req, -1)
			lat = append(lat, time.Since(t0))
			require.NoError(b, err)
			require.Equal(b, http.StatusOK, resp.StatusCode)
			resp.Body.Close()
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(0, "ns/op")
}
