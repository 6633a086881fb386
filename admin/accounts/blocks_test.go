package accounts_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/i18n"
)

func TestBlockRequestRules(t *testing.T) {
	now := time.Now()
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	for _, c := range []struct {
		name  string
		req   accounts.BlockRequest
		field string
	}{
		{"nothing chosen", accounts.BlockRequest{Reason: "law"}, "functions"},
		{"unknown function", accounts.BlockRequest{Functions: []accounts.Function{"fly"}, Reason: "law"}, "functions"},
		{"no reason", accounts.BlockRequest{Whole: true}, "reason"},
		{"unknown reason", accounts.BlockRequest{Whole: true, Reason: "mood"}, "reason"},
		{"complaint without link", accounts.BlockRequest{Whole: true, Reason: "complaint_decision"}, "complaint_ref"},
		{"end in the past", accounts.BlockRequest{Whole: true, Reason: "law", EndsAt: &past}, "ends_at"},
		{"ok whole", accounts.BlockRequest{Whole: true, Reason: "law", EndsAt: &future}, ""},
		{"ok functions", accounts.BlockRequest{Functions: []accounts.Function{accounts.FnPayouts, accounts.FnPayouts}, Reason: "duplicate"}, ""},
		{"ok complaint", accounts.BlockRequest{Whole: true, Reason: "complaint_decision", ComplaintRef: "C-12"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.req.Validate(now)
			if c.field == "" {
				require.NoError(t, err)
				return
			}
			var e *apperr.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, c.field, e.Field)
			require.True(t, i18n.Has(e.Message), e.Message)
		})
	}
}

// Each function blocked on its own is refused, with a message naming it, and only it; a whole
// block refuses everything; unblocking lets it through again.
func TestEachBlockedFunctionIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, fn := range accounts.Functions {
		t.Run(string(fn), func(t *testing.T) {
			id := f.account(t, "courier", false)
			var b accounts.Block
			require.NoError(t, f.tx(t, func(tx pgx.Tx) (err error) {
				b, err = accounts.BlockTx(f.ctx, tx, accounts.BlockRequest{Now: time.Now(), AccountID: id, Functions: []accounts.Function{fn}, Reason: "agreement_breach"})
				return err
			}))
			for _, other := range accounts.Functions {
				err := accounts.CheckFunction(f.ctx, f.pool, id, other)
				if other != fn {
					require.NoError(t, err, "%s must stay allowed", other)
					continue
				}
				require.True(t, accounts.IsBlocked(err))
				var e *apperr.Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, apperr.Conflict, e.Code)
				require.Equal(t, "accounts.blocked."+string(fn), e.Message)
				require.NotContains(t, i18n.In("en", e.Message, "Until", ""), "until", "no end date, no until")
			}
			var status string
			require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT status FROM accounts WHERE id = $1`, id).Scan(&status))
			require.Equal(t, "active", status, "a function block leaves the account active")

			require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
				_, err := accounts.LiftTx(f.ctx, tx, b.ID, "checked: not a breach", true)
				return err
			}))
			require.NoError(t, accounts.CheckFunction(f.ctx, f.pool, id, fn))
			require.Equal(t, 1, f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'accounts.unblock' AND record_id = $1 AND actor_id = $2`, fmt.Sprint(id), f.staff))
		})
	}

	t.Run("whole account", func(t *testing.T) {
		id := f.account(t, "client", true)
		until := time.Now().Add(7 * 24 * time.Hour)
		require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
			_, err := accounts.BlockTx(f.ctx, tx, accounts.BlockRequest{Now: time.Now(), AccountID: id, Whole: true, Reason: "law", EndsAt: &until, Notify: true})
			return err
		}))
		for _, fn := range accounts.Functions {
			err := accounts.CheckFunction(f.ctx, f.pool, id, fn)
			var e *apperr.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, "accounts.blocked.account", e.Message)
			require.NotEmpty(t, e.Args["Until"])
			require.Contains(t, i18n.In("en", e.Message, "Until", e.Args["Until"]), "until "+e.Args["Until"].(string))
		}
		var status string
		require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT status FROM accounts WHERE id = $1`, id).Scan(&status))
		require.Equal(t, "blocked", status)
		// The block, its audit entry and the notices (e-mail and SMS) were written together.
		require.Equal(t, 1, f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'accounts.block' AND record_id = $1`, fmt.Sprint(id)))
		require.Equal(t, 2, f.count(t, `SELECT count(*) FROM notifications WHERE account_id = $1 AND template = 'account_blocked' AND status = 'pending'`, id))
	})

	t.Run("unknown and deleted accounts", func(t *testing.T) {
		require.Equal(t, apperr.NotFound, apperr.CodeOf(accounts.CheckFunction(f.ctx, f.pool, 999999, accounts.FnPayouts)))
		id := f.account(t, "client", false)
		_, err := f.pool.Exec(context.Background(), `UPDATE accounts SET status = 'deleted' WHERE id = $1`, id)
		require.NoError(t, err)
		require.True(t, accounts.IsBlocked(accounts.CheckFunction(f.ctx, f.pool, id, accounts.FnPlaceOrders)))
	})
}

