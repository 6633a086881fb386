package settle_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
)

// The money table of RULES.md §3.2, row by row. Every case starts from the same parties: a client
// with 100.00, a courier with 300.00, an order of cost C = 50.00 and declared value V = 200.00 at
// the default commission of 10 % (5.00); a penalty is 20 % of C (10.00).
const (
	clientMoney  ledger.Minor = 100_00
	courierMoney ledger.Minor = 300_00
	cost         ledger.Minor = 50_00
	declared     ledger.Minor = 200_00
	fee          ledger.Minor = 5_00
	penalty      ledger.Minor = 10_00
)

type parties struct {
	f               *fixture
	client, courier ledger.UserID
	order           int64
}

func setup(t *testing.T) parties {
	f := newFixture(t)
	c := f.user(t, "client", clientMoney)
	k := f.user(t, "courier", courierMoney)
	return parties{f: f, client: c, courier: k, order: f.order(t, c, k, cost, declared, time.Time{})}
}

// run applies events in order, each in its own transaction, failing on the first error.
func (p parties) run(t *testing.T, events ...func(context.Context, pgx.Tx, int64) error) {
	t.Helper()
	for _, e := range events {
		require.NoError(t, p.f.do(e, p.order))
	}
}

func (p parties) check(t *testing.T, want state) {
	t.Helper()
	require.Equal(t, want, p.f.state(t, p.client, p.courier))
	p.f.sound(t)
}

func TestTopUp(t *testing.T) {
	p := setup(t)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: courierMoney})
}

func TestPlaced(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place)
	p.check(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost, CourierAvail: courierMoney})
}

func TestPlacedRefusedWhenShort(t *testing.T) {
	f := newFixture(t)
	c := f.user(t, "client", cost-1)
	o := f.order(t, c, 0, cost, declared, time.Time{})
	err := f.do(settle.Place, o)
	require.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	require.Equal(t, state{ClientAvail: cost - 1}, f.state(t, c, 0))
}

func TestDeal(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept)
	p.check(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost,
		CourierAvail: courierMoney - declared - cost, CourierDeposit: declared + cost})
}

func TestDealRefusedWhenCourierShort(t *testing.T) {
	f := newFixture(t)
	c := f.user(t, "client", clientMoney)
	k := f.user(t, "courier", declared+cost-1)
	o := f.order(t, c, k, cost, declared, time.Time{})
	require.Equal(t, apperr.Conflict, apperr.CodeOf(f.do(settle.Accept, o)))
	// Refused as a whole: the client's placement hold of the same transaction is gone too.
	require.Equal(t, state{ClientAvail: clientMoney, CourierAvail: declared + cost - 1}, f.state(t, c, k))
}

func TestDealUsesPromoFirst(t *testing.T) {
	p := setup(t)
	p.f.promo(t, p.courier, 100_00)
	p.run(t, settle.Accept)
	p.check(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost,
		CourierAvail: courierMoney - (declared + cost - 100_00), CourierDeposit: declared + cost, CourierPromo: 0})
	// Delivered: the promo part returns to promo, never to available money.
	p.run(t, settle.Deliver)
	p.check(t, state{ClientAvail: clientMoney - cost, CourierAvail: courierMoney + cost - fee, CourierPromo: 100_00, Revenue: fee})
}

func TestDealNoPromoOrder(t *testing.T) {
	p := setup(t)
	p.f.promo(t, p.courier, 100_00)
	require.NoError(t, pgx.BeginFunc(p.f.ctx, p.f.pool, func(tx pgx.Tx) error { return settle.SetNoPromo(p.f.ctx, tx, p.order, true) }))
	p.run(t, settle.Accept)
	p.check(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost,
		CourierAvail: courierMoney - declared - cost, CourierDeposit: declared + cost, CourierPromo: 100_00})
}

func TestDelivered(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.Deliver)
	p.check(t, state{ClientAvail: clientMoney - cost, CourierAvail: courierMoney + cost - fee, Revenue: fee})
}

func TestClientCancelsBeforeDeal(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.ClientCancel)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: courierMoney})
}

func TestClientCancelsAfterDeal(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.ClientCancel)
	p.check(t, state{ClientAvail: clientMoney - penalty, CourierAvail: courierMoney, Revenue: penalty})
}

