package testfactory_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/testfactory"
)

// Every factory builds rows the schema accepts, in every state a test may ask for, with what it
// was asked for and nothing more.
func TestFactories(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}

	lead := testfactory.Staff(ctx, t, pool, testfactory.StaffOpts{Role: "support_lead"})
	require.Equal(t, 1, count(`SELECT count(*) FROM staff_group_members m JOIN staff_groups g ON g.id = m.group_id
		WHERE m.staff_id = $1 AND g.role = 'support_lead'`, lead))

	blocked := testfactory.Account(ctx, t, pool, testfactory.AccountOpts{Kind: "courier", Status: "blocked", ConsentSMS: true})
	require.Equal(t, 1, count(`SELECT count(*) FROM accounts WHERE id = $1 AND kind = 'courier' AND status = 'blocked'
		AND consent_sms AND NOT consent_email`, blocked))

	user, _ := testfactory.User(ctx, t, pool, "client", 500_00)
	b, err := ledger.Balances(ctx, pool, user)
	require.NoError(t, err)
	require.Equal(t, ledger.Minor(500_00), b.Available)

	for _, status := range []string{"created", "deal", "picked_up", "delivered", "cancelled", "in_moderation", "returned", "lost"} {
		id, number := testfactory.Order(ctx, t, pool, testfactory.OrderOpts{Client: int64(user), Status: status, Cost: 90_00})
		require.NotEmpty(t, number)
		require.Equal(t, 1, count(`SELECT count(*) FROM orders WHERE id = $1 AND status = $2 AND cost = 9000 AND client_id = $3`,
			id, status, int64(user)), status)
	}
	for _, state := range []string{"draft", "received", "acknowledged", "in_review", "waiting", "decided", "notified", "closed", "withdrawn"} {
		id, number := testfactory.Complaint(ctx, t, pool, testfactory.ComplaintOpts{Complainant: int64(user), State: state})
		require.Equal(t, 1, count(`SELECT count(*) FROM complaints WHERE id = $1 AND number = $2 AND state = $3
			AND complainant_account_id = $4 AND decision_due = received_at + interval '15 days'`, id, number, state, int64(user)), state)
		require.Equal(t, 1, count(`SELECT count(*) FROM complaint_events WHERE complaint_id = $1 AND kind = 'received'`, id))
	}
	other := testfactory.Account(ctx, t, pool, testfactory.AccountOpts{Name: "Olena K", CardHolder: "IVAN K", CardToken: "tok_1234"})
	for _, state := range []string{"pending_approval", "approved", "sending", "paid", "failed", "refused"} {
		id := testfactory.Payout(ctx, t, pool, testfactory.PayoutOpts{State: state})
		require.Equal(t, 1, count(`SELECT count(*) FROM payouts WHERE id = $1 AND state = $2 AND holder_match
			AND needs_approval = ($2 = 'pending_approval')`, id, state), state)
		id = testfactory.Payout(ctx, t, pool, testfactory.PayoutOpts{Account: other, State: state, Amount: 10_00})
		require.Equal(t, 1, count(`SELECT count(*) FROM payouts WHERE id = $1 AND account_id = $2 AND amount = 1000
			AND NOT holder_match AND card_last4 = '1234'`, id, other), state)
	}
	// Rows only: no order, complaint or payout moved money.
	require.Equal(t, 1, count(`SELECT count(*) FROM ledger_transfers`))
}
