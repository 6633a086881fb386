package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
)

// Defect 6: the sandbox kept its records in memory, so after a restart it forgot what it had
// accepted and paid the same reference again. With a pool it remembers, and two processes'
// sandboxes (different ports and secrets, one merchant) act as one gateway.
func TestSandboxRemembersAcrossRestartsAndProcesses(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	first, c1, _ := newSandbox(t, sandbox.Options{Merchant: "shared", Secret: "s1", Pool: pool, Processing: 50 * time.Millisecond})
	res, err := c1.Credit(ctx, "PO-r1", 2500, gateway.Card{Token: "tok_4111"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, res.TransactionStatus)
	res, err = c1.Credit(ctx, "PO-r2", 700, gateway.Card{Token: "tok_0005"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusInProcessing, res.TransactionStatus)
	require.NoError(t, first.Close()) // the process stops

	second, c2, _ := newSandbox(t, sandbox.Options{Merchant: "shared", Secret: "s2", Pool: pool, Processing: 50 * time.Millisecond})
	st, err := c2.Status(ctx, "PO-r1")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, st.TransactionStatus)
	require.Equal(t, gateway.Amount(2500), st.Amount)
	res, err = c2.Credit(ctx, "PO-r1", 2500, gateway.Card{Token: "tok_4111"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.ReasonDuplicate, res.ReasonCode, "the restarted gateway refuses the reference it paid")
	time.Sleep(80 * time.Millisecond)
	st, err = c2.Status(ctx, "PO-r2")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, st.TransactionStatus, "in-processing payments settle after a restart too")

	// A third process at the same time.
	_, c3, _ := newSandbox(t, sandbox.Options{Merchant: "shared", Secret: "s3", Pool: pool})
	res, err = c3.Credit(ctx, "PO-r1", 2500, gateway.Card{Token: "tok_4111"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.ReasonDuplicate, res.ReasonCode)
	l, err := c3.Transactions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, l.Transactions, 2)
	require.Len(t, second.Payments(), 2)
}
