package settle_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
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

// An order entered on the orders pages holds its cost from the client's available money in the
// same transaction; a client who cannot cover it is told so and nothing is created.
func TestOrdersCreateHoldsTheCost(t *testing.T) {
	f := newFixture(t)
	rich := f.user(t, "client", clientMoney)
	poor := f.user(t, "client", 1_00)
	in := func(client ledger.UserID) orders.Input {
		return orders.Input{ClientID: int64(client), SenderName: "Олена Коваленко", SenderPhone: "+380501234567",
			SenderAddress: "Київ, вул. Хрещатик, 1", RecipientName: "Әлия Нұрланқызы", RecipientPhone: "+77011234567",
			RecipientAddress: "Алматы, пр. Абая, 10", Item: "Книги", WeightGrams: 1500, DeclaredValue: 1200_00}
	}
	o, err := orders.Create(f.ctx, f.pool, in(rich), time.Now())
	require.NoError(t, err)
	require.Positive(t, o.Cost)
	got := f.state(t, rich, 0)
	require.Equal(t, clientMoney-ledger.Minor(o.Cost), got.ClientAvail)
	require.Equal(t, ledger.Minor(o.Cost), got.ClientHeld)

	// The client's "no promo" choice is kept with the order's money.
	flagged := in(f.user(t, "client", clientMoney))
	flagged.NoPromo = true
	o2, err := orders.Create(f.ctx, f.pool, flagged, time.Now())
	require.NoError(t, err)
	var noPromo bool
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT no_promo FROM order_money WHERE order_id = $1`, o2.ID).Scan(&noPromo))
	require.True(t, noPromo)

	_, err = orders.Create(f.ctx, f.pool, in(poor), time.Now())
	var fe orders.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "orders.client_short", fe["client_id"])
	var n int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM orders WHERE client_id = $1`, int64(poor)).Scan(&n))
	require.Zero(t, n, "nothing was created")
	require.Equal(t, ledger.Minor(1_00), f.state(t, poor, 0).ClientAvail)
	f.sound(t)
}

// A balance limit from a complaint decision caps the money a user may have engaged in open
// orders: the client's held costs, the courier's deposits.
func TestBalanceLimitCapsEngagedMoney(t *testing.T) {
	f := newFixture(t)
	c := f.user(t, "client", clientMoney)
	k := f.user(t, "courier", courierMoney)
	limit := func(user ledger.UserID, amount int64) {
		f.tx(t, func(tx pgx.Tx) error {
			_, err := accounts.LimitBalanceTx(f.ctx, tx, accounts.ID(user), amount, "C-TEST")
			return err
		})
	}
	first := f.order(t, c, k, cost, declared, time.Time{})
	second := f.order(t, c, k, cost, declared, time.Time{})
	limit(c, int64(cost)+int64(cost)/2) // room for one order's cost, not two
	require.NoError(t, f.do(settle.Place, first))
	err := f.do(settle.Place, second)
	require.Equal(t, "settle.over_balance_limit", apperr.MessageOf(err))
	require.Equal(t, ledger.Minor(cost), f.state(t, c, k).ClientHeld, "the second hold was refused")

	limit(k, int64(declared+cost)-1) // a deposit of V + C does not fit
	err = f.do(settle.Accept, first)
	require.Equal(t, "settle.over_balance_limit", apperr.MessageOf(err))
	require.Zero(t, f.state(t, c, k).CourierDeposit)
	f.sound(t)
}
