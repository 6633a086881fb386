package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// openPool opens a pool of its own on the test database, sized for many concurrent transactions.
func openPool(t testing.TB, conns int32) *pgxpool.Pool {
	t.Helper()
	_, url := dbtest.NewWithURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = conns
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// TestConcurrentMovesKeepTheLedgerSound has 16 goroutines move money at random among 20 users'
// accounts for a few seconds: transfers, penalties, holds placed, captured and released, with keys
// that collide on purpose, retries, and transactions rolled back after posting. Afterwards the
// ledger must be sound, every key must name one transfer, and every hold must have resolved at
// most once. Any error other than a conflict (a deadlock, a serialization failure) fails the test.
func TestConcurrentMovesKeepTheLedgerSound(t *testing.T) {
	t.Parallel()
	f := fixtureOn(t, openPool(t, 16))
	ctx := context.Background()

	var clients, couriers []ledger.UserAccounts
	for range 10 {
		_, c := f.user(t, "client")
		_, k := f.user(t, "courier")
		f.topUp(t, c.Available, 50_000)
		f.topUp(t, k.Available, 50_000)
		clients, couriers = append(clients, c), append(couriers, k)
	}
	users := append(append([]ledger.UserAccounts{}, clients...), couriers...)

	var (
		mu       sync.Mutex
		byKey    = map[string]ledger.TransferID{} // every transfer a caller was told about, by key
		holds    []ledger.HoldID
		resolved = map[ledger.HoldID]int{} // fresh (not replayed) resolutions seen
		counts   = map[string]int{}
	)
	// seen records what a committed call returned: one key, one transfer, whoever asked.
	seen := func(key string, res ledger.TransferResult) {
		mu.Lock()
		defer mu.Unlock()
		if id, ok := byKey[key]; ok {
			require.Equal(t, id, res.ID, "key %s named two transfers", key)
		}
		byKey[key] = res.ID
	}
	// expected sorts errors: conflicts are a normal answer, anything else fails the test.
	expected := func(op string, err error) bool {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			counts[op+" ok"]++
			return true
		}
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("%s: unexpected error: %v", op, err)
			return false
		}
		counts[op+" conflict"]++
		return false
	}
	run := func(fn func(tx pgx.Tx) error) error { return pgx.BeginFunc(ctx, f.pool, fn) }
	errRollback := errors.New("rolled back on purpose")

	// transferFor derives a transfer's content from its number, so two goroutines drawing the same
	// key ask for the same thing, unless one of them changes it on purpose.
	transferFor := func(n int) ledger.TransferRequest {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		from, to := users[r.IntN(len(users))].Available, users[r.IntN(len(users))].Available
		if from == to {
			to = f.platform.Revenue
		}
		req := ledger.TransferRequest{Key: fmt.Sprintf("t-%d", n), Reason: "test.transfer",
			Legs: ledger.Move(from, to, ledger.Minor(1+r.IntN(5_000)))}
		if n%7 == 0 { // penalties
			req.Reason, req.AllowNegative = "test.penalty", true
		}
		return req
	}

	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for time.Now().Before(deadline) && !t.Failed() {
				switch op := r.IntN(10); {
				case op < 4: // a transfer; sometimes altered, sometimes rolled back after posting
					req := transferFor(r.IntN(3_000))
					if r.IntN(20) == 0 {
						req.Reason = "test.altered"
					}
					rollback := r.IntN(20) == 0
					var res ledger.TransferResult
					err := run(func(tx pgx.Tx) (err error) {
						if res, err = ledger.Transfer(ctx, tx, req); err == nil && rollback {
							return errRollback
						}
						return err
					})
					if errors.Is(err, errRollback) {
						continue
					}
					if expected("transfer", err) {
						seen(req.Key, res)
					}
				case op < 5: // a top-up keeps money flowing in
					u := users[r.IntN(len(users))]
					req := ledger.TransferRequest{Key: fmt.Sprintf("topup-%d-%d", g, r.Int64()), Reason: "topup",
						Legs: ledger.Move(f.platform.GatewayClearing, u.Available, ledger.Minor(1+r.IntN(3_000)))}
					err := run(func(tx pgx.Tx) error { _, err := ledger.Transfer(ctx, tx, req); return err })
					expected("topup", err)
				case op < 7: // place a hold: a client's order cost or a courier's deposit
					n := r.IntN(2_000)
					hr := rand.New(rand.NewPCG(uint64(n), 3))
					req := ledger.HoldRequest{Key: fmt.Sprintf("h-%d", n), Amount: ledger.Minor(1 + hr.IntN(4_000)), Reason: "test.hold"}
					if n%2 == 0 {
						c := clients[hr.IntN(len(clients))]
						req.From, req.To = c.Available, c.Held
					} else {
						k := couriers[hr.IntN(len(couriers))]
						req.From, req.To = k.Available, k.Deposit
					}
					var res ledger.HoldResult
					err := run(func(tx pgx.Tx) (err error) { res, err = ledger.PlaceHold(ctx, tx, req); return err })
					if expected("hold", err) {
						seen(req.Key, res.Transfer)
						if !res.Transfer.Replayed {
							mu.Lock()
							holds = append(holds, res.Hold.ID)
							mu.Unlock()
						}
					}
				default: // resolve a hold: capture (split with the platform) or release, racing others
					mu.Lock()
					if len(holds) == 0 {
						mu.Unlock()
						continue
					}
					id := holds[r.IntN(len(holds))]
					mu.Unlock()
					capture := r.IntN(2) == 0
					var res ledger.HoldResult
					key := fmt.Sprintf("release-%d", id)
					err := run(func(tx pgx.Tx) (err error) {
						if !capture {
							res, err = ledger.ReleaseHold(ctx, tx, ledger.ReleaseRequest{Key: key, Hold: id, Reason: "test.release"})
							return err
						}
						h, err := ledger.GetHold(ctx, tx, id)
						if err != nil {
							return err
						}
						key = fmt.Sprintf("capture-%d", id)
						fee := h.Amount / 10
						to := couriers[int(id)%len(couriers)].Available
						res, err = ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: key, Hold: id, Reason: "test.capture",
							To: []ledger.Leg{{Account: to, Amount: h.Amount - fee}, {Account: f.platform.Revenue, Amount: fee}}[:legsFor(fee)]})
						return err
					})
					if expected("resolve", err) {
						seen(key, res.Transfer)
						if !res.Transfer.Replayed {
							mu.Lock()
							resolved[id]++
							mu.Unlock()
						}
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("operations: %v", counts)
	require.False(t, t.Failed())
	for _, op := range []string{"transfer ok", "transfer conflict", "hold ok", "resolve ok", "resolve conflict"} {
		require.Positive(t, counts[op], "the run should have exercised %q", op)
	}

	f.requireSound(t)
	trial, err := ledger.TrialBalance(ctx, f.pool)
	require.NoError(t, err)
	require.Zero(t, trial.Total)

	// Every key a caller was told about names the transfer the database holds for it.
	rows, err := f.pool.Query(ctx, `SELECT idempotency_key, id FROM ledger_transfers`)
	require.NoError(t, err)
	inDB := map[string]ledger.TransferID{}
	var (
		key string
		id  ledger.TransferID
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error { inDB[key] = id; return nil })
	require.NoError(t, err)
	for k, id := range byKey {
		require.Equal(t, id, inDB[k], "key %s", k)
	}

	// Every hold resolved at most once, and the database agrees on which ones.
	for _, id := range holds {
		h, err := ledger.GetHold(ctx, f.pool, id)
		require.NoError(t, err)
		require.LessOrEqual(t, resolved[id], 1, "hold %d resolved twice", id)
		require.Equal(t, resolved[id] == 1, h.State != ledger.HoldOpen, "hold %d is %s", id, h.State)
	}
}

// legsFor drops the platform's leg when the commission rounds to zero: legs must move money.
func legsFor(fee ledger.Minor) int {
	if fee == 0 {
		return 1
	}
	return 2
}
