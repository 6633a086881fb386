package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// PostAll must answer every batch exactly as posting its requests one by one does: the same
// transfers and holds, the same refusal, the same balances. Two databases get the same users and
// money; random batches (transfers, penalties, holds, captures and releases of open and resolved
// holds, retries, reused keys, debits paid for by an earlier credit of the batch, overdrafts) go
// to one through PostAll and to the other one request at a time.
func TestPostAllAnswersAsOneByOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	batched, single := newFixture(t), newFixture(t)
	var users []ledger.UserAccounts
	for i := range 6 {
		kind := []string{"client", "courier"}[i%2]
		_, a := batched.user(t, kind)
		_, b := single.user(t, kind)
		require.Equal(t, a, b, "both databases number their accounts alike")
		batched.topUp(t, a.Available, 20_000)
		single.topUp(t, b.Available, 20_000)
		users = append(users, a)
	}
	revenue := batched.platform.Revenue
	require.Equal(t, revenue, single.platform.Revenue)

	rng := rand.New(rand.NewPCG(20261205, 15))
	var open, resolved []ledger.HoldResult // from the one-by-one side, the reference
	var earlier []ledger.Posting
	key := 0
	next := func(what string) string { key++; return fmt.Sprintf("batch:%d:%s", key, what) }
	posting := func() ledger.Posting {
		u, v := users[rng.IntN(len(users))], users[rng.IntN(len(users))]
		amount := ledger.Minor(1 + rng.IntN(6_000))
		switch n := rng.IntN(100); {
		case n < 25 && u != v:
			return ledger.TransferPosting(ledger.TransferRequest{Key: next("move"), Reason: "test.move", Legs: ledger.Move(u.Available, v.Available, amount)})
		case n < 32:
			return ledger.TransferPosting(ledger.TransferRequest{Key: next("penalty"), Reason: "order.penalty_client_cancel",
				Legs: ledger.Move(u.Available, revenue, amount), AllowNegative: true})
		case n < 55:
			to := u.Held
			if rng.IntN(2) == 0 {
				to = u.Deposit
			}
			return ledger.HoldPosting(ledger.HoldRequest{Key: next("hold"), From: u.Available, To: to, Amount: amount, Reason: "order.placed",
				Links: ledger.Links{OrderRef: fmt.Sprintf("ORD-%d", key)}})
		case n < 70 && len(open) > 0:
			h := open[rng.IntN(len(open))].Hold
			fee := h.Amount / 10
			to := []ledger.Leg{{Account: v.Available, Amount: h.Amount - fee}}
			if fee > 0 {
				to = append(to, ledger.Leg{Account: revenue, Amount: fee})
			}
			return ledger.CapturePosting(ledger.CaptureRequest{Key: next("capture"), Hold: h.ID, To: to, Reason: "order.delivered"})
		case n < 82 && len(open) > 0:
			return ledger.ReleasePosting(ledger.ReleaseRequest{Key: next("release"), Hold: open[rng.IntN(len(open))].Hold.ID, Reason: "order.client_released"})
		case n < 86 && len(resolved) > 0:
			return ledger.ReleasePosting(ledger.ReleaseRequest{Key: next("late"), Hold: resolved[rng.IntN(len(resolved))].Hold.ID, Reason: "order.client_released"})
		case n < 94 && len(earlier) > 0:
			return earlier[rng.IntN(len(earlier))] // a retry
		case len(earlier) > 0:
			p := earlier[rng.IntN(len(earlier))] // its key, other content
			return ledger.TransferPosting(ledger.TransferRequest{Key: p.Key(), Reason: "test.other", Legs: ledger.Move(u.Available, revenue, 1), AllowNegative: true})
		}
		return ledger.TransferPosting(ledger.TransferRequest{Key: next("topup"), Reason: "topup",
			Legs: ledger.Move(batched.platform.GatewayClearing, u.Available, amount)})
	}

	together := 0
	for round := range 120 {
		batch := make([]ledger.Posting, 1+rng.IntN(8))
		for i := range batch {
			batch[i] = posting()
		}
		var got, want []ledger.HoldResult
		errGot := batched.tx(t, func(tx pgx.Tx) (err error) {
			got, err = ledger.PostAll(ctx, tx, batch)
			return err
		})
		errWant := single.tx(t, func(tx pgx.Tx) error {
			for _, p := range batch {
				r, err := ledger.Post(ctx, tx, p)
				if err != nil {
					return err
				}
				want = append(want, r)
			}
			return nil
		})
		if errWant != nil {
			require.Error(t, errGot, "round %d: one by one refused with %v", round, errWant)
			require.Equal(t, apperr.CodeOf(errWant), apperr.CodeOf(errGot), "round %d: %v / %v", round, errWant, errGot)
			require.Equal(t, apperr.MessageOf(errWant), apperr.MessageOf(errGot), "round %d", round)
			continue
		}
		require.NoError(t, errGot, "round %d", round)
		require.Len(t, got, len(want))
		fresh := true
		for i := range want {
			g, w := got[i], want[i]
			require.Equal(t, w.Transfer.ID, g.Transfer.ID, "round %d, request %d", round, i)
			require.Equal(t, w.Transfer.Replayed, g.Transfer.Replayed, "round %d, request %d", round, i)
			g.Hold.CreatedAt, g.Hold.ResolvedAt = w.Hold.CreatedAt, w.Hold.ResolvedAt // each database's clock
			require.Equal(t, w.Hold, g.Hold, "round %d, request %d", round, i)
			fresh = fresh && !w.Transfer.Replayed
		}
		if fresh && len(batch) > 1 {
			together++
		}
		earlier = append(earlier, batch...)
		for _, r := range want {
			if r.Hold.ID == 0 {
				continue
			}
			open = removeHold(open, r.Hold.ID)
			resolved = removeHold(resolved, r.Hold.ID)
			if r.Hold.State == ledger.HoldOpen {
				open = append(open, r)
			} else {
				resolved = append(resolved, r)
			}
		}
	}
	require.Greater(t, together, 10, "many batches were all new requests, posted")

	balances := func(f *fixture) map[ledger.AccountID]ledger.Minor {
		out := map[ledger.AccountID]ledger.Minor{}
		rows, err := f.pool.Query(ctx, `SELECT ledger_account_id, sum(balance) FROM ledger_balances GROUP BY 1`)
		require.NoError(t, err)
		for rows.Next() {
			var id ledger.AccountID
			var b ledger.Minor
			require.NoError(t, rows.Scan(&id, &b))
			out[id] = b
		}
		require.NoError(t, rows.Err())
		return out
	}
	require.Equal(t, balances(single), balances(batched))
	require.Equal(t, single.count(t, "ledger_entries"), batched.count(t, "ledger_entries"))
	batched.requireSound(t)
	single.requireSound(t)
}

