package payouts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/money"
)

// Maker–checker in the browser: one finance officer enters a payout above the approval threshold
// and is told another officer must approve it; the second officer approves it through the
// confirmation dialog, sees the toast and the approval in the payout's history.
func TestBrowserPayoutMakerChecker(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	ctx := context.Background()
	// An account the demo already pays out to: its card is in the holder's name and it has money.
	var account int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT account_id FROM payouts ORDER BY id LIMIT 1`).Scan(&account))
	threshold, err := payouts.Threshold(ctx, env.Pool)
	require.NoError(t, err)
	amount := threshold + 12_34
	major := fmt.Sprintf("%d.%02d", amount/100, amount%100)

	maker := admintest.Browser(t)
	var own, toast, where string
	require.NoError(t, chromedp.Run(maker, admintest.LogIn(base, "finance@demo.postdesk"),
		chromedp.Navigate(base+"/finance/payouts/new"),
		chromedp.WaitVisible(`#payout-form`, chromedp.ByQuery),
		// The account is checked as soon as it is entered (the form comes back with the holder
		// check); the amount goes into the form that comes back.
		chromedp.SendKeys(`#account`, fmt.Sprint(account)+"\t", chromedp.ByQuery),
		chromedp.WaitVisible(`#payout-form[data-account="`+fmt.Sprint(account)+`"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#amount`, major, chromedp.ByQuery),
		chromedp.Click(`#payout-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#own-request`, chromedp.ByQuery),
		chromedp.Text(`#own-request`, &own, chromedp.ByQuery),
		chromedp.WaitVisible(`#toasts .toast`, chromedp.ByQuery),
		chromedp.Text(`#toasts .toast`, &toast, chromedp.ByQuery),
		chromedp.Location(&where),
	))
	require.Contains(t, own, "another finance officer must approve")
	require.Contains(t, toast, "entered")
	require.Contains(t, where, "/finance/payouts/")
	var state string
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, state FROM payouts WHERE account_id = $1 AND amount = $2`, account, amount).Scan(&id, &state))
	require.Equal(t, "pending_approval", state)

	checker := admintest.Browser(t)
	var dialog, history, okClass string
	require.NoError(t, chromedp.Run(checker, admintest.LogIn(base, payouts.DemoSecondOfficer),
		chromedp.Navigate(fmt.Sprintf("%s/finance/payouts/%d", base, id)),
		chromedp.WaitVisible(`form[action$="/approve"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/approve"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm`, chromedp.ByQuery),
		chromedp.Text(`#confirm-text`, &dialog, chromedp.ByQuery),
		chromedp.AttributeValue(`#confirm-ok`, "class", &okClass, nil, chromedp.ByQuery),
		chromedp.Click(`#confirm-ok`, chromedp.ByQuery),
		chromedp.WaitVisible(`#toasts .toast`, chromedp.ByQuery),
		chromedp.Text(`#toasts .toast`, &toast, chromedp.ByQuery),
		chromedp.WaitNotPresent(`form[action$="/approve"]`, chromedp.ByQuery),
		chromedp.Text(`#payout-history`, &history, chromedp.ByQuery),
	))
	require.Contains(t, dialog, money.Format(amount, "UAH", "en"), "the dialog names the amount (digits grouped)")
	require.Contains(t, toast, "Payout approved")
	require.Equal(t, "primary", okClass, "approving a payout is not a destructive action: no red button (issue 14, item 7)")
	require.True(t, strings.Contains(history, "Approved by Богдана Фінансова"), history)
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT state FROM payouts WHERE id = $1`, id).Scan(&state))
	require.Contains(t, []string{"approved", "sending", "paid"}, state)
}

// Issue 14, item 7: the payouts filter reloaded the whole page while other lists filter live.
// Choosing a state now filters in place (no reload: a marker set on the page survives), pushes
// the filter into the URL, and the back button returns to the unfiltered list.
func TestBrowserPayoutsFilterLive(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	b := admintest.Browser(t)
	var marker bool
	var url, back string
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "finance@demo.postdesk"),
		chromedp.Navigate(base+"/finance/payouts"),
		chromedp.WaitVisible(`#payouts-state`, chromedp.ByQuery),
		chromedp.Evaluate(`window.__notReloaded = true`, nil),
		chromedp.Evaluate(`(() => { const s = document.getElementById("payouts-state");
			s.value = "pending_approval"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, nil),
		chromedp.Poll(`location.search.includes("state=pending_approval")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate(`window.__notReloaded === true`, &marker),
		chromedp.Location(&url),
		chromedp.NavigateBack(),
		chromedp.Poll(`!location.search.includes("state=")`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Location(&back),
	))
	require.True(t, marker, "the list filtered in place")
	require.Contains(t, url, "state=pending_approval")
	require.NotContains(t, back, "state=")
}
