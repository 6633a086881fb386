package moderation_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/moderation"
)

// A support agent works an overdue order in the browser: opens its case, records a
// contact attempt, decides "delivered late" through the confirmation dialog, sees the toast and
// the outcome; the client's money went to the courier less the commission.
func TestBrowserModerationDeliveredLate(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	ctx := context.Background()
	f := &fixture{ctx: ctx, pool: env.Pool}
	f.client = f.user(t, "client", 1000_00)
	f.courier = f.user(t, "courier", 5000_00)
	id := f.dealt(t, time.Now().Add(-30*time.Hour))
	caseID, err := moderation.Open(ctx, env.Pool, f.number(t, id), "manual", time.Now())
	require.NoError(t, err)
	courierBefore, err := ledger.Balances(ctx, env.Pool, f.courier)
	require.NoError(t, err)

	b := admintest.Browser(t)
	path := "/moderation/" + strconv.FormatInt(caseID, 10)
	var dialog, toast, outcome, notes string
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "agent@demo.postdesk"),
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(`form[action$="/notes"] textarea`, chromedp.ByQuery),
		chromedp.SendKeys(`form[action$="/notes"] textarea`, "Кур'єр: доставлено із запізненням", chromedp.ByQuery),
		chromedp.Submit(`form[action$="/notes"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#case-notes li`, chromedp.ByQuery),
		chromedp.Text(`#case-notes`, &notes, chromedp.ByQuery),
		chromedp.SetValue(`form[action$="/decide"] select[name=outcome]`, "delivered_late", chromedp.ByQuery),
		chromedp.Click(`form[action$="/decide"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm`, chromedp.ByQuery),
		chromedp.Text(`#confirm-text`, &dialog, chromedp.ByQuery),
		chromedp.Click(`#confirm-ok`, chromedp.ByQuery),
		chromedp.WaitVisible(`#case-outcome`, chromedp.ByQuery),
		chromedp.Text(`#case-outcome`, &outcome, chromedp.ByQuery),
		chromedp.WaitVisible(`#toasts .toast`, chromedp.ByQuery),
		chromedp.Text(`#toasts .toast`, &toast, chromedp.ByQuery),
	))
	require.Contains(t, notes, "доставлено із запізненням")
	require.NotEmpty(t, strings.TrimSpace(dialog))
	require.NotEmpty(t, strings.TrimSpace(toast))
	require.Contains(t, strings.ToLower(outcome), "late")
	require.Equal(t, "delivered", f.status(t, id))
	courierAfter, err := ledger.Balances(ctx, env.Pool, f.courier)
	require.NoError(t, err)
	// C = 50.00 less 10 % commission to the courier, and the deposit V + C = 250.00 back.
	require.Equal(t, courierBefore.Available+250_00+45_00, courierAfter.Available)
	require.Zero(t, courierAfter.Deposit)
}

func (f *fixture) number(t *testing.T, id int64) string {
	var n string
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT number FROM orders WHERE id = $1`, id).Scan(&n))
	return n
}
