package lifecycle_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// Issue 12's defects 1–5, reproduced as the demo users met them: a support agent on the orders
// page (POST /orders/{n}/status) and the moderation desk (POST /moderation, /moderation/{id}/decide).
// Every order has C = 95.00 (3 kg) and V = 1,000.00; commission 10 % (9.50), penalty 19.00.
const (
	cost     ledger.Minor = 95_00
	declared ledger.Minor = 1000_00
	fee      ledger.Minor = 9_50
	penalty  ledger.Minor = 19_00
	money    ledger.Minor = 5000_00
)

type portal struct {
	t     *testing.T
	env   *admintest.Env
	ctx   context.Context
	agent *admintest.Client
}

func newPortal(t *testing.T) *portal {
	env := admintest.New(t)
	p := &portal{t: t, env: env, ctx: context.Background(), agent: env.Login("agent@demo.postdesk")}
	_, err := env.Pool.Exec(p.ctx, `UPDATE settings SET value = '1000' WHERE key = 'commission_bp'`)
	require.NoError(t, err)
	return p
}

var phones atomic.Int64

// user is a new client or courier with 5,000.00 of their own.
func (p *portal) user(kind string) ledger.UserID {
	p.t.Helper()
	var id ledger.UserID
	require.NoError(p.t, p.env.Pool.QueryRow(p.ctx, `INSERT INTO accounts (kind, name, phone) VALUES ($1, $2, $3) RETURNING id`,
		kind, kind+" L1", fmt.Sprintf("+38077%07d", phones.Add(1))).Scan(&id))
	ua, err := ledger.EnsureUserAccounts(p.ctx, p.env.Pool, id)
	require.NoError(p.t, err)
	pl, err := ledger.Platform(p.ctx, p.env.Pool)
	require.NoError(p.t, err)
	require.NoError(p.t, pgx.BeginFunc(p.ctx, p.env.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(p.ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("l1-topup:%d", id), Reason: "topup",
			Legs: ledger.Move(pl.GatewayClearing, ua.Available, money)})
		return err
	}))
	return id
}

// order enters an order of the client's as the new-order form does (the handler's function).
func (p *portal) order(client ledger.UserID) string {
	p.t.Helper()
	o, err := lifecycle.Create(p.ctx, p.env.Pool, orders.Input{ClientID: int64(client), SenderName: "Олена", SenderPhone: "+380501112233",
		SenderAddress: "Київ", RecipientName: "Петро", RecipientPhone: "+380501112234", RecipientAddress: "Львів", Item: "книги",
		WeightGrams: 3000, DeclaredValue: int64(declared)}, time.Now())
	require.NoError(p.t, err)
	require.Equal(p.t, int64(cost), o.Cost)
	return o.Number
}

// move is the order page's status form.
func (p *portal) move(number string, to orders.Status, courier ledger.UserID) int {
	v := url.Values{"to": {string(to)}}
	if courier != 0 {
		v.Set("courier", strconv.FormatInt(int64(courier), 10))
	}
	return p.agent.PostForm("/orders/"+number+"/status", v).Status
}

// open is the moderation desk's "open a case" form; it returns the case.
func (p *portal) open(number, reason string) int64 {
	p.t.Helper()
	r := p.agent.PostForm("/moderation", url.Values{"number": {number}, "reason": {reason}})
	require.Equal(p.t, http.StatusSeeOther, r.Status, r.Body)
	id, err := strconv.ParseInt(strings.TrimPrefix(r.Location, "/moderation/"), 10, 64)
	require.NoError(p.t, err)
	return id
}

// decide is the case page's decision form.
func (p *portal) decide(caseID int64, outcome string, grams int64) int {
	v := url.Values{"outcome": {outcome}}
	if grams != 0 {
		v.Set("real_grams", strconv.FormatInt(grams, 10))
	}
	return p.agent.PostForm("/moderation/"+strconv.FormatInt(caseID, 10)+"/decide", v).Status
}

func (p *portal) balances(u ledger.UserID) ledger.UserBalances {
	p.t.Helper()
	b, err := ledger.Balances(p.ctx, p.env.Pool, u)
	require.NoError(p.t, err)
	return b
}

func (p *portal) status(number string) orders.Status {
	p.t.Helper()
	var s string
	require.NoError(p.t, p.env.Pool.QueryRow(p.ctx, `SELECT status FROM orders WHERE number = $1`, number).Scan(&s))
	return orders.Status(s)
}

// holdsNothing checks an order that has ended has no open hold.
func (p *portal) holdsNothing(number string) {
	p.t.Helper()
	var open int
	require.NoError(p.t, p.env.Pool.QueryRow(p.ctx, `SELECT count(*) FROM ledger_holds WHERE order_ref = $1 AND state = 'open'`, number).Scan(&open))
	require.Zero(p.t, open, "order %s holds money", number)
}

