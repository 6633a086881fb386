package payouts_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
)

// A finance officer enters a payout above the threshold through the form: the money leaves the
// user's available balance; they may not approve it themselves, and the second officer does.
func TestPayoutPages(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	c := env.Login("finance@demo.postdesk")

	r := c.Get("/finance/payouts")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, "New payout request")
	require.Contains(t, r.Body, "Awaiting approval") // the demo payouts
	require.Equal(t, http.StatusOK, c.Get("/finance/payouts?state=pending_approval").Status)
	require.Equal(t, http.StatusOK, c.Get("/finance/payouts/new").Status)

	// A user with a card in their own name, topped up from gateway clearing.
	rows, err := env.Pool.Query(ctx, `SELECT id, name, card_holder FROM accounts WHERE status = 'active' AND card_token IS NOT NULL
		AND card_holder IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.account_id = accounts.id) ORDER BY id`)
	require.NoError(t, err)
	var user int64
	var id int64
	var name, holder string
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &holder}, func() error {
		if user == 0 && payouts.HolderMatches(holder, name) {
			user = id
		}
		return nil
	})
	require.NoError(t, err)
	require.NotZero(t, user)

	// A card in another name: the form asks for the override reason.
	var stranger string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id::text FROM accounts WHERE card_token IS NOT NULL AND id <> $1 ORDER BY id LIMIT 1`, user).Scan(&stranger))
	_, err = env.Pool.Exec(ctx, `UPDATE accounts SET card_holder = 'SOMEONE ELSE' WHERE id = $1::bigint`, stranger)
	require.NoError(t, err)
	r = c.Get("/finance/payouts/new?account=" + stranger)
	require.Contains(t, r.Body, `id="override"`)
	require.NotContains(t, c.Get("/finance/payouts/new?account="+strconv.FormatInt(user, 10)).Body, `id="override"`)
	plat, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	ua, err := ledger.EnsureUserAccounts(ctx, env.Pool, ledger.UserID(user))
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "test-payout-topup:" + strconv.FormatInt(user, 10), Reason: "topup",
			Legs: ledger.Move(plat.GatewayClearing, ua.Available, 20000_00)})
		return err
	}))
	before, err := ledger.Balances(ctx, env.Pool, ledger.UserID(user))
	require.NoError(t, err)
	account := strconv.FormatInt(user, 10)

	// Field errors come back on the form.
	r = c.PostForm("/finance/payouts", url.Values{"account": {account}, "amount": {"12.345"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `id="amount-error"`)
	require.Contains(t, r.Body, "At most two decimals")
	// A sign is refused, never dropped: "−0.50" is not 0.50 and "1.-5" is not 0.95.
	for _, bad := range []string{"\u22120.50", "-0.50", "1.-5", "0"} {
		r = c.PostForm("/finance/payouts", url.Values{"account": {account}, "amount": {bad}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, bad)
		require.Contains(t, r.Body, `id="amount-error"`, bad)
	}
	r = c.PostForm("/finance/payouts", url.Values{"account": {account}, "amount": {"999999.00"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "more than the user&#39;s available balance")

	r = c.PostForm("/finance/payouts", url.Values{"account": {account}, "amount": {"6 000.50"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.True(t, strings.HasPrefix(r.Location, "/finance/payouts/"), r.Location)
	after, err := ledger.Balances(ctx, env.Pool, ledger.UserID(user))
	require.NoError(t, err)
	require.Equal(t, before.Available-6000_50, after.Available)

	r = c.Get(r.Location)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `id="own-request"`)
	require.NotContains(t, r.Body, "/approve")
	var payoutID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM payouts WHERE account_id = $1`, user).Scan(&payoutID))
	p := "/finance/payouts/" + strconv.FormatInt(payoutID, 10)

	// Maker–checker: the requester's approval is refused with the reason.
	r = c.PostForm(p+"/approve", nil)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.Body, "another finance officer must approve")
	got, err := payouts.Get(ctx, env.Pool, payoutID)
	require.NoError(t, err)
	require.Equal(t, payouts.PendingApproval, got.State)

	c2 := env.Login(payouts.DemoSecondOfficer)
	r = c2.Get(p)
	require.Contains(t, r.Body, p+"/approve")
	r = c2.PostForm(p+"/approve", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	got, err = payouts.Get(ctx, env.Pool, payoutID)
	require.NoError(t, err)
	require.NotEqual(t, payouts.PendingApproval, got.State)
	require.NotNil(t, got.ApprovedAt)

	// Refusing another demo payout gives the money back.
	var other, otherUser int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, account_id FROM payouts WHERE state = 'pending_approval' ORDER BY id LIMIT 1`).Scan(&other, &otherUser))
	b1, err := ledger.Balances(ctx, env.Pool, ledger.UserID(otherUser))
	require.NoError(t, err)
	r = c2.PostForm("/finance/payouts/"+strconv.FormatInt(other, 10)+"/refuse", url.Values{"reason": {"Картка заблокована"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	b2, err := ledger.Balances(ctx, env.Pool, ledger.UserID(otherUser))
	require.NoError(t, err)
	require.Greater(t, b2.Available, b1.Available)
}
