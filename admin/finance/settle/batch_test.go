package settle_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
)

// A batch of events settles every order as the events one by one do: two databases get the same
// parties and orders (a client short of money for its last order, a courier with promo credit
// for two orders, a client under a balance limit, an order never placed), one runs each event as
// a batch, the other order by order; every order's answer and every balance must match.
func TestBatchSettlesAsOneByOne(t *testing.T) {
	t.Parallel()
	type world struct {
		f      *fixture
		orders []int64
	}
	build := func() world {
		f := newFixture(t)
		rich := f.user(t, "client", 1_000_00)
		poor := f.user(t, "client", 150_00)
		limited := f.user(t, "client", 1_000_00)
		k1 := f.user(t, "courier", 2_000_00)
		k2 := f.user(t, "courier", 2_000_00)
		f.promo(t, k2, 300_00)
		_, err := f.pool.Exec(f.ctx, `UPDATE accounts SET balance_limit = 10000 WHERE id = $1`, int64(limited))
		require.NoError(t, err)
		w := world{f: f}
		for _, o := range []struct {
			client, courier ledger.UserID
			cost            ledger.Minor
		}{{rich, k1, 50_00}, {poor, k1, 100_00}, {rich, k2, 70_00}, {poor, k2, 80_00}, {limited, k1, 60_00}, {limited, k2, 60_00}, {rich, k2, 90_00}} {
			w.orders = append(w.orders, f.order(t, o.client, o.courier, o.cost, 200_00, time.Time{}))
		}
		return w
	}
	batched, single := build(), build()
	require.Equal(t, batched.orders, single.orders)
	ids := batched.orders

	for _, step := range []struct {
		event settle.Event
		one   func(context.Context, pgx.Tx, int64) error
	}{{settle.EventPlace, settle.Place}, {settle.EventAccept, settle.Accept}, {settle.EventDeliver, settle.Deliver}, {settle.EventPlace, settle.Place}} {
		var got []error
		batched.f.tx(t, func(tx pgx.Tx) (err error) {
			got, err = settle.Batch(batched.f.ctx, tx, step.event, ids)
			return err
		})
		for i, id := range ids {
			want := single.f.do(step.one, id)
			require.Equal(t, apperr.MessageOf(want), apperr.MessageOf(got[i]), "%s, order %d: %v / %v", step.event, id, want, got[i])
			require.Equal(t, want == nil, got[i] == nil, "%s, order %d", step.event, id)
		}
	}
	balances := func(f *fixture) map[int64]int64 {
		rows, err := f.pool.Query(f.ctx, `SELECT ledger_account_id, sum(balance)::bigint FROM ledger_balances GROUP BY 1`)
		require.NoError(t, err)
		out := map[int64]int64{}
		for rows.Next() {
			var id, b int64
			require.NoError(t, rows.Scan(&id, &b))
			out[id] = b
		}
		require.NoError(t, rows.Err())
		return out
	}
	require.Equal(t, balances(single.f), balances(batched.f))
	holds := func(f *fixture) [][]any {
		rows, err := f.pool.Query(f.ctx, `SELECT m.order_id, h1.amount, h1.state, h2.amount, h2.state, h3.amount, h3.state FROM order_money m
			LEFT JOIN ledger_holds h1 ON h1.id = m.client_hold_id LEFT JOIN ledger_holds h2 ON h2.id = m.deposit_hold_id
			LEFT JOIN ledger_holds h3 ON h3.id = m.promo_hold_id ORDER BY 1`)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		require.NoError(t, err)
		return out
	}
	require.Equal(t, holds(single.f), holds(batched.f))
	require.NotEmpty(t, holds(batched.f))
	batched.f.sound(t)

	// The second placement found every order placed already: nothing new, nothing refused twice.
	var n int
	require.NoError(t, batched.f.pool.QueryRow(batched.f.ctx, `SELECT count(*) FROM ledger_transfers WHERE reason = 'order.delivered'`).Scan(&n))
	require.Positive(t, n)
}
