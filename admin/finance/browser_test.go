package finance_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Amounts on the ledger and balances pages carry the currency and line up on the right, as
// Chromium lays them out (the grid's left alignment used to win over the amount cells').
func TestAmountsRightAlignedWithCurrency(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	b := admintest.Browser(t)
	// Each row's amount cell: the column headed "Amount".
	const probe = `(() => {
		const t = document.querySelector('table.grid');
		const col = [...t.querySelectorAll('thead th')].findIndex(th => th.textContent.trim() === 'Amount');
		return [...t.querySelectorAll('tbody tr')].map(tr => tr.children[col]).filter(Boolean)
			.map(td => getComputedStyle(td).textAlign + ' ' + td.textContent.trim());
	})()`
	var cells []string
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "finance@demo.postdesk"),
		chromedp.Navigate(base+"/finance/ledger"),
		chromedp.WaitVisible(`table.grid`, chromedp.ByQuery),
		chromedp.Evaluate(probe, &cells)))
	require.NotEmpty(t, cells)
	for _, c := range cells {
		require.Regexp(t, `^right .*\d\.\d\d\x{a0}UAH$`, c)
	}
}

// Finance finds the statement's client by name (issue 14, item 6: no typing of ids): the lookup
// beside the form lists matches as they type, a pick fills the client's number, and the
// statement opens for that client.
func TestStatementClientByName(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	var id int64
	var name string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id, name FROM accounts
		WHERE kind = 'client' AND name <> '' ORDER BY id LIMIT 1`).Scan(&id, &name))
	first := strings.Fields(name)[0]
	b := admintest.Browser(t)
	var filled, heading string
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "finance@demo.postdesk"),
		chromedp.Navigate(base+"/finance/statement"),
		chromedp.WaitVisible(`#statement-user-find`, chromedp.ByQuery),
		chromedp.SendKeys(`#statement-user-find`, first, chromedp.ByQuery),
		chromedp.WaitVisible(`#statement-user-options [data-value="`+strconv.FormatInt(id, 10)+`"]`, chromedp.ByQuery),
		chromedp.Click(`#statement-user-options [data-value="`+strconv.FormatInt(id, 10)+`"]`, chromedp.ByQuery),
		chromedp.Value(`#statement-user`, &filled, chromedp.ByQuery),
		chromedp.Submit(`#statement-user`, chromedp.ByQuery),
		chromedp.WaitVisible(`h2`, chromedp.ByQuery),
		chromedp.Text(`h2`, &heading, chromedp.ByQuery)))
	require.Equal(t, strconv.FormatInt(id, 10), filled)
	require.Contains(t, heading, name)
}