func TestCourierPenaltyMayGoNegative(t *testing.T) {
	// A courier whose deposit is all promo credit has nothing available: the penalty is owed anyway.
	f := newFixture(t)
	c := f.user(t, "client", clientMoney)
	k := f.user(t, "courier", 0)
	f.promo(t, k, declared+cost)
	o := f.order(t, c, k, cost, declared, time.Time{})
	for _, e := range []func(context.Context, pgx.Tx, int64) error{settle.Place, settle.Accept, settle.CourierFault} {
		require.NoError(t, f.do(e, o))
	}
	require.Equal(t, state{ClientAvail: clientMoney, CourierAvail: -penalty, CourierPromo: declared + cost, Revenue: penalty}, f.state(t, c, k))
	f.sound(t)
}

func TestClientCancelsAfterPickupItemReturned(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.ClientReturned)
	p.check(t, state{ClientAvail: clientMoney - cost, CourierAvail: courierMoney + cost - fee, Revenue: fee})
}

func TestCourierCancelsBeforePickup(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.CourierFault)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: courierMoney - penalty, Revenue: penalty})
}

func TestCourierCancelsAfterPickupItemReturned(t *testing.T) {
	// The same movement once the item is back; the order's status differs (returned), not the money.
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.CourierFault)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: courierMoney - penalty, Revenue: penalty})
}

func TestNotDeliveredIn24Hours(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.NotDelivered)
	p.check(t, state{ClientAvail: clientMoney + declared + cost, CourierAvail: courierMoney - declared - cost - fee, Revenue: fee})
}

func TestForceMajeure(t *testing.T) {
	p := setup(t)
	p.f.promo(t, p.courier, 10_00)
	p.run(t, settle.Place, settle.Accept, settle.ForceMajeure)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: courierMoney, CourierPromo: 10_00})
}

func TestWeightWithinToleranceStands(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept)
	err := pgx.BeginFunc(p.f.ctx, p.f.pool, func(tx pgx.Tx) error {
		_, err := settle.Reweigh(p.f.ctx, tx, p.order, 1800) // declared 1500 g: +20 % exactly
		return err
	})
	require.Equal(t, apperr.Invalid, apperr.CodeOf(err))
}

func TestWeightDisputeClientPaysNewCost(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept)
	ua, err := ledger.EnsureUserAccounts(p.f.ctx, p.f.pool, p.client)
	require.NoError(t, err)
	p.f.topUp(t, ua.Available, 100_00) // the client has 200.00 in all
	const clientMoney = 2 * clientMoney
	ku, err := ledger.EnsureUserAccounts(p.f.ctx, p.f.pool, p.courier)
	require.NoError(t, err)
	p.f.topUp(t, ku.Available, 100_00) // the courier 400.00: enough for V + the new cost
	const courierMoney = courierMoney + 100_00
	var newCost ledger.Minor
	p.f.tx(t, func(tx pgx.Tx) (err error) {
		newCost, err = settle.Reweigh(p.f.ctx, tx, p.order, 6000) // the 10 kg band
		return err
	})
	require.Equal(t, ledger.Minor(130_00), newCost)
	// The deposit follows the cost: V + the new cost.
	p.check(t, state{ClientAvail: clientMoney - newCost, ClientHeld: newCost,
		CourierAvail: courierMoney - declared - newCost, CourierDeposit: declared + newCost})
	p.run(t, settle.Deliver)
	newFee := settle.Commission(newCost, settle.DefaultCommissionBP)
	p.check(t, state{ClientAvail: clientMoney - newCost, CourierAvail: courierMoney + newCost - newFee, Revenue: newFee})
}

// An order reweighed (its client hold replaced) and reweighed again can still end any way:
// here force majeure returns the latest hold and the deposit, and nothing is left held.
func TestReweighedOrderStillEnds(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept)
	ua, err := ledger.EnsureUserAccounts(p.f.ctx, p.f.pool, p.client)
	require.NoError(t, err)
	p.f.topUp(t, ua.Available, 100_00)
	const clientMoney = 2 * clientMoney
	ku, err := ledger.EnsureUserAccounts(p.f.ctx, p.f.pool, p.courier)
	require.NoError(t, err)
	p.f.topUp(t, ku.Available, 300_00)
	const courierMoney = courierMoney + 300_00
	for _, grams := range []int64{6000, 12000} {
		p.f.tx(t, func(tx pgx.Tx) error {
			_, err := settle.Reweigh(p.f.ctx, tx, p.order, grams)
			return err
		})
	}
	p.run(t, settle.ForceMajeure)
	p.check(t, state{ClientAvail: clientMoney, CourierAvail: courierMoney})
	p.f.sound(t)
}