func (p *portal) sound() {
	p.t.Helper()
	v, err := ledger.CheckInvariants(p.ctx, p.env.Pool)
	require.NoError(p.t, err)
	require.Empty(p.t, v)
}

func TestDefects(t *testing.T) {
	p := newPortal(t)

	// 1. The wrong courier lost the deposit: deal with A, manual case, deal with B on the orders page,
	// picked up, lost — A's deposit went to the client and B paid 9.50. Now the orders page cannot
	// move an order out of moderation at all, and a change of courier (before pickup, on the orders
	// page) moves the deposit from A to B, so "lost" takes B's.
	t.Run("1 wrong courier loses the deposit", func(t *testing.T) {
		p.t = t
		client, a, b := p.user("client"), p.user("courier"), p.user("courier")
		n := p.order(client)
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Deal, a))
		caseID := p.open(n, "manual")
		require.Equal(t, http.StatusConflict, p.move(n, orders.Deal, b), "no move out of moderation but its decision")
		require.Equal(t, orders.InModeration, p.status(n))
		require.Equal(t, http.StatusSeeOther, p.decide(caseID, "resumed", 0))
		require.Equal(t, orders.Deal, p.status(n))

		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Deal, b), "another courier takes it over")
		require.Equal(t, ledger.UserBalances{Available: money}, p.balances(a), "A's deposit released without penalty")
		require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, p.balances(b))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.PickedUp, 0))
		require.Equal(t, http.StatusConflict, p.move(n, orders.Deal, a), "after pickup the courier changes only through moderation")
		lostCase := p.open(n, "courier_cancel_after_pickup")
		require.Equal(t, http.StatusSeeOther, p.decide(lostCase, "lost", 0))
		require.Equal(t, ledger.UserBalances{Available: money}, p.balances(a))
		require.Equal(t, ledger.UserBalances{Available: money - declared - cost - fee}, p.balances(b))
		require.Equal(t, ledger.UserBalances{Available: money + declared + cost}, p.balances(client))
		p.holdsNothing(n)
		p.sound()
	})

	// 2. A deal made from moderation took no deposit, and the stale case then paid the courier.
	t.Run("2 a deal always holds a deposit", func(t *testing.T) {
		p.t = t
		client, k := p.user("client"), p.user("courier")
		n := p.order(client)
		caseID := p.open(n, "manual")
		require.Equal(t, http.StatusConflict, p.move(n, orders.Deal, k))
		require.Equal(t, ledger.UserBalances{Available: money}, p.balances(k))
		require.Equal(t, http.StatusConflict, p.decide(caseID, "delivered_late", 0), "an order that never had a courier was not delivered late")
		require.Equal(t, http.StatusSeeOther, p.decide(caseID, "resumed", 0))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Deal, k))
		require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, p.balances(k))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.PickedUp, 0))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Delivered, 0))
		require.Equal(t, ledger.UserBalances{Available: money + cost - fee}, p.balances(k))
		require.Equal(t, http.StatusConflict, p.decide(caseID, "delivered_late", 0), "a decided case stays decided")
		p.holdsNothing(n)
		p.sound()
	})

	// 3. A weight dispute after delivery placed a 130.00 hold that was never captured. Now the
	// difference is a transfer: the client pays 35.00 more, the courier gets 31.50, the platform 3.50.
	t.Run("3 weight dispute after delivery", func(t *testing.T) {
		p.t = t
		client, k := p.user("client"), p.user("courier")
		n := p.order(client)
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Deal, k))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.PickedUp, 0))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Delivered, 0))
		caseID := p.open(n, "weight_dispute")
		require.Equal(t, http.StatusUnprocessableEntity, p.decide(caseID, "weight_accepted", 3500), "within ±20 % the declared weight stands")
		require.Equal(t, http.StatusSeeOther, p.decide(caseID, "weight_accepted", 8000))
		require.Equal(t, orders.Delivered, p.status(n))
		newCost := ledger.Minor(130_00)
		diff := newCost - cost
		require.Equal(t, ledger.UserBalances{Available: money - newCost}, p.balances(client))
		require.Equal(t, ledger.UserBalances{Available: money + cost - fee + diff - settle.Commission(diff, 1000)}, p.balances(k))
		p.holdsNothing(n)
		p.sound()
	})

	// 4. The orders page bypassed moderation.
	t.Run("4 moderation only through cases", func(t *testing.T) {
		p.t = t
		client, k := p.user("client"), p.user("courier")

		// Moving to moderation on the orders page opens the case, and the desk works that case.
		n := p.order(client)
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Deal, k))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.PickedUp, 0))
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.InModeration, 0))
		caseID, err := lifecycle.OpenCaseOf(p.ctx, p.env.Pool, mustID(p, n))
		require.NoError(t, err)
		require.NotZero(t, caseID, "the orders page opened a case")
		require.Contains(t, p.agent.Get("/orders/"+n).Body, fmt.Sprintf(`href="/moderation/%d"`, caseID))
		// Out of moderation to returned/cancelled on the orders page: refused, nothing moves.
		require.Equal(t, http.StatusConflict, p.move(n, orders.Cancelled, 0))
		require.Equal(t, http.StatusConflict, p.move(n, orders.Returned, 0))
		require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, p.balances(k))
		// A courier cancelling after pickup (not force majeure) pays the 19.00 penalty.
		require.Equal(t, http.StatusSeeOther, p.decide(caseID, "courier_fault", 0))
		require.Equal(t, orders.Returned, p.status(n))
		require.Equal(t, ledger.UserBalances{Available: money - penalty}, p.balances(k))
		require.Equal(t, ledger.UserBalances{Available: money}, p.balances(client))
		p.holdsNothing(n)

		// Delivered → moderation → lost would charge the commission a second time: refused.
		d := p.order(client)
		require.Equal(t, http.StatusSeeOther, p.move(d, orders.Deal, k))
		require.Equal(t, http.StatusSeeOther, p.move(d, orders.PickedUp, 0))
		require.Equal(t, http.StatusSeeOther, p.move(d, orders.Delivered, 0))
		before := p.balances(k)
		late := p.open(d, "manual")
		require.Equal(t, http.StatusConflict, p.decide(late, "lost", 0))
		require.Equal(t, http.StatusConflict, p.decide(late, "courier_fault", 0))
		require.Equal(t, http.StatusSeeOther, p.decide(late, "resumed", 0))
		require.Equal(t, before, p.balances(k))
		require.Equal(t, orders.Delivered, p.status(d))

		// A case left open while its order moved on (data from before the lifecycle) cannot be
		// decided: no 19.00 charge on an already returned order.
		s := p.order(client)
		require.Equal(t, http.StatusSeeOther, p.move(s, orders.Deal, k))
		stale := p.open(s, "courier_cancel_before_pickup")
		require.Equal(t, http.StatusSeeOther, p.decide(stale, "force_majeure", 0))
		_, err = p.env.Pool.Exec(p.ctx, `UPDATE moderation_cases SET state = 'open', outcome = NULL, closed_at = NULL, closed_by = NULL WHERE id = $1`, stale)
		require.NoError(t, err)
		before = p.balances(k)
		require.Equal(t, http.StatusConflict, p.decide(stale, "courier_fault", 0))
		require.Equal(t, before, p.balances(k))
		p.sound()
	})

	// 5. "Client refuses the new cost" charged the 100.00 forfeit without a reweighing, even on a
	// manual case. Now only a weight dispute with a real weight beyond ±20 % can end that way.
	t.Run("5 forfeit only beyond the tolerance", func(t *testing.T) {
		p.t = t
		client, k := p.user("client"), p.user("courier")
		n := p.order(client)
		require.Equal(t, http.StatusSeeOther, p.move(n, orders.Deal, k))
		manual := p.open(n, "manual")
		require.Equal(t, http.StatusConflict, p.decide(manual, "weight_refused", 8000), "not a weight dispute")
		require.Equal(t, http.StatusSeeOther, p.decide(manual, "resumed", 0))
		dispute := p.open(n, "weight_dispute")
		require.Equal(t, http.StatusUnprocessableEntity, p.decide(dispute, "weight_refused", 0), "no real weight")
		require.Equal(t, http.StatusUnprocessableEntity, p.decide(dispute, "weight_refused", 3400), "within ±20 %")
		require.Equal(t, ledger.UserBalances{Available: money - cost, Held: cost}, p.balances(client), "nothing charged")
		require.Equal(t, http.StatusSeeOther, p.decide(dispute, "weight_refused", 8000))
		require.Equal(t, orders.Cancelled, p.status(n))
		require.Equal(t, ledger.UserBalances{Available: money - settle.Forfeit}, p.balances(client))
		require.Equal(t, ledger.UserBalances{Available: money + settle.Forfeit}, p.balances(k))
		p.holdsNothing(n)
		p.sound()
	})
}

func mustID(p *portal, number string) int64 {
	p.t.Helper()
	var id int64
	require.NoError(p.t, p.env.Pool.QueryRow(p.ctx, `SELECT id FROM orders WHERE number = $1`, number).Scan(&id))
	return id
}
