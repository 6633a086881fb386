package settle_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/orders"
)

func (p parties) number(t *testing.T) string {
	var n string
	require.NoError(t, p.f.pool.QueryRow(p.f.ctx, `SELECT number FROM orders WHERE id = $1`, p.order).Scan(&n))
	return n
}

// A status change on the orders pages applies the money rule in the same transaction.
func TestOrdersMoveSettles(t *testing.T) {
	p := setup(t)
	n, now := p.number(t), time.Now()
	require.NoError(t, orders.Move(p.f.ctx, p.f.pool, n, orders.Deal, "", now))
	p.check(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost,
		CourierAvail: courierMoney - declared - cost, CourierDeposit: declared + cost})
	require.NoError(t, orders.Move(p.f.ctx, p.f.pool, n, orders.PickedUp, "", now))
	require.NoError(t, orders.Move(p.f.ctx, p.f.pool, n, orders.Delivered, "", now))
	p.check(t, state{ClientAvail: clientMoney - cost, CourierAvail: courierMoney + cost - fee, Revenue: fee})
}

// A move whose money is refused does not happen.
func TestOrdersMoveRefusedWhenShort(t *testing.T) {
	f := newFixture(t)
	c := f.user(t, "client", clientMoney)
	k := f.user(t, "courier", 10_00)
	p := parties{f: f, client: c, courier: k, order: f.order(t, c, k, cost, declared, time.Time{})}
	err := orders.Move(f.ctx, f.pool, p.number(t), orders.Deal, "", time.Now())
	require.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	var status string
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT status FROM orders WHERE id = $1`, p.order).Scan(&status))
	require.Equal(t, "created", status)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: 10_00})
}

func TestOrdersCancelAfterDealCostsClientPenalty(t *testing.T) {
	p := setup(t)
	n, now := p.number(t), time.Now()
	require.NoError(t, orders.Move(p.f.ctx, p.f.pool, n, orders.Deal, "", now))
	require.NoError(t, orders.Move(p.f.ctx, p.f.pool, n, orders.Cancelled, "client called", now))
	p.check(t, state{ClientAvail: clientMoney - penalty, CourierAvail: courierMoney, Revenue: penalty})
}