func removeHold(hs []ledger.HoldResult, id ledger.HoldID) []ledger.HoldResult {
	for i, h := range hs {
		if h.Hold.ID == id {
			return append(hs[:i], hs[i+1:]...)
		}
	}
	return hs
}

// A batch of new requests goes in one call: PostTogether takes them all, and a batch with one
// request that cannot simply post (an overdraft) is left whole to the one-by-one path.
func TestPostTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	_, a := f.user(t, "client")
	_, b := f.user(t, "courier")
	f.topUp(t, a.Available, 10_000)

	var placed ledger.HoldResult
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
		rs, ok, err := ledger.PostTogether(ctx, tx, []ledger.Posting{
			ledger.HoldPosting(ledger.HoldRequest{Key: "t:1", From: a.Available, To: a.Held, Amount: 4_000, Reason: "order.placed"}),
			ledger.TransferPosting(ledger.TransferRequest{Key: "t:2", Reason: "test.move", Legs: ledger.Move(a.Available, b.Available, 6_000)}),
			// Paid for by the transfer before it in the batch.
			ledger.HoldPosting(ledger.HoldRequest{Key: "t:3", From: b.Available, To: b.Deposit, Amount: 6_000, Reason: "order.deposit"}),
		})
		require.True(t, ok)
		require.Len(t, rs, 3)
		placed = rs[0]
		require.Equal(t, ledger.HoldOpen, placed.Hold.State)
		require.Equal(t, ledger.Minor(4_000), placed.Hold.Amount)
		require.Equal(t, a.Held, placed.Hold.To)
		require.Equal(t, placed.Transfer.ID, placed.Hold.PlaceTransfer)
		return err
	}))
	require.Equal(t, ledger.Minor(0), f.balance(t, a.Available))
	require.Equal(t, ledger.Minor(6_000), f.balance(t, b.Deposit))

	require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
		before := f.count(t, "ledger_transfers")
		_, ok, err := ledger.PostTogether(ctx, tx, []ledger.Posting{
			ledger.CapturePosting(ledger.CaptureRequest{Key: "t:4", Hold: placed.Hold.ID, Reason: "order.delivered",
				To: []ledger.Leg{{Account: b.Available, Amount: 3_600}, {Account: f.platform.Revenue, Amount: 400}}}),
			ledger.TransferPosting(ledger.TransferRequest{Key: "t:5", Reason: "test.move", Legs: ledger.Move(b.Available, a.Available, 3_601)}),
		})
		require.NoError(t, err)
		require.False(t, ok, "one request would overdraw: nothing is posted")
		require.Equal(t, before, f.count(t, "ledger_transfers"))
		return nil
	}))
	f.requireSound(t)
}

