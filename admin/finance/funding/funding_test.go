package funding_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

var keyInput = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)

// Defect 12: no staff function granted promo credit or recorded a manual top-up. Finance now
// funds every user account kind of RULES.md §3.1 through the portal: a client's and a courier's
// available money (top-up) and a courier's promo credit, with a reason, maker–checker above the
// threshold, audited.
func TestFundingPage(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	var client, courier int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&client))
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&courier))
	bal := func(id int64) ledger.UserBalances {
		b, err := ledger.Balances(ctx, env.Pool, ledger.UserID(id))
		require.NoError(t, err)
		return b
	}
	c := env.Login("finance@demo.postdesk")
	page := c.Get("/finance/funding")
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Contains(t, page.Body, `hx-disabled-elt="find button[type=submit]"`)
	key := func() string {
		m := keyInput.FindStringSubmatch(c.Get("/finance/funding").Body)
		require.NotNil(t, m)
		return m[1]
	}
	post := func(kind string, account int64, amount, reason, k string) admintest.Response {
		return c.PostForm("/finance/funding", url.Values{"kind": {kind}, "account": {strconv.FormatInt(account, 10)},
			"amount": {amount}, "reason": {reason}, "key": {k}})
	}

	// A reason is required; amounts are strict; promo credit is for couriers.
	r := post("top_up", client, "150.00", " ", key())
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `id="reason-error"`)
	r = post("top_up", client, "1.-5", "bank transfer 17", key())
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `id="amount-error"`)
	r = post("promo", client, "10.00", "welcome bonus", key())
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "couriers only")

	// Below the threshold: posted at once, and the same form twice posts once.
	before := bal(client)
	k := key()
	for range 2 {
		r = post("top_up", client, "150.00", "bank transfer 17, not seen by the gateway", k)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	}
	require.Equal(t, before.Available+150_00, bal(client).Available)
	cb := bal(courier)
	r = post("top_up", courier, "20.00", "cash paid in at the office", key())
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, cb.Available+20_00, bal(courier).Available)

	// Above the threshold: waits for a second officer; the requester cannot approve it.
	r = post("promo", courier, "6000.00", "campaign March", key())
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, cb.Promo, bal(courier).Promo)
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM funding_requests WHERE kind = 'promo' AND state = 'pending_approval'`).Scan(&id))
	path := "/finance/funding/" + strconv.FormatInt(id, 10)
	require.NotContains(t, c.Get("/finance/funding").Body, path+"/approve")
	require.Equal(t, http.StatusForbidden, c.PostForm(path+"/approve", nil).Status)
	c2 := env.Login("finance2@demo.postdesk")
	require.Contains(t, c2.Get("/finance/funding").Body, path+"/approve")
	r = c2.PostForm(path+"/approve", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, cb.Promo+6000_00, bal(courier).Promo)
	require.Equal(t, http.StatusConflict, c2.PostForm(path+"/approve", nil).Status, "posted once")

	var audited int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'funding.%'`).Scan(&audited))
	require.GreaterOrEqual(t, audited, 6) // requested ×3, posted ×3, approved
	viol, err := ledger.CheckInvariants(ctx, env.Pool)
	require.NoError(t, err)
	require.Empty(t, viol)

	// Staff without the permission do not get the page.
	require.Equal(t, http.StatusForbidden, env.Login("agent@demo.postdesk").Get("/finance/funding").Status)
}
