package ledger_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

func TestTransferMovesMoneyBothSides(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	client, c := f.user(t, "client")
	_, k := f.user(t, "courier")
	f.topUp(t, c.Available, 10_000)

	var res ledger.TransferResult
	err := f.tx(t, func(tx pgx.Tx) (err error) {
		res, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{
			Key: "pay:1", Reason: "forfeit", Legs: ledger.Move(c.Available, k.Available, 2_500),
			Links: ledger.Links{OrderRef: "ORD-1"},
		})
		return err
	})
	require.NoError(t, err)
	require.False(t, res.Replayed)

	require.Equal(t, ledger.Minor(7_500), f.balance(t, c.Available))
	require.Equal(t, ledger.Minor(2_500), f.balance(t, k.Available))
	require.Equal(t, ledger.Minor(-10_000), f.balance(t, f.platform.GatewayClearing))
	b, err := ledger.Balances(ctx, f.pool, client)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 7_500}, b)

	entries, err := ledger.Entries(ctx, f.pool, ledger.EntryFilter{Transfer: res.ID})
	require.NoError(t, err)
	require.Len(t, entries, 2)
	got := map[ledger.AccountID]ledger.Minor{}
	for _, e := range entries {
		got[e.Account] = e.Amount
		require.Equal(t, "ORD-1", e.OrderRef)
		require.Equal(t, "forfeit", e.Reason)
	}
	require.Equal(t, map[ledger.AccountID]ledger.Minor{c.Available: -2_500, k.Available: 2_500}, got)

	trial, err := ledger.TrialBalance(ctx, f.pool)
	require.NoError(t, err)
	require.Zero(t, trial.Total)
	f.requireSound(t)
}

func TestTransferRefusesInsufficientBalanceAndWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	f.topUp(t, c.Available, 100)
	transfers, entries := f.count(t, "ledger_transfers"), f.count(t, "ledger_entries")

	// The caller's transaction goes on and commits: the refusal itself must leave nothing behind.
	err := f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{
			Key: "too-much", Reason: "order.placed", Legs: ledger.Move(c.Available, f.platform.Revenue, 101),
		})
		requireCode(t, err, apperr.Conflict)
		require.Equal(t, ledger.ErrInsufficient, apperr.MessageOf(err))
		return nil
	})
	require.NoError(t, err)

	require.Equal(t, transfers, f.count(t, "ledger_transfers"))
	require.Equal(t, entries, f.count(t, "ledger_entries"))
	require.Equal(t, ledger.Minor(100), f.balance(t, c.Available))
	f.requireSound(t)
}

func TestPenaltyMayGoNegative(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	f.topUp(t, c.Available, 100)

	err := f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{
			Key: "order:7:penalty", Reason: "penalty.client_cancel",
			Legs: ledger.Move(c.Available, f.platform.Revenue, 300), AllowNegative: true,
		})
		return err
	})
	require.NoError(t, err)
	require.Equal(t, ledger.Minor(-200), f.balance(t, c.Available))
	require.Equal(t, ledger.Minor(300), f.balance(t, f.platform.Revenue))
	f.requireSound(t) // negative, but by a penalty

	// Without the penalty's permission the account cannot go further down...
	err = f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{
			Key: "more", Reason: "forfeit", Legs: ledger.Move(c.Available, f.platform.Revenue, 1),
		})
		return err
	})
	requireCode(t, err, apperr.Conflict)
	// ...but a top-up that leaves it still negative goes through.
	f.topUp(t, c.Available, 50)
	require.Equal(t, ledger.Minor(-150), f.balance(t, c.Available))
}

func TestIdempotentRetryReturnsTheSameTransfer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	_, k := f.user(t, "courier")
	f.topUp(t, c.Available, 1_000)

	req := ledger.TransferRequest{Key: "order:9:forfeit", Reason: "forfeit",
		Legs: ledger.Move(c.Available, k.Available, 400), Links: ledger.Links{OrderRef: "ORD-9"}}
	post := func(r ledger.TransferRequest) (res ledger.TransferResult, err error) {
		err = f.tx(t, func(tx pgx.Tx) error {
			res, err = ledger.Transfer(ctx, tx, r)
			return err
		})
		return res, err
	}
	first, err := post(req)
	require.NoError(t, err)
	transfers, entries := f.count(t, "ledger_transfers"), f.count(t, "ledger_entries")

	// A retry, even with the legs listed the other way round and by someone else.
	retry := req
	retry.Legs = []ledger.Leg{req.Legs[1], req.Legs[0]}
	second, err := post(retry)
	require.NoError(t, err)
	require.True(t, second.Replayed)
	require.Equal(t, first.ID, second.ID)
	require.True(t, first.CreatedAt.Equal(second.CreatedAt))
	require.Equal(t, transfers, f.count(t, "ledger_transfers"))
	require.Equal(t, entries, f.count(t, "ledger_entries"))
	require.Equal(t, ledger.Minor(600), f.balance(t, c.Available))
}

func TestSameKeyDifferentContentIsAConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	_, k := f.user(t, "courier")
	f.topUp(t, c.Available, 1_000)

	req := ledger.TransferRequest{Key: "k", Reason: "forfeit", Legs: ledger.Move(c.Available, k.Available, 400)}
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error { _, err := ledger.Transfer(ctx, tx, req); return err }))

	changes := map[string]func(r *ledger.TransferRequest){
		"amount": func(r *ledger.TransferRequest) { r.Legs = ledger.Move(c.Available, k.Available, 401) },
		"reason": func(r *ledger.TransferRequest) { r.Reason = "other" },
		"order":  func(r *ledger.TransferRequest) { r.OrderRef = "ORD-2" },
		"accounts": func(r *ledger.TransferRequest) {
			r.Legs = ledger.Move(c.Available, f.platform.Revenue, 400)
		},
		"penalty": func(r *ledger.TransferRequest) { r.AllowNegative = true },
	}
	for name, change := range changes {
		r := req
		change(&r)
		err := f.tx(t, func(tx pgx.Tx) error { _, err := ledger.Transfer(ctx, tx, r); return err })
		requireCode(t, err, apperr.Conflict)
		require.Contains(t, err.Error(), "already used", name)
	}
	require.Equal(t, ledger.Minor(600), f.balance(t, c.Available))
}

func TestTransferValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	_, k := f.user(t, "courier")
	f.topUp(t, c.Available, 1_000)

	cases := map[string]struct {
		req  ledger.TransferRequest
		code apperr.Code
	}{
		"no key":      {ledger.TransferRequest{Reason: "r", Legs: ledger.Move(c.Available, k.Available, 1)}, apperr.Invalid},
		"no reason":   {ledger.TransferRequest{Key: "a", Legs: ledger.Move(c.Available, k.Available, 1)}, apperr.Invalid},
		"one leg":     {ledger.TransferRequest{Key: "b", Reason: "r", Legs: []ledger.Leg{{Account: c.Available, Amount: 1}}}, apperr.Invalid},
		"unbalanced":  {ledger.TransferRequest{Key: "c", Reason: "r", Legs: []ledger.Leg{{Account: c.Available, Amount: -2}, {Account: k.Available, Amount: 1}}}, apperr.Invalid},
		"zero":        {ledger.TransferRequest{Key: "d", Reason: "r", Legs: ledger.Move(c.Available, k.Available, 0)}, apperr.Invalid},
		"same twice":  {ledger.TransferRequest{Key: "e", Reason: "r", Legs: ledger.Move(c.Available, c.Available, 5)}, apperr.Invalid},
		"no account":  {ledger.TransferRequest{Key: "f", Reason: "r", Legs: ledger.Move(c.Available, 999_999, 5)}, apperr.NotFound},
		"held direct": {ledger.TransferRequest{Key: "g", Reason: "r", Legs: ledger.Move(c.Available, c.Held, 5)}, apperr.Invalid},
		"overflow": {ledger.TransferRequest{Key: "h", Reason: "r", Legs: []ledger.Leg{
			{Account: c.Available, Amount: 1 << 62}, {Account: c.Promo, Amount: 1 << 62}, {Account: k.Available, Amount: -(1 << 62)},
			{Account: k.Promo, Amount: -(1 << 62)}, {Account: f.platform.Revenue, Amount: 1 << 62}}}, apperr.Invalid},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := f.tx(t, func(tx pgx.Tx) error { _, err := ledger.Transfer(ctx, tx, tc.req); return err })
			requireCode(t, err, tc.code)
		})
	}
	f.requireSound(t)
}

func TestPostedRowsCannotChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	f.topUp(t, c.Available, 1_000)

	var transfer, account int64
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT transfer_id, ledger_account_id FROM ledger_entries LIMIT 1`).Scan(&transfer, &account))
	const (
		appendOnly = "42501" // insufficient_privilege, raised by the guard triggers
		check      = "23514" // check_violation: a CHECK, or ledger_transfer_balanced
		unique     = "23505"
		foreign    = "23503"
	)
	tr, acc := strconv.FormatInt(transfer, 10), strconv.FormatInt(account, 10)
	entry := func(leg, legs int, account string, amount int) string {
		return fmt.Sprintf("(%s, %d, %d, %s, %d)", tr, leg, legs, account, amount)
	}
	const insertEntries = `INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount) VALUES `
	newTransfer := func(key string, amount, legs int) string {
		return fmt.Sprintf(`INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs) VALUES ('%s', '\x00', 'r', %d, %d)`, key, amount, legs)
	}
	refused := []struct{ sql, code string }{
		{`UPDATE ledger_entries SET amount = amount * 2`, appendOnly},
		{`DELETE FROM ledger_entries`, appendOnly},
		{`TRUNCATE ledger_entries CASCADE`, appendOnly},
		{`UPDATE ledger_transfers SET reason = 'edited'`, appendOnly},
		{`DELETE FROM ledger_transfers`, appendOnly},
		{`TRUNCATE ledger_transfers CASCADE`, appendOnly},
		{`DELETE FROM ledger_accounts`, appendOnly},
		{`DELETE FROM ledger_balances`, appendOnly},
		{`UPDATE ledger_accounts SET allow_negative = true`, appendOnly},
		// A posted transfer takes no more entries, balanced or not.
		{insertEntries + entry(3, 2, acc, 5), check},
		{insertEntries + entry(1, 2, acc, 5) + ", " + entry(2, 2, acc, -5), unique},
		{insertEntries + entry(3, 3, acc, 5) + ", " + entry(4, 4, acc, -5), foreign},
		// A new transfer is written only with all its legs, balanced, of known accounts.
		{newTransfer("no-entries", 5, 2), check},
		{`WITH t AS (` + newTransfer("one-leg", 5, 2) + ` RETURNING id)
		  INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount) SELECT id, 1, 2, ` + acc + `, 5 FROM t`, check},
		{`WITH t AS (` + newTransfer("unbalanced", 5, 2) + ` RETURNING id)
		  INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount) SELECT id, n, 2, ` + acc + `, 5 FROM t, generate_series(1, 2) n`, check},
		{`WITH t AS (` + newTransfer("ghost", 5, 2) + ` RETURNING id)
		  INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount) SELECT id, n, 2, CASE n WHEN 1 THEN ` + acc + ` ELSE 999999 END, CASE n WHEN 1 THEN -5 ELSE 5 END FROM t, generate_series(1, 2) n`, check},
		{newTransfer("zero", 0, 2), check},
	}
	for _, r := range refused {
		_, err := f.pool.Exec(ctx, r.sql)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr, r.sql)
		require.Equal(t, r.code, pgErr.Code, "%s: %v", r.sql, err)
	}
	require.Equal(t, ledger.Minor(1_000), f.balance(t, c.Available))
	require.Equal(t, 2, f.count(t, "ledger_entries"))
	f.requireSound(t)
}

func TestUseCurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	use := func(code string) error {
		return f.tx(t, func(tx pgx.Tx) error { return ledger.UseCurrency(ctx, tx, code) })
	}
	// An empty ledger adopts the configured currency, for new accounts too.
	require.NoError(t, use("KZT"))
	_, c := f.user(t, "client")
	var cur string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT string_agg(DISTINCT currency, ',') FROM ledger_accounts`).Scan(&cur))
	require.Equal(t, "KZT", cur)

	// Once money has moved, the ledger keeps its currency.
	f.topUp(t, c.Available, 10)
	require.NoError(t, use("KZT"))
	require.Error(t, use("UAH"))
}

// CheckInvariants must see what the database cannot refuse: a balance row written directly, and
// what an owner can force by switching a trigger off.
func TestCheckInvariantsFindsTampering(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, c := f.user(t, "client")
	_, k := f.user(t, "courier")
	f.topUp(t, c.Available, 1_000)
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "h", From: c.Available, To: c.Held, Amount: 100, Reason: "order.placed"})
		return err
	}))
	f.requireSound(t)

	tamper := []string{
		fmt.Sprintf(`UPDATE ledger_balances SET balance = -5 WHERE ledger_account_id = %d`, k.Available),
		fmt.Sprintf(`UPDATE ledger_balances SET balance = balance + 7 WHERE ledger_account_id = %d`, c.Held),
		`ALTER TABLE ledger_transfers DISABLE TRIGGER ledger_transfer_balanced`,
		`INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs) VALUES ('lonely', '\x00', 'r', 5, 2)`,
		`INSERT INTO ledger_holds (idempotency_key, source_account_id, held_account_id, amount, place_transfer_id)
		 SELECT 'fake', source_account_id, held_account_id, 100, place_transfer_id + 1 FROM ledger_holds`,
	}
	for _, sql := range tamper {
		_, err := f.pool.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	v, err := ledger.CheckInvariants(ctx, f.pool)
	require.NoError(t, err)
	rules := map[string]bool{}
	for _, x := range v {
		rules[x.Rule] = true
	}
	require.Equal(t, map[string]bool{ledger.RuleTotal: true, ledger.RuleBalance: true, ledger.RuleNegative: true,
		ledger.RuleTransfer: true, ledger.RuleHeld: true, ledger.RuleHoldEntries: true}, rules, "%v", v)
}
