package lifecycle_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// A support agent, in Chromium, hands an order over to another courier on its page (the first
// courier's deposit comes back, the new one's is held), then sends it to moderation because the
// courier cancelled: the page then
// offers no moves, only the link to its case, which opens the case page.
func TestBrowserChangeCourierAndModerate(t *testing.T) {
	p := newPortal(t)
	base := p.env.Serve()
	client, a, b := p.user("client"), p.user("courier"), p.user("courier")
	n := p.order(client)
	require.NoError(t, lifecycle.Move(p.ctx, p.env.Pool, n, orders.MoveRequest{To: orders.Deal, CourierID: int64(a)}, time.Now()))

	ctx := admintest.Browser(t)
	var options, toast, status, caseHref, heading string
	var moves int
	err := chromedp.Run(ctx,
		admintest.LogIn(base, "agent@demo.postdesk"),
		chromedp.Navigate(base+"/orders/"+n),
		chromedp.WaitVisible(`#to`, chromedp.ByQuery),
		chromedp.Text(`#to`, &options, chromedp.ByQuery),
		chromedp.SetValue(`#to`, "deal", chromedp.ByQuery),
		chromedp.SendKeys(`#courier`, fmt.Sprint(b), chromedp.ByQuery),
		chromedp.Click(`form[action$="/status"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.toast.success`, chromedp.ByQuery),
		chromedp.Text(`.toast.success`, &toast, chromedp.ByQuery),
	)
	require.NoError(t, err)
	require.Contains(t, options, "Another courier takes it over")
	require.NotEmpty(t, toast)
	require.Equal(t, ledger.UserBalances{Available: money}, p.balances(a))
	require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, p.balances(b))

	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/orders/"+n),
		chromedp.WaitVisible(`#to`, chromedp.ByQuery),
		chromedp.SetValue(`#to`, "in_moderation", chromedp.ByQuery),
		chromedp.SetValue(`#reason`, "courier_cancel_before_pickup", chromedp.ByQuery),
		chromedp.SendKeys(`#note`, "the courier does not answer", chromedp.ByQuery),
		chromedp.Click(`form[action$="/status"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#order-case a`, chromedp.ByQuery),
		chromedp.Text(`#order-status`, &status, chromedp.ByQuery),
		chromedp.AttributeValue(`#order-case a`, "href", &caseHref, nil, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('#to').length`, &moves),
		chromedp.Click(`#order-case a`, chromedp.ByQuery),
		chromedp.WaitVisible(`h1`, chromedp.ByQuery),
		chromedp.Text(`h1`, &heading, chromedp.ByQuery),
	)
	require.NoError(t, err)
	require.Equal(t, "In moderation", status)
	require.Zero(t, moves, "an order in moderation offers no moves on its page")
	require.True(t, strings.HasPrefix(caseHref, "/moderation/"), caseHref)
	require.Contains(t, heading, strings.TrimPrefix(caseHref, "/moderation/"))
	var reason string
	require.NoError(t, p.env.Pool.QueryRow(p.ctx, `SELECT reason FROM moderation_cases WHERE id = $1`,
		strings.TrimPrefix(caseHref, "/moderation/")).Scan(&reason))
	require.Equal(t, "courier_cancel_before_pickup", reason, "the reason chosen on the order's page")
}
