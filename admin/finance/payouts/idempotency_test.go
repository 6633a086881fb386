package payouts_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
)

// Defect 9: two identical concurrent requests placed two payouts and both were paid. With the
// form's key, eight at once place one, and every caller gets that one back.
func TestSameKeyPlacesOnePayout(t *testing.T) {
	f := newFixture(t)
	ids := make([]int64, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 30_000, Key: "form-1"})
			require.NoError(t, err)
			ids[i] = p.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
	require.Equal(t, ledger.Minor(970_000), f.balances(f.account).Available, "the money moved once")
	require.Equal(t, 1, f.jobCount(ids[0]))

	// The same key for something else is a mistake, not a repeat.
	_, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 31_000, Key: "form-1"})
	require.Equal(t, "payouts.key_reused", apperr.MessageOf(err))
	// Another key is another request.
	p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 30_000, Key: "form-2"})
	require.NoError(t, err)
	require.NotEqual(t, ids[0], p.ID)
}

var keyInput = regexp.MustCompile(`name="key" value="([0-9a-f]{32})"`)

// Over HTTP: the form carries its key and disables its button while the request runs; the same
// form posted twice at once (two tabs of one officer) places one payout.
func TestDoubleSubmittedFormPlacesOnePayout(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	var user int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE status = 'active' AND card_token IS NOT NULL
		AND card_holder IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.account_id = accounts.id) ORDER BY id`).Scan(&user))
	_, err := env.Pool.Exec(ctx, `UPDATE accounts SET card_holder = name WHERE id = $1`, user)
	require.NoError(t, err)
	plat, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		ua, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(user))
		if err != nil {
			return err
		}
		_, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "test-double-submit", Reason: "topup",
			Legs: ledger.Move(plat.GatewayClearing, ua.Available, 500_00)})
		return err
	}))

	before, err := ledger.Balances(ctx, env.Pool, ledger.UserID(user))
	require.NoError(t, err)
	tabs := []*admintest.Client{env.Login("finance@demo.postdesk"), env.Login("finance@demo.postdesk")}
	form := tabs[0].Get("/finance/payouts/new")
	require.Equal(t, http.StatusOK, form.Status)
	require.Contains(t, form.Body, `hx-disabled-elt="find button[type=submit]"`)
	m := keyInput.FindStringSubmatch(form.Body)
	require.NotNil(t, m, "the form carries its idempotency key")
	require.NotContains(t, tabs[1].Get("/finance/payouts/new").Body, m[1], "each form gets its own key")

	values := url.Values{"account": {strconv.FormatInt(user, 10)}, "amount": {"100.00"}, "key": {m[1]}}
	res := make([]admintest.Response, len(tabs))
	var wg sync.WaitGroup
	for i, c := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := url.Values{}
			for k, x := range values {
				v[k] = x
			}
			res[i] = c.PostForm("/finance/payouts", v)
		}()
	}
	wg.Wait()
	for _, r := range res {
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		require.Equal(t, res[0].Location, r.Location, "both land on the same payout")
	}
	var n int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE account_id = $1`, user).Scan(&n))
	require.Equal(t, 1, n)
	b, err := ledger.Balances(ctx, env.Pool, ledger.UserID(user))
	require.NoError(t, err)
	require.Equal(t, before.Available-100_00, b.Available, "the money moved once")

	// The money-moving buttons on the payout's page are disabled while their request runs.
	var pending int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM payouts WHERE state = 'pending_approval' ORDER BY id LIMIT 1`).Scan(&pending))
	page := env.Login(payouts.DemoSecondOfficer).Get("/finance/payouts/" + strconv.FormatInt(pending, 10))
	require.Regexp(t, `hx-post="/finance/payouts/\d+/approve" hx-disabled-elt="find button"`, page.Body)
	require.Regexp(t, `hx-post="/finance/payouts/\d+/refuse" hx-disabled-elt="find button"`, page.Body)
}
