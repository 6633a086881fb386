package orders_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// The list's bulk action moves the picked orders as their own pages would, money included, and
// says which did not move and why; the list refreshes itself.
func TestBulkMoveFromTheList(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	picked := pickedUpOrders(t, env, 3)
	var created string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT number FROM orders WHERE status = 'created' ORDER BY id LIMIT 1`).Scan(&created))

	agent := env.Login("agent@demo.postdesk")
	page := agent.Get("/orders")
	require.Contains(t, page.Body, `hx-post="/orders/moves"`, "editors get the bulk action")
	require.Contains(t, page.Body, "orders-moved from:body", "the list refreshes after a bulk move")

	// Nothing picked: said so, nothing moves.
	r := htmxPost(agent, "/orders/moves", map[string][]string{"to": {"delivered"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, toastOf(r), "Pick the orders")

	form := map[string][]string{"to": {"delivered"}, "n": append([]string{created, "ORD-NOPE"}, picked...)}
	r = htmxPost(agent, "/orders/moves", form)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Header.Get("HX-Trigger"), "orders-moved")
	require.Contains(t, toastOf(r), "Moved: ")
	require.Contains(t, r.Body, created, "the order still in created is listed as not moved")
	require.Contains(t, r.Body, "not allowed")
	require.Contains(t, r.Body, "ORD-NOPE")

	for _, n := range picked {
		var status string
		var delivered int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT o.status, (SELECT count(*) FROM ledger_transfers t
			WHERE t.order_ref = o.number AND t.reason = 'order.delivered')
			FROM orders o WHERE o.number = $1`, n).Scan(&status, &delivered))
		require.Equal(t, "delivered", status, n)
		require.Equal(t, 1, delivered, "%s: the client's hold captured once", n)
		var history, audited, notices int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM order_status_history h JOIN orders o ON o.id = h.order_id WHERE o.number = $1 AND h.to_status = 'delivered'),
			(SELECT count(*) FROM audit_log WHERE action = 'order.status' AND record_id = $1),
			(SELECT count(*) FROM notifications WHERE cause = 'order:' || $1)`, n).Scan(&history, &audited, &notices))
		require.Equal(t, 1, history, n)
		require.Positive(t, audited, n)
		require.Positive(t, notices, n)
	}
	var status string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT status FROM orders WHERE number = $1`, created).Scan(&status))
	require.Equal(t, "created", status)
	v, err := ledger.CheckInvariants(ctx, env.Pool)
	require.NoError(t, err)
	require.Empty(t, v)

	// The same move again: nothing moves twice.
	r = htmxPost(agent, "/orders/moves", map[string][]string{"to": {"delivered"}, "n": picked})
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, toastOf(r), "No order moved")

	// Finance reads the list but may not move orders.
	fin := env.Login("finance@demo.postdesk")
	require.NotContains(t, fin.Get("/orders").Body, `hx-post="/orders/moves"`)
	require.Equal(t, http.StatusForbidden, htmxPost(fin, "/orders/moves", map[string][]string{"to": {"cancelled"}, "n": {created}}).Status)
}

// pickedUpOrders makes n orders picked up through the lifecycle, for a client and a courier with
// money of their own, and returns their numbers.
func pickedUpOrders(t *testing.T, env *admintest.Env, n int) []string {
	t.Helper()
	ctx := context.Background()
	var client, courier int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT (SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1),
		(SELECT id FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1)`).Scan(&client, &courier))
	p, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	for _, u := range []int64{client, courier} {
		ua, err := ledger.EnsureUserAccounts(ctx, env.Pool, ledger.UserID(u))
		require.NoError(t, err)
		require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
			_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "bulk-topup:" + strconv.FormatInt(u, 10), Reason: "topup",
				Legs: ledger.Move(p.GatewayClearing, ua.Available, 5000_00)})
			return err
		}))
	}
	var picked []string
	for range n {
		var number string
		require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO orders (client_id, courier_id, sender_name, sender_phone, sender_address,
				recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost)
			VALUES ($1, $2, 'Олена', '+380501112233', 'Київ', 'Петро', '+380501112234', 'Львів', 'книга', 1500, 20000, 7500) RETURNING number`,
			client, courier).Scan(&number))
		for _, to := range []orders.Status{orders.Deal, orders.PickedUp} {
			require.NoError(t, lifecycle.Move(ctx, env.Pool, number, orders.MoveRequest{To: to}, time.Now()))
		}
		picked = append(picked, number)
	}
	return picked
}
