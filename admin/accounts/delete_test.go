package accounts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/rbac"
)

// move posts a transfer between two ledger accounts.
func (f *fixture) move(t *testing.T, key string, from, to ledger.AccountID, amount ledger.Minor) {
	t.Helper()
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(f.ctx, tx, ledger.TransferRequest{Key: key, Reason: "test", Legs: ledger.Move(from, to, amount)})
		return err
	}))
}

// Deletion is refused while the user's balance is positive, allowed once a payout clears it,
// removes personal data, and leaves the ledger as it was.
func TestDeletionRefusedWhileBalancePositive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	id := f.account(t, "courier", false)
	_, err := f.pool.Exec(ctx, `UPDATE accounts SET passport = 'АА123456', card_last4 = '4242', card_token = 'tok_x', card_holder = 'X', birth_date = '1990-01-01', consent_email = true WHERE id = $1`, id)
	require.NoError(t, err)
	user, err := ledger.EnsureUserAccounts(ctx, f.pool, ledger.UserID(id))
	require.NoError(t, err)
	platform, err := ledger.Platform(ctx, f.pool)
	require.NoError(t, err)
	f.move(t, fmt.Sprintf("topup:%d", id), platform.GatewayClearing, user.Available, 12345)

	err = f.tx(t, func(tx pgx.Tx) error { return accounts.DeleteTx(ctx, tx, id, "user asked") })
	var e *apperr.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, apperr.Conflict, e.Code)
	require.Equal(t, "accounts.delete.balance_positive", e.Message)
	require.Equal(t, "123.45", e.Args["Balance"])
	var status string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT status FROM accounts WHERE id = $1`, id).Scan(&status))
	require.Equal(t, "active", status, "nothing changed")

	// A payout clears the balance; now the account can go.
	f.move(t, fmt.Sprintf("payout:%d", id), user.Available, platform.PayoutsPending, 12345)
	entries := f.count(t, `SELECT count(*) FROM ledger_entries`)
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error { return accounts.DeleteTx(ctx, tx, id, "user asked") }))

	var name, phone string
	var email, passport, token *string
	var consent bool
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT name, phone, email, passport, card_token, consent_email, status FROM accounts WHERE id = $1`, id).
		Scan(&name, &phone, &email, &passport, &token, &consent, &status))
	require.Equal(t, "deleted", status)
	require.Equal(t, fmt.Sprintf("Deleted account #%d", id), name)
	require.True(t, strings.HasPrefix(phone, "+000"))
	require.Nil(t, email)
	require.Nil(t, passport)
	require.Nil(t, token)
	require.False(t, consent)
	require.Equal(t, entries, f.count(t, `SELECT count(*) FROM ledger_entries`), "the ledger is kept intact")
	require.Equal(t, 2, f.count(t, `SELECT count(*) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.ledger_account_id WHERE a.owner_account_id = $1`, id))
	var after string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT after::text FROM audit_log WHERE action = 'accounts.delete' AND record_id = $1`, fmt.Sprint(id)).Scan(&after))
	require.NotContains(t, after, "АА123456", "the audit log does not keep what was erased")

	// Deleted accounts are refused everywhere and cannot be deleted twice.
	require.True(t, accounts.IsBlocked(accounts.CheckFunction(ctx, f.pool, id, accounts.FnPayouts)))
	err = f.tx(t, func(tx pgx.Tx) error { return accounts.DeleteTx(ctx, tx, id, "again") })
	require.Equal(t, apperr.Conflict, apperr.CodeOf(err))
}

// Finance can allow deleting an account whose balance stays positive; the override is used once.
func TestDeletionWithFinanceOverride(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	id := f.account(t, "client", true)
	user, err := ledger.EnsureUserAccounts(ctx, f.pool, ledger.UserID(id))
	require.NoError(t, err)
	platform, err := ledger.Platform(ctx, f.pool)
	require.NoError(t, err)
	f.move(t, fmt.Sprintf("topup:%d", id), platform.GatewayClearing, user.Available, 500)
	_, err = f.pool.Exec(ctx, `INSERT INTO api_keys (account_id, name, prefix, secret_hash, scopes) VALUES ($1, 'k', 'pdk_000000000001', decode(repeat('ab', 32), 'hex'), '{orders:read}')`, id)
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `INSERT INTO notifications (account_id, channel, address, template, lang, kind) VALUES ($1, 'email', 'secret@example.com', 'message', 'en', 'service')`, id)
	require.NoError(t, err)

	require.Error(t, f.tx(t, func(tx pgx.Tx) error { return accounts.DeleteOverrideTx(ctx, tx, id, "") }), "a note is required")
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error {
		return accounts.DeleteOverrideTx(ctx, tx, id, "5.00 cannot be paid out: card closed")
	}))
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error { return accounts.DeleteTx(ctx, tx, id, "closed business") }))

	var balance int64
	var override *int64
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT balance, override_id FROM account_deletions WHERE account_id = $1`, id).Scan(&balance, &override))
	require.Equal(t, int64(500), balance)
	require.NotNil(t, override)
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM account_delete_overrides WHERE account_id = $1 AND used_at IS NOT NULL`, id))
	require.Equal(t, 0, f.count(t, `SELECT count(*) FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL`, id), "keys revoked")
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM notifications WHERE account_id = $1 AND address = '' AND status = 'skipped'`, id), "outbox scrubbed")
	b, err := ledger.Balances(ctx, f.pool, ledger.UserID(id))
	require.NoError(t, err)
	require.Equal(t, ledger.Minor(500), b.Available, "the money stays on the books")
}

