package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/admin/seed"
)

func percentile(lat []time.Duration, p int) float64 {
	slices.Sort(lat)
	return float64(lat[(len(lat)-1)*p/100].Microseconds()) / 1000
}

// BenchmarkCreateOrdersConcurrently: 50 business clients, each with its own key, create orders
// at once over real HTTP (each request with an Idempotency-Key), through the same lifecycle as the
// orders desk (validation, tariff, the client's hold). Two runs: "paced", every key sending an order
// every 50/rate seconds (rate: POSTDESK_BENCH_RATE orders/s in all, default 100), which measures the
// answer a client gets while 50 integrations work side by side; and "saturated", every key sending
// its next order as soon as the last is answered, which measures the most the process takes (there
// the latency is 50 ÷ throughput by construction). It reports medians, 95th percentiles and
// orders/s, then checks every ledger invariant and that each request made exactly one order. The
// goal is a p95 ≤ 30 ms.
//
//	go test -run '^$' -bench CreateOrdersConcurrently -benchtime 1x ./admin/api/
func BenchmarkCreateOrdersConcurrently(b *testing.B) {
	const keys, perKey = 50, 20
	rate := 100.0
	if r, err := strconv.ParseFloat(os.Getenv("POSTDESK_BENCH_RATE"), 64); err == nil && r > 0 {
		rate = r
	}
	e := admintest.New(b)
	base := e.Serve()
	ctx := context.Background()
	secrets := make([]string, keys)
	for i := range keys {
		var id int64
		require.NoError(b, e.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, business, name, phone, lang) VALUES ('client', true, $1, $2, 'en') RETURNING id`,
			fmt.Sprintf("Bench shop %d", i), fmt.Sprintf("+38044%07d", 9000000+i)).Scan(&id))
		fund(b, e.Pool, id, 1_000_000_000)
		secrets[i] = newKey(b, e.Pool, id, []string{apikeys.OrdersWrite}, 100000)
	}
	body, _ := json.Marshal(newOrderBody(""))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: keys}}
	run := func(tag string, every time.Duration) ([]time.Duration, time.Duration) {
		lat := make([]time.Duration, 0, keys*perKey)
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := time.Now()
		for k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := make([]time.Duration, 0, perKey)
				next := start.Add(every * time.Duration(k) / keys) // spread the keys over the interval
				for i := range perKey {
					if every > 0 {
						time.Sleep(time.Until(next))
						next = next.Add(every)
					}
					req, _ := http.NewRequest("POST", base+"/api/v1/orders", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+secrets[k])
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-%d-%d", tag, k, i))
					t0 := time.Now()
					resp, err := client.Do(req)
					d := time.Since(t0)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					mine = append(mine, d)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return lat, time.Since(start)
	}
	b.ResetTimer()
	var paced, saturated []time.Duration
	var pacedTime, saturatedTime time.Duration
	for n := 0; n < b.N; n++ {
		paced, pacedTime = run(fmt.Sprintf("paced%d", n), time.Duration(float64(keys)/rate*float64(time.Second)))
		saturated, saturatedTime = run(fmt.Sprintf("saturated%d", n), 0)
	}
	b.StopTimer()
	require.Len(b, paced, keys*perKey)
	require.Len(b, saturated, keys*perKey)
	b.ReportMetric(float64(len(paced))/pacedTime.Seconds(), "paced-orders/s")
	b.ReportMetric(percentile(paced, 50), "paced-median-ms")
	b.ReportMetric(percentile(paced, 95), "paced-p95-ms")
	b.ReportMetric(float64(len(saturated))/saturatedTime.Seconds(), "saturated-orders/s")
	b.ReportMetric(percentile(saturated, 50), "saturated-median-ms")
	b.ReportMetric(percentile(saturated, 95), "saturated-p95-ms")
	b.ReportMetric(0, "ns/op")
	violations, err := ledger.CheckInvariants(ctx, e.Pool)
	require.NoError(b, err)
	require.Empty(b, violations, "every ledger invariant holds after the run")
	var made, holds int
	require.NoError(b, e.Pool.QueryRow(ctx, `SELECT count(*) FROM orders o WHERE o.client_id IN
		(SELECT id FROM accounts WHERE name LIKE 'Bench shop %')`).Scan(&made))
	require.Equal(b, 2*keys*perKey*b.N, made, "one order per request")
	require.NoError(b, e.Pool.QueryRow(ctx, `SELECT count(*) FROM ledger_holds h JOIN ledger_accounts a ON a.id = h.source_account_id
		WHERE a.owner_account_id IN (SELECT id FROM accounts WHERE name LIKE 'Bench shop %')`).Scan(&holds))
	require.Equal(b, made, holds, "one hold per order")
}

// BenchmarkListOrdersWith1MOrders pages through one business client's orders (100,000 of the
// 1,000,000 in the table) with GET /api/v1/orders through the whole app (key, limit, block check):
// first pages, deep pages by cursor, by status, by a period. The goal is a p95 ≤ 10 ms per page.
//
//	go test -run '^$' -bench ListOrdersWith1MOrders -benchtime 1x ./admin/api/
//	(POSTDESK_BENCH_ORDERS=100000 for a quick run)
func BenchmarkListOrdersWith1MOrders(b *testing.B) {
	total := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("POSTDESK_BENCH_ORDERS")); err == nil && n > 0 {
		total = n
	}
	e := admintest.New(b)
	ctx := context.Background()
	start := time.Now()
	require.NoError(b, seed.Accounts(ctx, e.Pool, 20_000, 5_000, 7))
	require.NoError(b, orders.Seed(ctx, e.Pool, total-seed.DemoOrders, 99))
	var big int64
	require.NoError(b, e.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, business, name, phone, lang) VALUES ('client', true, 'Big shop', '+380449999999', 'en') RETURNING id`).Scan(&big))
	_, err := e.Pool.Exec(ctx, `UPDATE orders SET client_id = $1 WHERE id % 10 = 0`, big)
	require.NoError(b, err)
	_, err = e.Pool.Exec(ctx, `VACUUM ANALYZE orders`)
	require.NoError(b, err)
	var n int
	require.NoError(b, e.Pool.QueryRow(ctx, `SELECT count(*) FROM orders`).Scan(&n))
	b.Logf("%d orders, %d of them the client's, ready in %s", n, n/10, time.Since(start).Round(time.Second))
	key := newKey(b, e.Pool, big, []string{apikeys.OrdersRead}, 100_000)

	get := func(path string) map[string]any {
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := e.Server.App.Test(req, -1)
		require.NoError(b, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		require.Equal(b, http.StatusOK, resp.StatusCode, "%s", raw)
		var page map[string]any
		require.NoError(b, json.Unmarshal(raw, &page))
		return page
	}
	queries := []string{"", "status=delivered", "status=created", "status=lost", "period=delivered&from=" + time.Now().AddDate(0, -3, 0).Format("2006-01-02"),
		"from=" + time.Now().AddDate(0, -6, 0).Format("2006-01-02") + "&to=" + time.Now().AddDate(0, -5, 0).Format("2006-01-02")}
	b.ResetTimer()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		lat = lat[:0]
		for _, q := range queries {
			cursor := ""
			for p := 0; p < 40; p++ { // 40 pages of 50 down each list
				u := "/api/v1/orders?" + q
				if cursor != "" {
					u += "&cursor=" + url.QueryEscape(cursor)
				}
				t0 := time.Now()
				page := get(u)
				lat = append(lat, time.Since(t0))
				cursor, _ = page["next_cursor"].(string)
				if cursor == "" {
					break
				}
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(lat)), "pages")
	b.ReportMetric(percentile(lat, 50), "median-ms")
	b.ReportMetric(percentile(lat, 95), "p95-ms")
	b.ReportMetric(0, "ns/op")
}
