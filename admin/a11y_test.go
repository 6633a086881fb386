package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// TestBrowserEveryControlHasAName opens the portal's pages as an administrator (who sees every
// control) in Chromium and asks the browser, as a screen reader would, for the accessible name of
// every form control: none may be nameless. Each page must also have one h1 and a lang attribute.
func TestBrowserEveryControlHasAName(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	ctx := context.Background()
	one := func(sql string) string {
		var v string
		require.NoError(t, env.Pool.QueryRow(ctx, sql).Scan(&v))
		return v
	}
	pages := []string{"/", "/accounts", "/accounts/duplicates", "/admin/audit", "/admin/groups", "/admin/roles", "/admin/staff",
		"/admin/staff/new", "/apikeys", "/complaints", "/complaints/board", "/complaints/new", "/finance", "/finance/balances?user=1",
		"/finance/ledger", "/finance/payouts", "/finance/payouts/new", "/finance/reconciliation", "/finance/settings",
		"/finance/statement?user=1", "/me", "/moderation", "/news", "/news/new", "/notifications", "/notifications/caught",
		"/orders", "/orders/import", "/orders/new", "/webhooks",
		"/accounts/" + one(`SELECT min(id)::text FROM accounts`),
		"/accounts/" + one(`SELECT min(id)::text FROM accounts WHERE business`),
		"/orders/" + one(`SELECT number FROM orders WHERE status = 'created' ORDER BY id LIMIT 1`),
		"/complaints/" + one(`SELECT min(id)::text FROM complaints`),
		"/moderation/" + one(`SELECT min(id)::text FROM moderation_cases`),
		"/finance/payouts/" + one(`SELECT min(id)::text FROM payouts`),
	}
	b := admintest.Browser(t)
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "admin@demo.postdesk")))
	const probe = `(() => {
		const nameless = [];
		for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
			const labelled = (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.title
				|| (e.tagName === 'BUTTON' && e.textContent.trim()) || ((e.type === 'submit' || e.type === 'button') && e.value);
			if (!labelled) nameless.push(e.outerHTML.slice(0, 140));
		}
		return {nameless, h1: document.querySelectorAll('h1').length, lang: document.documentElement.lang};
	})()`
	var problems []string
	for _, p := range pages {
		var res struct {
			Nameless []string `json:"nameless"`
			H1       int      `json:"h1"`
			Lang     string   `json:"lang"`
		}
		var status int64
		require.NoError(t, chromedp.Run(b, chromedp.Navigate(base+p), chromedp.Evaluate(probe, &res),
			chromedp.Evaluate(`performance.getEntriesByType('navigation')[0].responseStatus || 0`, &status)))
		if status != 200 {
			problems = append(problems, fmt.Sprintf("%s: status %d", p, status))
		}
		for _, n := range res.Nameless {
			problems = append(problems, fmt.Sprintf("%s: control without a name: %s", p, n))
		}
		if res.H1 != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d h1 headings", p, res.H1))
		}
		if res.Lang == "" {
			problems = append(problems, p+": no lang")
		}
	}
	require.Empty(t, problems, strings.Join(problems, "\n"))
}
