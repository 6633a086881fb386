package accounts_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// TestBrowserBlockCourierPayoutsForAWeek: a support lead opens a courier, blocks payouts for a
// week through the form and its confirmation dialog, and sees the block on the account page.
func TestBrowserBlockCourierPayoutsForAWeek(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	var id int64
	var name string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id, name FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&id, &name))
	ctx := admintest.Browser(t)
	var dialog, banner, history, toast string
	var shot []byte
	var dialogOpen bool
	var toasts int
	err := chromedp.Run(ctx,
		admintest.LogIn(base, "lead@demo.postdesk"),
		chromedp.Navigate(fmt.Sprintf("%s/accounts/%d", base, id)),
		chromedp.WaitVisible(`#block-form`, chromedp.ByQuery),
		chromedp.Click(`#scope-functions`, chromedp.ByQuery),
		chromedp.Click(`#fn-payouts`, chromedp.ByQuery),
		chromedp.SetValue(`#reason`, "agreement_breach", chromedp.ByQuery),
		chromedp.SendKeys(`#note`, "payouts to a card in another name", chromedp.ByQuery),
		chromedp.SetValue(`#duration`, "7d", chromedp.ByQuery),
		chromedp.Click(`#block-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm`, chromedp.ByQuery),
		chromedp.Text(`#confirm-text`, &dialog, chromedp.ByQuery),
		chromedp.Click(`#confirm-ok`, chromedp.ByQuery),
		// The toast shows for a few seconds only: read it first.
		chromedp.WaitVisible(`.toast`, chromedp.ByQuery),
		chromedp.Text(`.toast`, &toast, chromedp.ByQuery),
		chromedp.WaitVisible(`.block-active`, chromedp.ByQuery),
		chromedp.Text(`.block-active`, &banner, chromedp.ByQuery),
		chromedp.Text(`#blocks`, &history, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('confirm').open`, &dialogOpen),
		chromedp.Evaluate(`document.querySelectorAll('.toast').length`, &toasts),
		chromedp.FullScreenshot(&shot, 100),
	)
	require.NoError(t, err)
	if dir := os.Getenv("POSTDESK_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(dir+"/block-payouts.png", shot, 0o644)
	}
	require.Contains(t, dialog, "Block "+name+"?")
	require.Equal(t, "Blocked", toast)
	require.False(t, dialogOpen, "the confirmation closed")
	require.Equal(t, 1, toasts, "one toast")
	weekLater := time.Now().Add(7 * 24 * time.Hour).In(env.Config.TZ).Format("2006-01-02")
	require.Contains(t, banner, "payouts")
	require.Contains(t, banner, "breach of the user agreement")
	require.Contains(t, banner, "Until "+weekLater)
	require.Contains(t, history, "payouts to a card in another name")
	require.Contains(t, history, "in force")
	require.True(t, strings.Contains(history, "Марина Керівниця"), "the history names who blocked")

	// The payouts desk would now be refused; other functions are not.
	var blocked int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM account_blocks WHERE account_id = $1 AND functions = '{payouts}' AND lifted_at IS NULL`, id).Scan(&blocked))
	require.Equal(t, 1, blocked)
}
