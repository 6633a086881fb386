package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/finance/ledger"
)

func TestStatementOpeningPlusLinesIsClosing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	client, c := f.user(t, "client")
	_, k := f.user(t, "courier")

	// Each step is its own transaction, so each has its own time; the statement covers steps 3..6.
	var times []time.Time
	step := func(fn func(tx pgx.Tx) (ledger.TransferResult, error)) {
		require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
			res, err := fn(tx)
			times = append(times, res.CreatedAt)
			return err
		}))
	}
	move := func(key, reason string, legs []ledger.Leg, penalty bool) {
		step(func(tx pgx.Tx) (ledger.TransferResult, error) {
			return ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: key, Reason: reason, Legs: legs, AllowNegative: penalty,
				Links: ledger.Links{OrderRef: "ORD-5"}})
		})
	}
	var hold ledger.HoldID
	move("1", "topup", ledger.Move(f.platform.GatewayClearing, c.Available, 10_000), false)
	move("2", "forfeit", ledger.Move(c.Available, k.Available, 1_000), false)
	step(func(tx pgx.Tx) (ledger.TransferResult, error) { // 3: a hold is an internal move, not a line
		res, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "3", From: c.Available, To: c.Held, Amount: 2_000, Reason: "order.placed"})
		hold = res.Hold.ID
		return res.Transfer, err
	})
	step(func(tx pgx.Tx) (ledger.TransferResult, error) { // 4: delivered: -2000
		res, err := ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: "4", Hold: hold, Reason: "order.delivered",
			To: []ledger.Leg{{Account: k.Available, Amount: 1_800}, {Account: f.platform.Revenue, Amount: 200}}})
		return res.Transfer, err
	})
	move("5", "penalty", ledger.Move(c.Available, f.platform.Revenue, 9_000), true) // -9000, to -2000
	move("6", "topup", ledger.Move(f.platform.GatewayClearing, c.Available, 500), false)
	move("7", "topup", ledger.Move(f.platform.GatewayClearing, c.Available, 700), false)

	st, err := ledger.Statement(ctx, f.pool, client, times[2], times[6])
	require.NoError(t, err)
	require.Equal(t, ledger.Minor(9_000), st.Opening)
	var amounts []ledger.Minor
	var sum ledger.Minor
	for _, l := range st.Lines {
		amounts = append(amounts, l.Amount)
		sum += l.Amount
	}
	require.Equal(t, []ledger.Minor{-2_000, -9_000, 500}, amounts)
	require.Equal(t, []string{"order.delivered", "penalty", "topup"}, []string{st.Lines[0].Reason, st.Lines[1].Reason, st.Lines[2].Reason})
	require.Equal(t, "ORD-5", st.Lines[1].OrderRef)
	require.Equal(t, ledger.Minor(-1_500), st.Closing)
	require.Equal(t, st.Opening+sum, st.Closing)
	require.Equal(t, st.Closing, st.Lines[len(st.Lines)-1].Balance)

	// The statement to now closes at the user's balance.
	st, err = ledger.Statement(ctx, f.pool, client, times[0], times[6].Add(time.Hour))
	require.NoError(t, err)
	b, err := ledger.Balances(ctx, f.pool, client)
	require.NoError(t, err)
	require.Zero(t, st.Opening)
	require.Equal(t, b.Available+b.Held+b.Deposit, st.Closing)

	// An empty period still has its opening and closing balance.
	st, err = ledger.Statement(ctx, f.pool, client, times[6].Add(time.Hour), times[6].Add(2*time.Hour))
	require.NoError(t, err)
	require.Empty(t, st.Lines)
	require.Equal(t, st.Opening, st.Closing)
	require.Equal(t, ledger.Minor(-800), st.Closing)
}

func TestEntriesKeysetPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	client, c := f.user(t, "client")
	for i := range 7 {
		f.topUp(t, c.Available, ledger.Minor(i+1))
	}

	var all []ledger.Entry
	filter := ledger.EntryFilter{User: client, Limit: 3}
	for {
		page, err := ledger.Entries(ctx, f.pool, filter)
		require.NoError(t, err)
		all = append(all, page...)
		if len(page) < filter.Limit {
			break
		}
		filter.Before = page[len(page)-1].Cursor()
	}
	require.Len(t, all, 7)
	for i, e := range all { // newest first
		require.Equal(t, ledger.Minor(7-i), e.Amount, fmt.Sprint(i))
		require.Equal(t, c.Available, e.Account)
		require.Equal(t, ledger.UserAvailable, e.Kind)
		require.Equal(t, client, e.Owner)
	}

	page, err := ledger.Entries(ctx, f.pool, ledger.EntryFilter{Account: f.platform.GatewayClearing, Reason: "topup", From: all[2].CreatedAt})
	require.NoError(t, err)
	require.Len(t, page, 3)
	require.Equal(t, ledger.Minor(-7), page[0].Amount)
}
