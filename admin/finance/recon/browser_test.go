package recon_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/recon"
)

// A finance officer reconciles a period in the browser: opens the period, uploads the gateway's
// CSV, sees the outcomes counted in the status block, resolves one exception (with a toast; the
// status counts one fewer), and is told how many remain where the period is closed.
func TestBrowserReconcileAPeriod(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	startWorkers(t, env)
	statement := filepath.Join(t.TempDir(), "statement.csv")
	require.NoError(t, os.WriteFile(statement, []byte("orderReference,amount,fee,currency,transactionStatus,createdDate\n"+
		"GW-1,100.00,1.50,UAH,Approved,2020-01-01 10:00:00\n"+
		"GW-2,250.25,2.00,UAH,Approved,2020-01-01 11:00:00\n"), 0o600))

	ctx := admintest.Browser(t)
	var summary, toast, resolved, left, page string
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Run(sctx, actions...); err != nil {
			_ = chromedp.Run(ctx, chromedp.OuterHTML(`main`, &page, chromedp.ByQuery))
			t.Fatalf("%s: %v\n%s", step, err, page)
		}
	}
	run("log in", admintest.LogIn(base, "finance@demo.postdesk"))
	run("open a period",
		chromedp.Navigate(base+"/finance/reconciliation"),
		chromedp.WaitVisible(`#period-form`, chromedp.ByQuery),
		// Date inputs take their value as the browser shows it; set it as the date picker would.
		chromedp.SetValue(`#from`, "2020-01-01", chromedp.ByQuery),
		chromedp.SetValue(`#to`, "2020-01-01", chromedp.ByQuery),
		chromedp.Click(`#period-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#file`, chromedp.ByQuery))
	// A file over the limit is refused by the page before anything is sent (a sparse file: only its
	// size is read).
	huge := filepath.Join(t.TempDir(), "huge.csv")
	require.NoError(t, os.WriteFile(huge, nil, 0o600))
	require.NoError(t, os.Truncate(huge, recon.MaxStatementBytes+1))
	var tooLarge string
	run("refuse a file over the limit",
		chromedp.SetUploadFiles(`#file`, []string{huge}, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("file").validationMessage`, &tooLarge))
	require.Contains(t, tooLarge, "larger than 64 MB")
	run("upload the statement",
		chromedp.SetUploadFiles(`#file`, []string{statement}, chromedp.ByQuery),
		chromedp.Click(`form[action$="/statement"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#recon-results`, chromedp.ByQuery),
		chromedp.AttributeValue(`#recon-status svg[role=img]`, "aria-label", &summary, nil, chromedp.ByQuery),
	)
	run("resolve an exception",
		// Resolve the first exception as accepted, in place.
		chromedp.SetValue(`#recon-results tbody tr:first-child select[name=resolution]`, "accepted", chromedp.ByQuery),
		chromedp.Click(`#recon-results tbody tr:first-child button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#toasts .toast`, chromedp.ByQuery),
		chromedp.Text(`#toasts .toast`, &toast, chromedp.ByQuery),
		chromedp.WaitVisible(`//caption[contains(., "unresolved exceptions: 1")]`, chromedp.BySearch),
		chromedp.Text(`#recon-summary caption`, &resolved, chromedp.ByQuery),
		chromedp.Text(`form[action$="/close"]`, &left, chromedp.ByQuery),
	)
	require.Contains(t, summary, "Matched: 0, exceptions: 2")
	require.NotEmpty(t, strings.TrimSpace(toast))
	require.Contains(t, resolved, "unresolved exceptions: 1")
	require.Contains(t, left, "1 exception")
}
