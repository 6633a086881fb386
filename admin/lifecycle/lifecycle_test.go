package lifecycle_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/rbac"
)

// fixture is a fresh database, one staff member acting, and parties with money of their own.
type fixture struct {
	t    *testing.T
	pool *pgxpool.Pool
	ctx  context.Context
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	f := &fixture{t: t, pool: pool, now: time.Now().UTC().Truncate(time.Microsecond)}
	var staff int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('l1@test.postdesk', 'agent', 'x') RETURNING id`).Scan(&staff))
	f.ctx = actor.With(context.Background(), &actor.Actor{ID: staff, Email: "l1@test.postdesk", View: rbac.FullView(), Roles: []string{"support_agent"}})
	return f
}

func (f *fixture) user(kind string, amount ledger.Minor) ledger.UserID {
	f.t.Helper()
	var id ledger.UserID
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `INSERT INTO accounts (kind, name, phone, email) VALUES ($1, $2, $3, $4) RETURNING id`,
		kind, kind+" test", fmt.Sprintf("+38066%07d", phones.Add(1)), fmt.Sprintf("l1-%d@test.postdesk", phones.Add(1))).Scan(&id))
	ua, err := ledger.EnsureUserAccounts(context.Background(), f.pool, id)
	require.NoError(f.t, err)
	if amount > 0 {
		pl, err := ledger.Platform(context.Background(), f.pool)
		require.NoError(f.t, err)
		require.NoError(f.t, pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
			_, err := ledger.Transfer(context.Background(), tx, ledger.TransferRequest{Key: fmt.Sprintf("topup:%d", id), Reason: "topup",
				Legs: ledger.Move(pl.GatewayClearing, ua.Available, amount)})
			return err
		}))
	}
	return id
}

func (f *fixture) input(client ledger.UserID) orders.Input {
	return orders.Input{ClientID: int64(client), SenderName: "Олена Коваленко", SenderPhone: "+380501234567",
		SenderAddress: "Київ, вул. Хрещатик, 1", RecipientName: "Әлия Нұрланқызы", RecipientPhone: "+77011234567",
		RecipientAddress: "Алматы, пр. Абая, 10", Item: "Книги", WeightGrams: 3000, DeclaredValue: int64(declared)}
}

func (f *fixture) balances(u ledger.UserID) ledger.UserBalances {
	f.t.Helper()
	b, err := ledger.Balances(context.Background(), f.pool, u)
	require.NoError(f.t, err)
	return b
}

func (f *fixture) move(number string, to orders.Status, courier ledger.UserID) error {
	return lifecycle.Move(f.ctx, f.pool, number, orders.MoveRequest{To: to, CourierID: int64(courier), Note: "крок " + string(to)}, f.now)
}

// Entering an order holds its cost from the client in the same transaction; a client who cannot
// cover it is told so and nothing is created. The "no promo" choice is kept with its money.
func TestCreateHoldsTheCost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rich, poor := f.user("client", money), f.user("client", 1_00)
	o, err := lifecycle.Create(f.ctx, f.pool, f.input(rich), f.now)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: money - cost, Held: cost}, f.balances(rich))

	flagged := f.input(rich)
	flagged.NoPromo = true
	o2, err := lifecycle.Create(f.ctx, f.pool, flagged, f.now)
	require.NoError(t, err)
	var noPromo bool
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT no_promo FROM order_money WHERE order_id = $1`, o2.ID).Scan(&noPromo))
	require.True(t, noPromo)

	_, err = lifecycle.Create(f.ctx, f.pool, f.input(poor), f.now)
	var fe orders.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "orders.client_short", fe["client_id"])
	var n int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM orders WHERE client_id = $1`, int64(poor)).Scan(&n))
	require.Zero(t, n, "nothing was created")

	// The client and the courier hear of it.
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications WHERE cause = $1`, "order:"+o.Number).Scan(&n))
	require.Equal(t, 1, n)
}

