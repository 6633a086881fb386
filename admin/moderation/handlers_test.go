package moderation_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/moderation"
	"github.com/postdesk/postdesk/admin/orders"
)

// A support agent opens the queue, works an overdue case (a contact attempt, then force majeure)
// and the money comes back to both parties; finance reads but may not work it.
func TestModerationPages(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	f := &fixture{ctx: ctx, pool: env.Pool}
	var client, courier int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT (SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1),
		(SELECT id FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1)`).Scan(&client, &courier))
	p, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	for _, u := range []int64{client, courier} {
		ua, err := ledger.EnsureUserAccounts(ctx, env.Pool, ledger.UserID(u))
		require.NoError(t, err)
		require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
			_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "test-topup:" + strconv.FormatInt(u, 10), Reason: "topup",
				Legs: ledger.Move(p.GatewayClearing, ua.Available, 1000_00)})
			return err
		}))
	}
	f.client, f.courier = ledger.UserID(client), ledger.UserID(courier)
	before, err := ledger.Balances(ctx, env.Pool, f.client)
	require.NoError(t, err)
	id := f.dealt(t, time.Now().Add(-30*time.Hour))
	for { // the demo data has overdue orders of its own
		n, err := moderation.Sweep(ctx, env.Pool, time.Now())
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	var caseID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM moderation_cases WHERE order_id = $1`, id).Scan(&caseID))
	path := "/moderation/" + strconv.FormatInt(caseID, 10)

	agent := env.Login("agent@demo.postdesk")
	r := agent.Get("/moderation")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "not delivered 24 h after the expected time")
	require.Contains(t, r.Body, "/moderation?state=open&amp;after=") // keyset pages
	r = agent.Get(path)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "not delivered 24 h after the expected time")
	require.Regexp(t, `\d\.\d\d\x{a0}UAH`, r.Body, "the cost and balances carry the currency")
	// Issue 14, item 7: the case's facts are a styled list that says what "C / V" meant.
	require.Contains(t, r.Body, `<dl class="props" id="case-facts">`)
	require.Contains(t, r.Body, "Delivery cost (C)")
	require.Contains(t, r.Body, "Declared value (V)")
	require.NotContains(t, r.Body, "C / V")

	r = agent.PostForm(path+"/notes", url.Values{"kind": {"contact"}, "body": {"Кур'єр каже: дорогу перекрито"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = agent.PostForm(path+"/decide", url.Values{"outcome": {"force_majeure"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = agent.Get(path)
	require.Contains(t, r.Body, "Кур&#39;єр каже")
	require.Contains(t, r.Body, `id="case-outcome"`)
	require.Equal(t, string(orders.Cancelled), f.status(t, id))
	after, err := ledger.Balances(ctx, env.Pool, f.client)
	require.NoError(t, err)
	require.Equal(t, before, after)

	// A courier cancels before pickup: the agent opens the case and finds it was the courier's fault.
	second := f.dealt(t, time.Now().Add(time.Hour))
	var number string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT number FROM orders WHERE id = $1`, second).Scan(&number))
	courierBefore, err := ledger.Balances(ctx, env.Pool, f.courier)
	require.NoError(t, err)
	r = agent.PostForm("/moderation", url.Values{"number": {number}, "reason": {"courier_cancel_before_pickup"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = agent.PostForm(r.Location+"/decide", url.Values{"outcome": {"courier_fault"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, string(orders.Cancelled), f.status(t, second))
	courierAfter, err := ledger.Balances(ctx, env.Pool, f.courier)
	require.NoError(t, err)
	require.Equal(t, courierBefore.Available+courierBefore.Deposit-10_00, courierAfter.Available) // 20 % of C = 50.00
	require.Equal(t, courierBefore.Deposit-250_00, courierAfter.Deposit)

	fin := env.Login("finance@demo.postdesk")
	require.Equal(t, http.StatusOK, fin.Get(path).Status)
	require.Equal(t, http.StatusForbidden, fin.PostForm(path+"/notes", url.Values{"kind": {"contact"}, "body": {"x"}}).Status)
}
