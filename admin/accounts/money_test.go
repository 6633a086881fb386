package accounts_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/money"
)

// The account page shows the balances in the reader's language with the deployment's currency
// (they were bare "5750.00").
func TestAccountPageShowsMoneyWithCurrency(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&id))
	bal, err := ledger.Balances(ctx, env.Pool, ledger.UserID(id))
	require.NoError(t, err)
	r := env.Login("finance@demo.postdesk").Get(fmt.Sprintf("/accounts/%d", id))
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `<dd class="num mono">`+money.Format(bal.Available, "UAH", "en")+`</dd>`)
	require.Contains(t, r.Body, `<dd class="num mono">`+money.Format(bal.Held, "UAH", "en")+`</dd>`)
}