// The main line, with the history, the audit and the money of each move; refused moves change
// nothing and explain themselves.
func TestMoveAlongTheTableOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	client, courier := f.user("client", money), f.user("courier", money)
	o, err := lifecycle.Create(f.ctx, f.pool, f.input(client), f.now)
	require.NoError(t, err)

	require.Equal(t, apperr.Conflict, apperr.CodeOf(f.move(o.Number, orders.Delivered, 0)))
	require.Equal(t, apperr.Invalid, apperr.CodeOf(f.move(o.Number, "teleported", 0)))
	require.Equal(t, "orders.courier_needed", apperr.MessageOf(f.move(o.Number, orders.Deal, 0)))
	require.Equal(t, "orders.courier_only_with_deal", apperr.MessageOf(f.move(o.Number, orders.Cancelled, courier)))
	require.Equal(t, "orders.not_found_courier", apperr.MessageOf(f.move(o.Number, orders.Deal, client)))
	poor := f.user("courier", 10_00)
	require.Equal(t, "lifecycle.courier_short", apperr.MessageOf(f.move(o.Number, orders.Deal, poor)))
	got, err := orders.Get(f.ctx, f.pool, o.Number)
	require.NoError(t, err)
	require.Equal(t, orders.Created, got.Status)
	require.Zero(t, got.CourierID, "a refused deal assigns nobody")

	require.NoError(t, f.move(o.Number, orders.Deal, courier))
	require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, f.balances(courier))
	require.NoError(t, f.move(o.Number, orders.PickedUp, 0))
	require.NoError(t, f.move(o.Number, orders.Delivered, 0))
	require.Equal(t, ledger.UserBalances{Available: money + cost - fee}, f.balances(courier))
	require.Equal(t, ledger.UserBalances{Available: money - cost}, f.balances(client))
	require.Equal(t, apperr.Conflict, apperr.CodeOf(f.move(o.Number, orders.Cancelled, 0)), "a delivered order cannot be cancelled")

	h, err := orders.History(f.ctx, f.pool, o.ID)
	require.NoError(t, err)
	require.Len(t, h, 4)
	require.Equal(t, orders.Delivered, h[3].To)
	require.Equal(t, "крок delivered", h[3].Note)
	var audits int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM audit_log WHERE action = 'order.status' AND record_id = $1`, o.Number).Scan(&audits))
	require.Equal(t, 3, audits, "only the allowed moves are audited")
	require.Equal(t, apperr.NotFound, apperr.CodeOf(f.move("PD99999999", orders.Deal, courier)))
}

// The client's cancellation after a deal costs the client 20 % of C; before a deal nothing.
func TestClientCancels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	client, courier := f.user("client", money), f.user("courier", money)
	a, err := lifecycle.Create(f.ctx, f.pool, f.input(client), f.now)
	require.NoError(t, err)
	b, err := lifecycle.Create(f.ctx, f.pool, f.input(client), f.now)
	require.NoError(t, err)
	require.NoError(t, f.move(a.Number, orders.Cancelled, 0))
	require.NoError(t, f.move(b.Number, orders.Deal, courier))
	require.NoError(t, f.move(b.Number, orders.Cancelled, 0))
	require.Equal(t, ledger.UserBalances{Available: money - penalty}, f.balances(client))
	require.Equal(t, ledger.UserBalances{Available: money}, f.balances(courier))

	// After pickup the client's cancellation sends the order to moderation with its case; the
	// money waits for the item to come back.
	c, err := lifecycle.Create(f.ctx, f.pool, f.input(client), f.now)
	require.NoError(t, err)
	require.NoError(t, f.move(c.Number, orders.Deal, courier))
	require.NoError(t, f.move(c.Number, orders.PickedUp, 0))
	require.NoError(t, lifecycle.Cancel(f.ctx, f.pool, c.Number, "клієнт передумав", f.now))
	var reason, status string
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT c.reason, o.status FROM moderation_cases c JOIN orders o ON o.id = c.order_id
		WHERE o.number = $1 AND c.state = 'open'`, c.Number).Scan(&reason, &status))
	require.Equal(t, "client_cancel_after_pickup", reason)
	require.Equal(t, "in_moderation", status)
	require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, f.balances(courier))
}

