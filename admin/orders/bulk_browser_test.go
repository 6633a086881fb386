package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

// An agent picks two orders on the list, chooses "Delivered" and moves them: a confirmation
// first, then a toast, the answer under the toolbar, and the list shows them delivered without a
// reload.
func TestBrowserBulkMove(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	picked := pickedUpOrders(t, env, 2)
	ctx := admintest.Browser(t)

	var dialog, toast, result string
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/orders"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "agent@demo.postdesk", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, seed.Password, chromedp.ByQuery),
		chromedp.Submit(`#login-form`, chromedp.ByQuery),
		chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		chromedp.Navigate(base+"/orders?status=picked_up"),
		chromedp.WaitVisible(`tr[data-number="`+picked[0]+`"] .row-pick`, chromedp.ByQuery),
		chromedp.Click(`tr[data-number="`+picked[0]+`"] .row-pick`, chromedp.ByQuery),
		chromedp.Click(`tr[data-number="`+picked[1]+`"] .row-pick`, chromedp.ByQuery),
		chromedp.SetValue(`#bulk-to`, "delivered", chromedp.ByQuery),
		chromedp.Click(`form.bulk button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm`, chromedp.ByQuery),
		chromedp.Text(`#confirm-text`, &dialog, chromedp.ByQuery),
		chromedp.Click(`#confirm-ok`, chromedp.ByQuery),
		chromedp.WaitVisible(`.toast`, chromedp.ByQuery),
		chromedp.Text(`.toast`, &toast, chromedp.ByQuery),
		chromedp.Text(`#jobs .bulk-result`, &result, chromedp.ByQuery),
		// The list refreshed itself: the filter is picked up, so the moved orders left it.
		chromedp.Poll(`!document.querySelector('tr[data-number="`+picked[0]+`"]') && !document.querySelector('tr[data-number="`+picked[1]+`"]')`,
			nil, chromedp.WithPollingTimeout(10*time.Second)),
	)
	require.NoError(t, err)
	require.Contains(t, dialog, "Move every picked order")
	require.Contains(t, toast, "Moved to «Delivered»: 2")
	require.Contains(t, result, "Moved to «Delivered»: 2")
	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM orders WHERE number = ANY ($1) AND status = 'delivered'`, picked).Scan(&n))
	require.Equal(t, 2, n)
}