// A timed block lifts at its end exactly once, however many sweeps run at the same moment.
func TestTimedBlockLiftsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account(t, "courier", false)
	until := time.Now().Add(time.Hour)
	var b accounts.Block
	require.NoError(t, f.tx(t, func(tx pgx.Tx) (err error) {
		b, err = accounts.BlockTx(f.ctx, tx, accounts.BlockRequest{Now: time.Now(), AccountID: id, Whole: true, Reason: "system_threat", EndsAt: &until})
		return err
	}))
	n, err := accounts.LiftExpired(context.Background(), f.pool, time.Now())
	require.NoError(t, err)
	require.Zero(t, n, "not yet")
	require.Error(t, accounts.CheckFunction(f.ctx, f.pool, id, accounts.FnLogin))

	// The end comes: eight sweeps race for it.
	at := until.Add(time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := accounts.LiftExpired(context.Background(), f.pool, at)
			require.NoError(t, err)
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Equal(t, 1, total)
	n, err = accounts.LiftExpired(context.Background(), f.pool, at.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)

	lifted, err := accounts.GetBlock(f.ctx, f.pool, b.ID)
	require.NoError(t, err)
	require.NotNil(t, lifted.LiftedAt)
	require.False(t, lifted.LiftedByStaff)
	require.WithinDuration(t, until, *lifted.LiftedAt, time.Millisecond, "lifted as of its end")
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'accounts.unblock_expired' AND record_id = $1`, fmt.Sprint(id)))
	require.Equal(t, 2, f.count(t, `SELECT count(*) FROM notifications WHERE account_id = $1 AND template = 'account_unblocked'`, id))
	var status string
	require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT status FROM accounts WHERE id = $1`, id).Scan(&status))
	require.Equal(t, "active", status)

	// Lifting by hand afterwards is refused: it is already lifted.
	err = f.tx(t, func(tx pgx.Tx) error { _, err := accounts.LiftTx(f.ctx, tx, b.ID, "again", false); return err })
	require.Equal(t, apperr.Conflict, apperr.CodeOf(err))
}

// A block past its end no longer refuses, even before the job has lifted it.
func TestExpiredBlockNoLongerRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account(t, "courier", false)
	_, err := f.pool.Exec(context.Background(), `INSERT INTO account_blocks (account_id, functions, reason, starts_at, ends_at)
		VALUES ($1, '{payouts}', 'law', now() - interval '2 days', now() - interval '1 minute')`, id)
	require.NoError(t, err)
	require.NoError(t, accounts.CheckFunction(context.Background(), f.pool, id, accounts.FnPayouts))
}
