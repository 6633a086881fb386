package orders_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

// A support agent finds an order by its waybill number as they type it, opens it, prints its
// waybill, then exports a filtered list and watches the progress bar finish.
func TestBrowserFindPrintExport(t *testing.T) {
	env := admintest.New(t)
	startWorkers(t, env)
	base := env.Serve()
	var number, waybill string
	require.NoError(t, env.Pool.QueryRow(context.Background(),
		`SELECT number, waybill FROM orders WHERE status = 'picked_up' ORDER BY id DESC LIMIT 1`).Scan(&number, &waybill))
	ctx := admintest.Browser(t)

	var heading, status, waybillShown, link, exportState, exportPct, toast, url string
	err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/orders"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "agent@demo.postdesk", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, seed.Password, chromedp.ByQuery),
		chromedp.Submit(`#login-form`, chromedp.ByQuery),
		chromedp.WaitVisible(`#q`, chromedp.ByQuery),
		// Typing the waybill number narrows the list as you type; the URL follows.
		chromedp.SendKeys(`#q`, waybill, chromedp.ByQuery),
		chromedp.WaitVisible(`tr[data-number="`+number+`"]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelectorAll("#results tbody tr[data-number]").length === 1`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Location(&url),
		chromedp.Click(`tr[data-number="`+number+`"] a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#order-number`, chromedp.ByQuery),
		chromedp.Text(`#order-number`, &heading, chromedp.ByQuery),
		chromedp.Text(`#order-status`, &status, chromedp.ByQuery),
		chromedp.Text(`#order-waybill`, &waybillShown, chromedp.ByQuery),
		// Print its waybill: a job runs, its bar fills, the download link appears.
		chromedp.Click(`#print-waybill`, chromedp.ByQuery),
		chromedp.WaitVisible(`#jobs .job[data-state="done"] a.download`, chromedp.ByQuery),
		chromedp.AttributeValue(`#jobs .job[data-state="done"] a.download`, "href", &link, nil, chromedp.ByQuery),
	)
	require.NoError(t, err)
	require.Contains(t, url, "q="+waybill, "the search is in the URL, so the view can be shared")
	require.Equal(t, number, heading)
	require.Equal(t, "Picked up", status)
	require.Equal(t, waybill, waybillShown)
	require.True(t, strings.HasPrefix(link, "/files/"), link)

	err = chromedp.Run(ctx,
		chromedp.Navigate(base+"/orders?status=delivered&period=created"),
		chromedp.WaitVisible(`#export-button`, chromedp.ByQuery),
		chromedp.Click(`#export-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#jobs .job`, chromedp.ByQuery),
		chromedp.WaitVisible(`#jobs .job[data-state="done"] a.download`, chromedp.ByQuery),
		chromedp.AttributeValue(`#jobs .job[data-state="done"]`, "data-state", &exportState, nil, chromedp.ByQuery),
		chromedp.AttributeValue(`#jobs .job[data-state="done"] [role=progressbar]`, "aria-valuenow", &exportPct, nil, chromedp.ByQuery),
		chromedp.WaitVisible(`.toast.success`, chromedp.ByQuery),
		chromedp.Text(`.toast.success`, &toast, chromedp.ByQuery),
	)
	if shot := os.Getenv("POSTDESK_SCREENSHOT"); shot != "" {
		var png []byte
		_ = chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100))
		_ = os.WriteFile(shot, png, 0o644)
	}
	require.NoError(t, err)
	require.Equal(t, "done", exportState)
	require.Equal(t, "100", exportPct)
	require.Contains(t, toast, "is ready")
}