// The orders page offers the table's moves and nothing out of moderation; every status the table
// names is real, every row names who may take it, and the routes check that permission.
func TestTableReadsAgainstTheRoutes(t *testing.T) {
	t.Parallel()
	require.Equal(t, []orders.Status{orders.Deal, orders.Cancelled, orders.InModeration}, lifecycle.Moves(orders.Created))
	require.Equal(t, []orders.Status{orders.Deal, orders.PickedUp, orders.Cancelled, orders.InModeration}, lifecycle.Moves(orders.Deal))
	require.Equal(t, []orders.Status{orders.Delivered, orders.InModeration}, lifecycle.Moves(orders.PickedUp))
	require.Empty(t, lifecycle.Moves(orders.InModeration))
	for _, s := range []orders.Status{orders.Cancelled, orders.Returned, orders.Lost} {
		require.Empty(t, lifecycle.Moves(s), s)
	}
	for _, r := range lifecycle.Table {
		require.True(t, r.To.Valid(), "%v", r)
		require.True(t, r.From == "" || r.From.Valid(), "%v", r)
		require.True(t, r.Who != "" || r.Action == lifecycle.Overdue, "%v names who may take it", r)
	}
	for _, o := range lifecycle.Outcomes {
		require.True(t, o.From.Valid() && o.To.Valid(), "%v", o)
		require.Contains(t, lifecycle.OutcomeNames, o.Outcome)
		require.NotEqual(t, orders.InModeration, o.To, "a decision takes the order out of moderation")
	}
	perm := map[string]rbac.Perm{}
	for _, r := range orders.Routes(&orders.Handlers{}) {
		perm[r.Method+" "+r.Path] = r.Perm
	}
	require.Equal(t, rbac.OrdersEdit, perm["POST /orders/:number/status"])
	require.Equal(t, rbac.OrdersEdit, perm["POST /orders"])
}

// An imported order (written in created without a hold, as the import's one INSERT does) gets the
// client's hold at its deal, with the courier's deposit, as the table's Place and Accept rows say.
func TestImportedOrderIsPlacedAtItsDeal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	client, courier := f.user("client", money), f.user("courier", money)
	var number string
	require.NoError(t, f.pool.QueryRow(f.ctx, `INSERT INTO orders (external_ref, client_id, sender_name, sender_phone, sender_address,
			recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost)
		VALUES ('IMP-1', $1, 'Олена', '+380501112233', 'Київ', 'Петро', '+380501112234', 'Львів', 'книги', 3000, $2, $3) RETURNING number`,
		int64(client), int64(declared), int64(cost)).Scan(&number))
	require.Equal(t, ledger.UserBalances{Available: money}, f.balances(client))
	require.NoError(t, f.move(number, orders.Deal, courier))
	require.Equal(t, ledger.UserBalances{Available: money - cost, Held: cost}, f.balances(client))
	require.Equal(t, ledger.UserBalances{Available: money - declared - cost, Deposit: declared + cost}, f.balances(courier))
	require.NoError(t, f.move(number, orders.PickedUp, 0))
	require.NoError(t, f.move(number, orders.Delivered, 0))
	require.Equal(t, ledger.UserBalances{Available: money - cost}, f.balances(client))
	require.Equal(t, ledger.UserBalances{Available: money + cost - fee}, f.balances(courier))
}

// A move to moderation on the orders page opens its case for the reason staff chose from those that
// fit where the order is (manual by default); the overdue case is the sweep's alone.
func TestModerateWithAReason(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"manual", "courier_cancel_before_pickup", "weight_dispute"}, lifecycle.CaseReasons(orders.Deal))
	require.Equal(t, []string{"manual", "weight_dispute"}, lifecycle.CaseReasons(orders.Delivered))
	require.Empty(t, lifecycle.CaseReasons(orders.InModeration))
	f := newFixture(t)
	client, courier := f.user("client", money), f.user("courier", money)
	o, err := lifecycle.Create(f.ctx, f.pool, f.input(client), f.now)
	require.NoError(t, err)
	require.NoError(t, f.move(o.Number, orders.Deal, courier))
	moderate := func(reason string) error {
		return lifecycle.Move(f.ctx, f.pool, o.Number, orders.MoveRequest{To: orders.InModeration, Reason: reason}, f.now)
	}
	require.Equal(t, apperr.Invalid, apperr.CodeOf(moderate("overdue")))
	require.Equal(t, "lifecycle.reason_not_now", apperr.MessageOf(moderate("client_cancel_after_pickup")))
	require.NoError(t, moderate("courier_cancel_before_pickup"))
	caseID, err := lifecycle.OpenCaseOf(f.ctx, f.pool, o.ID)
	require.NoError(t, err)
	require.NoError(t, lifecycle.Decide(f.ctx, f.pool, caseID, lifecycle.Decision{Outcome: "courier_fault"}, f.now))
	require.Equal(t, ledger.UserBalances{Available: money - penalty}, f.balances(courier))
	require.Equal(t, ledger.UserBalances{Available: money}, f.balances(client))
}
