package admin_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Issue 14, item 7: an invalid filter value (client −5, an account that is not a number, a date
// that does not read) was silently ignored and the list showed everything as if unfiltered. Every
// list now refuses it with a message naming the filter and the value.
func TestInvalidFilterValuesAreRefused(t *testing.T) {
	env := admintest.New(t)
	admin := env.Login("admin@demo.postdesk")
	finance := env.Login("finance@demo.postdesk")
	for _, tc := range []struct {
		c           *admintest.Client
		path, value string
	}{
		{admin, "/accounts?before=abc", "abc"},
		{admin, "/notifications?account=-5", "-5"},
		{admin, "/moderation?after=x1", "x1"},
		{admin, "/apikeys?before=-1", "-1"},
		{admin, "/complaints?after_id=zz", "zz"},
		{admin, "/webhooks?account=-5", "-5"},
		{admin, "/admin/audit?before=0", "0"},
		{admin, "/admin/audit?from=2026-13-45", "2026-13-45"},
		{finance, "/finance/ledger?account=-5", "-5"},
		{finance, "/finance/ledger?user=1.5", "1.5"},
		{finance, "/finance/balances?user=-5", "-5"},
		{finance, "/finance/payouts?account=abc", "abc"},
		{finance, "/finance/statement?user=abc", "abc"},
	} {
		r := tc.c.Get(tc.path)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, tc.path)
		if tc.value != "" {
			require.Contains(t, html.UnescapeString(r.Body), "“"+tc.value+"”", tc.path)
		}
		require.False(t, strings.Contains(r.Body, "Something went wrong"), tc.path)
	}
	// The orders list says so above its (empty) results and keeps its filter form.
	r := admin.Get("/orders?client=-5")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `<p class="alert error" role="alert">Not an account ID.</p>`)
	require.Contains(t, r.Body, "<tbody></tbody>")
	// Empty filters are no filters.
	require.Equal(t, http.StatusOK, admin.Get("/notifications?account=&before=").Status)
}