// Batches posted at once from many connections, over the same accounts and the platform's
// revenue, leave the ledger sound and every batch's requests posted exactly once.
func TestPostAllConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	var users []ledger.UserAccounts
	for range 8 {
		_, u := f.user(t, "client")
		f.topUp(t, u.Available, 1_000_000)
		users = append(users, u)
	}
	const workers, batches, size = 8, 25, 6
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				var ps []ledger.Posting
				for i := range size {
					u, v := users[(w+i)%len(users)], users[(w+b+i+1)%len(users)]
					if u == v {
						v = users[(w+b+i+2)%len(users)]
					}
					ps = append(ps,
						ledger.HoldPosting(ledger.HoldRequest{Key: fmt.Sprintf("c:%d:%d:%d:h", w, b, i), From: u.Available, To: u.Held, Amount: 100, Reason: "order.placed"}),
						ledger.TransferPosting(ledger.TransferRequest{Key: fmt.Sprintf("c:%d:%d:%d:t", w, b, i), Reason: "order.penalty_client_cancel",
							Legs: []ledger.Leg{{Account: u.Available, Amount: -30}, {Account: v.Available, Amount: 20}, {Account: f.platform.Revenue, Amount: 10}}}))
				}
				err := retryDeadlock(func() error {
					return pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
						_, err := ledger.PostAll(ctx, tx, ps)
						return err
					})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, workers*batches*size*2, f.count(t, "ledger_transfers WHERE idempotency_key LIKE 'c:%'"))
	require.Equal(t, ledger.Minor(workers*batches*size*10), f.balance(t, f.platform.Revenue))
	f.requireSound(t)
}

// retryDeadlock runs fn again when PostgreSQL answers a deadlock or a serialization failure, as
// the portal's transactions do: a transaction posting several batches may meet another's.
func retryDeadlock(fn func() error) error {
	var err error
	for range 5 {
		var pe *pgconn.PgError
		if err = fn(); !errors.As(err, &pe) || pe.Code != "40P01" && pe.Code != "40001" {
			return err
		}
	}
	return err
}
