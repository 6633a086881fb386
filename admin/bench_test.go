package admin_test

import (
	"context"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

// benchAccounts measures the server time of one page (the whole middleware chain: session, actor,
// field view, CSRF, permission, query, templ) with 100,000 accounts, and reports the median.
func benchAccounts(b *testing.B, path func(env *admintest.Env) string) {
	env := admintest.New(b)
	ctx := context.Background()
	require.NoError(b, seed.Accounts(ctx, env.Pool, 66_700, 33_300, 7))
	_, err := env.Pool.Exec(ctx, "ANALYZE accounts")
	require.NoError(b, err)
	c := env.Login("admin@demo.postdesk")
	handler := env.Server.App.Handler()
	target := path(env)

	run := func() time.Duration {
		var fc fasthttp.RequestCtx
		fc.Request.SetRequestURI(target)
		fc.Request.Header.SetMethod("GET")
		fc.Request.Header.SetCookie("postdesk_session", c.Cookie("postdesk_session"))
		start := time.Now()
		handler(&fc)
		d := time.Since(start)
		if fc.Response.StatusCode() != 200 {
			b.Fatalf("%s: status %d", target, fc.Response.StatusCode())
		}
		return d
	}
	for i := 0; i < 20; i++ { // warm the pool, the plan cache and the page cache
		run()
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		times = append(times, run())
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/median")
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "ms/p95")
}

// BenchmarkAccountsList: /accounts, first page, 100,000 accounts. Target: median ≤ 5 ms.
func BenchmarkAccountsList(b *testing.B) {
	benchAccounts(b, func(*admintest.Env) string { return "/accounts?kind=courier" })
}

// BenchmarkAccountsSearchPhone: /accounts?q=<a phone's last 7 digits>. Target: median ≤ 5 ms.
func BenchmarkAccountsSearchPhone(b *testing.B) {
	benchAccounts(b, func(env *admintest.Env) string {
		var phone string
		require.NoError(b, env.Pool.QueryRow(context.Background(), `SELECT phone FROM accounts ORDER BY id DESC LIMIT 1 OFFSET 5000`).Scan(&phone))
		return "/accounts?q=" + url.QueryEscape(phone)
	})
}
