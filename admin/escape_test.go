package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Script typed into text fields (an account's name, an order's comment and item, a staff note)
// comes back as text on every page that shows it, never as markup.
func TestScriptInTextFieldsIsShownAsText(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	const payload = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	var account int64
	var number string
	require.NoError(t, env.Pool.QueryRow(ctx, `UPDATE accounts SET name = $1, card_holder = $1 WHERE id = (SELECT min(id) FROM accounts WHERE kind = 'client') RETURNING id`, payload).Scan(&account))
	require.NoError(t, env.Pool.QueryRow(ctx, `UPDATE orders SET comment = $1, item = $1, sender_name = $1
		WHERE id = (SELECT min(id) FROM orders WHERE client_id = $2) RETURNING number`, payload, account).Scan(&number))
	admin := env.Login("admin@demo.postdesk")
	for _, path := range []string{"/accounts", "/accounts?q=script", "/accounts/" + itoa(account), "/orders/" + number,
		"/orders?client=" + itoa(account), "/finance/balances?user=" + itoa(account), "/finance/payouts/new?account=" + itoa(account)} {
		r := admin.Get(path)
		require.Equal(t, http.StatusOK, r.Status, path)
		require.NotContains(t, r.Body, "<script>alert", path)
		require.NotContains(t, r.Body, "<img src=x", path)
		if strings.Contains(path, "/accounts/") || strings.Contains(path, "/orders/") {
			require.Contains(t, r.Body, "&lt;script&gt;", "%s shows the text", path)
		}
	}
}
