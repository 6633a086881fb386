package gateway_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
)

// newSandbox runs the sandbox over real HTTP and returns it with a client signed with its secret.
func newSandbox(t *testing.T, o sandbox.Options) (*sandbox.Server, *gateway.Client, gateway.Config) {
	t.Helper()
	if o.Merchant == "" {
		o.Merchant, o.Secret = "test_merch", "test-secret"
	}
	s := sandbox.New(o)
	url, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	cfg := gateway.Config{URL: url, Merchant: o.Merchant, Secret: o.Secret, Currency: "UAH", Timeout: 500 * time.Millisecond}
	return s, gateway.New(cfg), cfg
}

func TestCreditApprovedDeclinedAndStatus(t *testing.T) {
	ctx := context.Background()
	s, c, _ := newSandbox(t, sandbox.Options{})

	res, err := c.Credit(ctx, "PO-1", 12345, gateway.Card{Number: "4111111111111111"}, "payout 1")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, res.TransactionStatus)
	require.Equal(t, gateway.ReasonOK, res.ReasonCode)
	require.Equal(t, gateway.Amount(12345), res.Amount)
	require.Equal(t, gateway.Amount(62), res.Fee) // 0.5 % rounded

	res, err = c.Credit(ctx, "PO-2", 500, gateway.Card{Token: "tok_0002"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusDeclined, res.TransactionStatus)
	require.Equal(t, gateway.ReasonDeclined, res.ReasonCode)

	st, err := c.Status(ctx, "PO-1")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, st.TransactionStatus)
	st, err = c.Status(ctx, "PO-404")
	require.NoError(t, err)
	require.Equal(t, gateway.ReasonNotFound, st.ReasonCode)
	require.Len(t, s.Payments(), 2)
}

func TestDuplicateReferencePaysOnce(t *testing.T) {
	ctx := context.Background()
	s, c, _ := newSandbox(t, sandbox.Options{})
	var wg sync.WaitGroup
	results := make([]gateway.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Credit(ctx, "PO-7", 1000, gateway.Card{Number: "5555555555554444"}, "")
			require.NoError(t, err)
			results[i] = r
		}()
	}
	wg.Wait()
	dups := 0
	for _, r := range results {
		require.Equal(t, gateway.StatusApproved, r.TransactionStatus)
		if r.ReasonCode == gateway.ReasonDuplicate {
			dups++
		}
	}
	require.Equal(t, 7, dups)
	require.Len(t, s.Payments(), 1)
	require.Equal(t, 8, s.Credits())
}

func TestInProcessingSettles(t *testing.T) {
	ctx := context.Background()
	_, c, _ := newSandbox(t, sandbox.Options{Processing: 100 * time.Millisecond})
	res, err := c.Credit(ctx, "PO-5", 1000, gateway.Card{Token: "tok_0005"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusInProcessing, res.TransactionStatus)
	require.False(t, res.Final())
	time.Sleep(150 * time.Millisecond)
	st, err := c.Status(ctx, "PO-5")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, st.TransactionStatus)
}

func TestFaultsLeaveTheResultUnknown(t *testing.T) {
	ctx := context.Background()
	s, c, _ := newSandbox(t, sandbox.Options{})

	s.Inject(sandbox.Fault500)
	_, err := c.Credit(ctx, "PO-500", 1000, gateway.Card{Number: "4111111111111111"}, "")
	require.ErrorIs(t, err, gateway.ErrUnknown)
	st, err := c.Status(ctx, "PO-500")
	require.NoError(t, err)
	require.Equal(t, gateway.ReasonNotFound, st.ReasonCode, "a 500 did nothing")

	s.Inject(sandbox.FaultHang)
	start := time.Now()
	_, err = c.Credit(ctx, "PO-hang", 1000, gateway.Card{Number: "4111111111111111"}, "")
	require.ErrorIs(t, err, gateway.ErrUnknown)
	require.Less(t, time.Since(start), 2*time.Second, "the client's timeout cut the wait")

	// The gateway paid, but the answer was lost: only CHECK_STATUS tells.
	s.Inject(sandbox.FaultLoseAnswer)
	_, err = c.Credit(ctx, "PO-lost", 1000, gateway.Card{Number: "4111111111111111"}, "")
	require.ErrorIs(t, err, gateway.ErrUnknown)
	st, err = c.Status(ctx, "PO-lost")
	require.NoError(t, err)
	require.Equal(t, gateway.StatusApproved, st.TransactionStatus)

	s.Inject(sandbox.FaultBadSignature)
	_, err = c.Credit(ctx, "PO-sig", 1000, gateway.Card{Number: "4111111111111111"}, "")
	require.ErrorIs(t, err, gateway.ErrUnknown)
	// A retry under the same reference is refused as a duplicate and pays nothing more.
	res, err := c.Credit(ctx, "PO-sig", 1000, gateway.Card{Number: "4111111111111111"}, "")
	require.NoError(t, err)
	require.Equal(t, gateway.ReasonDuplicate, res.ReasonCode)
	require.Equal(t, gateway.StatusApproved, res.TransactionStatus)

	n := 0
	for _, p := range s.Payments() {
		if p.Ref == "PO-sig" || p.Ref == "PO-lost" {
			n++
		}
	}
	require.Equal(t, 2, n)
}

func TestWrongSecretIsRefused(t *testing.T) {
	_, _, cfg := newSandbox(t, sandbox.Options{})
	cfg.Secret = "not-the-secret"
	_, err := gateway.New(cfg).Credit(context.Background(), "PO-x", 1000, gateway.Card{Number: "4111111111111111"}, "")
	require.Error(t, err)
	// Our answer cannot verify under the wrong secret either, so the result counts as unknown.
	require.True(t, errors.Is(err, gateway.ErrUnknown))
}

func TestTransactionListIsSignedAndComplete(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s, c, _ := newSandbox(t, sandbox.Options{Now: func() time.Time { return now }})
	for i, ref := range []string{"PO-a", "PO-b", "PO-c"} {
		now = now.Add(time.Duration(i) * time.Hour)
		_, err := c.Credit(ctx, ref, gateway.Amount(1000*(i+1)), gateway.Card{Number: "4111111111111111"}, "")
		require.NoError(t, err)
	}
	l, err := c.Transactions(ctx, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 13, 30, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Len(t, l.Transactions, 2) // PO-c was at 15:00
	require.Equal(t, "PO-a", l.Transactions[0].OrderReference)
	require.Equal(t, gateway.Amount(2000), l.Transactions[1].Amount)

	s.Inject(sandbox.FaultBadSignature)
	_, err = c.Transactions(ctx, now.Add(-24*time.Hour), now)
	require.ErrorIs(t, err, gateway.ErrUnknown)
}
