package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/testfactory"
)

// Defect 8: as the role the portal connects with, the ledger's triggers cannot be switched off and
// the ledger tables cannot be written directly; money still moves through ledger_post (SECURITY
// DEFINER, run as the owner), and the invariants hold.
func TestAppRoleCannotBypassLedger(t *testing.T) {
	ctx := context.Background()
	owner, app := dbtest.NewApp(t)
	f := fixtureOn(t, owner)

	// Accounts are opened as the app role (the desks do it): the trigger that adds their balance
	// rows runs as the owner.
	client, c := testfactory.User(ctx, t, app, "client", 0)
	_, k := testfactory.User(ctx, t, app, "courier", 0)
	f.topUp(t, c.Available, 10_000) // seeded as the owner, as tests do

	refused := func(name, sql string) {
		t.Helper()
		err := pgx.BeginFunc(ctx, app, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql)
			return err
		})
		var pgErr *pgconn.PgError
		require.True(t, errors.As(err, &pgErr), "%s: want a refusal, got %v", name, err)
		require.Equal(t, "42501", pgErr.Code, "%s: want insufficient_privilege, got %v", name, err) // insufficient_privilege
	}
	refused("replica", `SET LOCAL session_replication_role = replica`)
	refused("update balance", `UPDATE ledger_balances SET balance = balance + 100`)
	refused("insert entry", `INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount)
		SELECT transfer_id, leg, legs, ledger_account_id, amount FROM ledger_entries LIMIT 1`)
	refused("insert transfer", `INSERT INTO ledger_transfers DEFAULT VALUES`)
	refused("update hold", `UPDATE ledger_holds SET amount = 0`)
	refused("delete balance", `DELETE FROM ledger_balances`)
	refused("truncate entries", `TRUNCATE ledger_entries`)
	refused("disable trigger", `ALTER TABLE ledger_entries DISABLE TRIGGER ALL`)

	var super bool
	require.NoError(t, app.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super))
	require.False(t, super)

	// Posting through the ledger's functions works as the app role.
	err := pgx.BeginFunc(ctx, app, func(tx pgx.Tx) error {
		if _, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "app:1", Reason: "forfeit",
			Legs: ledger.Move(c.Available, k.Available, 2_500)}); err != nil {
			return err
		}
		placed, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: "app:hold", From: c.Available, To: c.Held,
			Amount: 3_000, Reason: "order.placed", Links: ledger.Links{OrderRef: "ORD-1"}})
		if err != nil {
			return err
		}
		_, err = ledger.CaptureHold(ctx, tx, ledger.CaptureRequest{Key: "app:capture", Hold: placed.Hold.ID,
			Reason: "order.delivered", To: []ledger.Leg{{Account: k.Available, Amount: 2_700}, {Account: f.platform.Revenue, Amount: 300}}})
		return err
	})
	require.NoError(t, err)

	b, err := ledger.Balances(ctx, app, client)
	require.NoError(t, err)
	require.Equal(t, ledger.UserBalances{Available: 4_500}, b)
	require.Equal(t, ledger.Minor(5_200), f.balance(t, k.Available))
	v, err := ledger.CheckInvariants(ctx, app)
	require.NoError(t, err)
	require.Empty(t, v)
	f.requireSound(t)
}
