package settle_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/orders"
)

// step is one event with the status it leads to.
type step struct {
	event func(context.Context, pgx.Tx, int64) error
	to    orders.Status
}

// steps are the events the money table allows from each status.
var steps = map[orders.Status][]step{
	orders.Created: {{settle.Accept, orders.Deal}, {settle.ClientCancel, orders.Cancelled}},
	orders.Deal: {{settle.Deliver, orders.Delivered}, {settle.ClientCancel, orders.Cancelled},
		{settle.CourierFault, orders.Cancelled}, {settle.ForceMajeure, orders.Cancelled}, {settle.NotDelivered, orders.Lost}},
}

// Many workers place, accept, deliver and cancel random orders of a few shared clients and
// couriers at once, two workers often on the same order. Afterwards the ledger is sound, only a
// penalty took anyone below zero, each hold was resolved at most once, and finished orders hold
// nothing back.
func TestConcurrentOrdersKeepLedgerSound(t *testing.T) {
	f := newFixture(t)
	const users, ordersN, workers = 6, 120, 12
	var clients, couriers []ledger.UserID
	for range users {
		clients = append(clients, f.user(t, "client", 500_00))
		couriers = append(couriers, f.user(t, "courier", 1500_00))
	}
	f.promo(t, couriers[0], 300_00)
	var ids []int64
	for range ordersN {
		c, k := clients[rand.IntN(users)], couriers[rand.IntN(users)]
		ids = append(ids, f.order(t, c, k, ledger.Minor(30_00+rand.IntN(70_00)), ledger.Minor(rand.IntN(300_00)), time.Time{}))
	}

	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range 80 {
				id := ids[rng.IntN(len(ids))]
				outcome := advance(f, id, rng)
				mu.Lock()
				counts[outcome]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("outcomes: %v", counts)
	require.Zero(t, counts["error"], "unexpected errors")
	require.NotZero(t, counts[string(orders.Delivered)])

	f.sound(t)
	// Below zero only where a penalty was charged.
	var negativeWithoutPenalty int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM ledger_accounts a
		WHERE a.kind = 'user_available' AND (SELECT sum(balance) FROM ledger_balances b WHERE b.ledger_account_id = a.id) < 0
		AND NOT EXISTS (SELECT 1 FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
			WHERE e.ledger_account_id = a.id AND e.amount < 0 AND t.allow_negative)`).Scan(&negativeWithoutPenalty))
	require.Zero(t, negativeWithoutPenalty)
	// Each hold resolved at most once: one resolving transfer per resolved hold, none for open ones.
	var badHolds int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM ledger_holds h
		WHERE (h.state = 'open') <> (h.resolve_transfer_id IS NULL)
		   OR (SELECT count(*) FROM ledger_transfers t WHERE t.idempotency_key LIKE 'order:%' AND t.id = h.resolve_transfer_id) > 1`).Scan(&badHolds))
	require.Zero(t, badHolds)
	// A finished order holds nothing back.
	var openOnFinished int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM orders o JOIN order_money m ON m.order_id = o.id
		JOIN ledger_holds h ON h.id IN (m.client_hold_id, m.deposit_hold_id, m.promo_hold_id)
		WHERE o.status IN ('delivered', 'cancelled', 'lost') AND h.state = 'open'`).Scan(&openOnFinished))
	require.Zero(t, openOnFinished)
}

// advance applies one random allowed event to the order with its status change, in one
// transaction, and says what happened.
func advance(f *fixture, id int64, rng *rand.Rand) string {
	for attempt := 0; ; attempt++ {
		var outcome string
		err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
			var status string
			if err := tx.QueryRow(f.ctx, `SELECT status FROM orders WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
				return err
			}
			next := steps[orders.Status(status)]
			if len(next) == 0 {
				outcome = "finished"
				return nil
			}
			s := next[rng.IntN(len(next))]
			if err := s.event(f.ctx, tx, id); err != nil {
				return err
			}
			outcome = string(s.to)
			return settle.SetStatus(f.ctx, tx, id, s.to, "", time.Now())
		})
		var pe *pgconn.PgError
		switch {
		case err == nil:
			return outcome
		case apperr.CodeOf(err) == apperr.Conflict:
			return "refused"
		case errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") && attempt < 5:
			continue
		default:
			return "error"
		}
	}
}