// Duplicates: accounts of one kind sharing a key are grouped; other kinds and deleted accounts
// are not; a viewer sees only groups on fields they may see, with values as they may see them.
func TestDuplicateDetection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	a := f.account(t, "client", false)
	b := f.account(t, "client", false)
	c := f.account(t, "courier", false)
	d := f.account(t, "courier", false)
	gone := f.account(t, "client", false)
	_, err := f.pool.Exec(ctx, `UPDATE accounts SET phone = '+380509999999' WHERE id = ANY ($1)`, []int64{a, b, c, gone})
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE accounts SET status = 'deleted' WHERE id = $1`, gone)
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE accounts SET passport = 'ВК000001' WHERE id = ANY ($1)`, []int64{c, d})
	require.NoError(t, err)

	groups, err := accounts.Duplicates(ctx, f.pool, 100)
	require.NoError(t, err)
	require.Len(t, groups, 2)
	byField := map[string]accounts.DupGroup{}
	for _, g := range groups {
		byField[g.Field] = g
	}
	require.Equal(t, []int64{a, b}, byField["phone"].IDs, "the courier with that phone is another kind; the deleted one is gone")
	require.Equal(t, "client", byField["phone"].Kind)
	require.Equal(t, []int64{c, d}, byField["passport"].IDs)
	require.Equal(t, "ВК000001", byField["passport"].Value)

	of, err := accounts.DuplicatesOf(ctx, f.pool, c)
	require.NoError(t, err)
	require.Len(t, of, 1)
	require.Equal(t, "passport", of[0].Field)
	require.Equal(t, []int64{d}, of[0].IDs)

	// An agent: phone masked, passport hidden.
	var agentGroup int64
	require.NoError(t, f.pool.QueryRow(ctx, `INSERT INTO staff_groups (name, role) VALUES ('Agents', 'support_agent') RETURNING id`).Scan(&agentGroup))
	_, err = f.pool.Exec(ctx, `INSERT INTO field_rules (group_id, record, field, mode) VALUES ($1, 'account', 'phone', 'masked'), ($1, 'account', 'passport', 'hidden')`, agentGroup)
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `INSERT INTO staff_group_members (group_id, staff_id) VALUES ($1, $2)`, agentGroup, f.staff)
	require.NoError(t, err)
	view, err := rbac.LoadView(ctx, f.pool, f.staff)
	require.NoError(t, err)
	agent := actor.With(context.Background(), &actor.Actor{ID: f.staff, View: view})
	groups, err = accounts.Duplicates(agent, f.pool, 100)
	require.NoError(t, err)
	require.Len(t, groups, 1)
	require.Equal(t, "phone", groups[0].Field)
	require.NotContains(t, groups[0].Value, "9999999", "masked")
}
