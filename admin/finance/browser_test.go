package finance_test

import (
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
