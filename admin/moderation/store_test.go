package moderation_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/moderation"
)

var seq atomic.Int64

type fixture struct {
	ctx             context.Context
	pool            *pgxpool.Pool
	client, courier ledger.UserID
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{ctx: context.Background(), pool: dbtest.New(t)}
	f.client = f.user(t, "client", 1000_00)
	f.courier = f.user(t, "courier", 5000_00)
	return f
}

func (f *fixture) user(t *testing.T, kind string, money ledger.Minor) ledger.UserID {
	var id ledger.UserID
	require.NoError(t, f.pool.QueryRow(f.ctx, `INSERT INTO accounts (kind, name, phone, email) VALUES ($1, $2, $3, $4) RETURNING id`,
		kind, kind+" test", fmt.Sprintf("+380%09d", seq.Add(1)), fmt.Sprintf("u%d@example.com", seq.Add(1))).Scan(&id))
	ua, err := ledger.EnsureUserAccounts(f.ctx, f.pool, id)
	require.NoError(t, err)
	p, err := ledger.Platform(f.ctx, f.pool)
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(f.ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("topup:%d", seq.Add(1)), Reason: "topup",
			Legs: ledger.Move(p.GatewayClearing, ua.Available, money)})
		return err
	}))
	return id
}

// dealt enters an order (C = 50.00, V = 200.00) expected at exp and takes it through placement and
// the deal, as the orders pages would.
func (f *fixture) dealt(t *testing.T, exp time.Time) int64 {
	var id int64
	require.NoError(t, f.pool.QueryRow(f.ctx, `INSERT INTO orders (client_id, courier_id, sender_name, sender_phone, sender_address,
			recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost, expected_at, status)
		VALUES ($1, $2, 'Олена', '+380501112233', 'Київ', 'Петро', '+380501112234', 'Львів', 'книга', 1500, 20000, 5000, $3, 'deal') RETURNING id`,
		int64(f.client), int64(f.courier), exp).Scan(&id))
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error { return settle.Accept(f.ctx, tx, id) }))
	return id
}

func (f *fixture) status(t *testing.T, id int64) string {
	var s string
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT status FROM orders WHERE id = $1`, id).Scan(&s))
	return s
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	var n int
	require.NoError(t, f.pool.QueryRow(f.ctx, sql, args...).Scan(&n))
	return n
}

// Two workers sweeping at the same moment, and again later, move an overdue order into moderation
// exactly once; an order not yet 24 h late stays on the road.
func TestSweepMovesOverdueOrderExactlyOnce(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	late := f.dealt(t, now.Add(-25*time.Hour))
	recent := f.dealt(t, now.Add(-23*time.Hour))

	var wg sync.WaitGroup
	var moved atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				n, err := moderation.Sweep(f.ctx, f.pool, now)
				require.NoError(t, err)
				moved.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, moved.Load())
	require.Equal(t, "in_moderation", f.status(t, late))
	require.Equal(t, "deal", f.status(t, recent))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM moderation_cases WHERE order_id = $1`, late))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM order_status_history WHERE order_id = $1 AND to_status = 'in_moderation'`, late))
	// Both parties are told, once.
	require.Equal(t, 2, f.count(t, `SELECT count(DISTINCT account_id) FROM notifications WHERE cause = (SELECT 'order:' || number FROM orders WHERE id = $1)`, late))

	// Once the case is closed the order is never swept again, even if it goes back on the road.
	c, err := moderation.Queue(f.ctx, f.pool, "open", 0, 10)
	require.NoError(t, err)
	require.Len(t, c, 1)
	require.NoError(t, moderation.Decide(f.ctx, f.pool, c[0].ID, moderation.Decision{Outcome: "delivered_late"}, now))
	n, err := moderation.Sweep(f.ctx, f.pool, now.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
}

// The overdue outcome without force majeure: the courier's deposit goes to the client, the hold is
// released, the courier pays the commission; both parties are told.
func TestDecideLostAppliesNotDeliveredRule(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	id := f.dealt(t, now.Add(-48*time.Hour))
	_, err := moderation.Sweep(f.ctx, f.pool, now)
	require.NoError(t, err)
	cases, err := moderation.Queue(f.ctx, f.pool, "open", 0, 10)
	require.NoError(t, err)
	require.NoError(t, moderation.AddNote(f.ctx, f.pool, cases[0].ID, "contact", "Дзвонили кур'єру, не відповідає"))
	require.NoError(t, moderation.Decide(f.ctx, f.pool, cases[0].ID, moderation.Decision{Outcome: "courier_fault"}, now))
	require.Equal(t, "lost", f.status(t, id))

	cb, err := ledger.Balances(f.ctx, f.pool, f.client)
	require.NoError(t, err)
	kb, err := ledger.Balances(f.ctx, f.pool, f.courier)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 1000_00 + 250_00}, cb)
	require.Equal(t, ledger.UserBalances{Available: 5000_00 - 250_00 - 5_00}, kb)
	v, err := ledger.CheckInvariants(f.ctx, f.pool)
	require.NoError(t, err)
	require.Empty(t, v)

	// Closed: a second decision is refused and moves no money.
	err = moderation.Decide(f.ctx, f.pool, cases[0].ID, moderation.Decision{Outcome: "force_majeure"}, now)
	require.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'moderation.decide'`))
}

func TestCourierCancelForceMajeureReleasesEverything(t *testing.T) {
	f := newFixture(t)
	id := f.dealt(t, time.Now().Add(time.Hour))
	var number string
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT number FROM orders WHERE id = $1`, id).Scan(&number))
	caseID, err := moderation.Open(f.ctx, f.pool, number, "courier_cancel_before_pickup", time.Now())
	require.NoError(t, err)
	require.NoError(t, moderation.Decide(f.ctx, f.pool, caseID, moderation.Decision{Outcome: "force_majeure", Note: "ДТП"}, time.Now()))
	require.Equal(t, "cancelled", f.status(t, id))
	cb, _ := ledger.Balances(f.ctx, f.pool, f.client)
	kb, _ := ledger.Balances(f.ctx, f.pool, f.courier)
	require.Equal(t, ledger.UserBalances{Available: 1000_00}, cb)
	require.Equal(t, ledger.UserBalances{Available: 5000_00}, kb)
}