func TestWeightDisputeClientRefusesPaysForfeit(t *testing.T) {
	p := setup(t)
	refuse := func(grams int64) func(context.Context, pgx.Tx, int64) error {
		return func(ctx context.Context, tx pgx.Tx, id int64) error {
			return settle.WeightRefused(ctx, tx, id, grams, "case-1")
		}
	}
	p.run(t, settle.Place, settle.Accept)
	// Within the tolerance the declared weight stands: there is nothing to refuse, no forfeit.
	require.Equal(t, "settle.weight_within_tolerance", apperr.MessageOf(p.f.do(refuse(1700), p.order)))
	p.run(t, refuse(6000))
	p.check(t, state{ClientAvail: clientMoney - settle.Forfeit, CourierAvail: courierMoney + settle.Forfeit})
}

// A change of courier before pickup releases the first courier's deposit and holds the new one's.
func TestReassignMovesTheDeposit(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept)
	other := p.f.user(t, "courier", courierMoney)
	_, err := p.f.pool.Exec(p.f.ctx, `UPDATE orders SET courier_id = $2 WHERE id = $1`, p.order, int64(other))
	require.NoError(t, err)
	p.run(t, settle.Reassign, settle.Reassign) // a retry holds nothing more
	p.check(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost, CourierAvail: courierMoney})
	require.Equal(t, state{ClientAvail: clientMoney - cost, ClientHeld: cost, CourierAvail: courierMoney - declared - cost,
		CourierDeposit: declared + cost}, p.f.state(t, p.client, other))
	p.run(t, settle.Deliver)
	require.Equal(t, courierMoney+cost-fee, p.f.state(t, p.client, other).CourierAvail)
	require.Equal(t, courierMoney, p.f.state(t, p.client, p.courier).CourierAvail)
	p.f.sound(t)
}

// A weight dispute after delivery settles the difference as a transfer: the client pays the new
// cost, the courier gets the difference less the commission on it.
func TestWeightDisputeAfterDelivery(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.Deliver)
	ua, err := ledger.EnsureUserAccounts(p.f.ctx, p.f.pool, p.client)
	require.NoError(t, err)
	p.f.topUp(t, ua.Available, 100_00)
	var newCost ledger.Minor
	p.f.tx(t, func(tx pgx.Tx) (err error) {
		newCost, err = settle.ReweighDelivered(p.f.ctx, tx, p.order, 6000, "case-1")
		return err
	})
	require.Equal(t, ledger.Minor(130_00), newCost)
	diff := newCost - cost
	diffFee := settle.Commission(diff, settle.DefaultCommissionBP)
	p.check(t, state{ClientAvail: 2*clientMoney - newCost, CourierAvail: courierMoney + cost - fee + diff - diffFee, Revenue: fee + diffFee})
}

func TestCommissionSnapshottedAtPlacement(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept)
	_, err := p.f.pool.Exec(p.f.ctx, `UPDATE settings SET value = '2500' WHERE key = 'commission_bp'`)
	require.NoError(t, err)
	p.run(t, settle.Deliver)
	p.check(t, state{ClientAvail: clientMoney - cost, CourierAvail: courierMoney + cost - fee, Revenue: fee})
}

func TestRetryPostsNothingNew(t *testing.T) {
	p := setup(t)
	p.run(t, settle.Place, settle.Accept, settle.Deliver, settle.Deliver, settle.Place)
	p.check(t, state{ClientAvail: clientMoney - cost, CourierAvail: courierMoney + cost - fee, Revenue: fee})

	// The placement's key, asked again with the same content, answers with the original transfer.
	h, err := ledger.HoldByKey(p.f.ctx, p.f.pool, "order:"+itoa(p.order)+":place")
	require.NoError(t, err)
	p.f.tx(t, func(tx pgx.Tx) error {
		r, err := ledger.PlaceHold(p.f.ctx, tx, ledger.HoldRequest{Key: h.Key, From: h.From, To: h.To, Amount: h.Amount,
			Reason: "order.placed", Links: ledger.Links{OrderRef: h.OrderRef}})
		require.NoError(t, err)
		require.True(t, r.Transfer.Replayed)
		require.Equal(t, h.PlaceTransfer, r.Transfer.ID)
		return nil
	})
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
