package accounts_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
)

// A block on some functions (here the log-in) shows as "partly blocked", is found by the
// "blocked" filter and no longer by the "active" one (issue 14, item 4).
func TestPartlyBlockedAccountIsBlocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account(t, "client", false)
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
		_, err := accounts.BlockTx(f.ctx, tx, accounts.BlockRequest{Now: time.Now(), AccountID: id,
			Functions: []accounts.Function{accounts.FnLogin}, Reason: "agreement_breach"})
		return err
	}))
	_, _, blocked, err := accounts.Counts(f.ctx, f.pool)
	require.NoError(t, err)
	require.EqualValues(t, 1, blocked, "the dashboard counts a partly blocked account")
	a, err := accounts.Get(f.ctx, f.pool, id)
	require.NoError(t, err)
	require.Equal(t, "partly_blocked", a.Status)

	has := func(status string) bool {
		list, _, err := accounts.List(f.ctx, f.pool, accounts.Filter{Status: status, Limit: 200})
		require.NoError(t, err)
		for _, x := range list {
			if x.ID == id {
				return true
			}
		}
		return false
	}
	require.True(t, has("blocked"), "the blocked filter finds a partly blocked account")
	require.False(t, has("active"), "the active filter leaves it out")
	require.True(t, has(""))
}
