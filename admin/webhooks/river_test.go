package webhooks_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/webhooks"
	"github.com/postdesk/postdesk/jobs"
)

// River runs the job the database queued with the delivery (migration 014 inserts it as River's
// clients for other languages do), retries it after the receiver's failure on the backoff's
// schedule, and the delivery ends sent with both attempts recorded.
func TestRiverDeliversWhatTheDatabaseQueued(t *testing.T) {
	t.Parallel()
	pool, client, _ := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rcv := &receiver{now: time.Now, fail: 1}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	_, secret := register(t, pool, client, srv.URL)
	rcv.secret = secret

	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.WebhookDeliverWorker{Sender: &webhooks.Sender{Pool: pool, Policy: webhooks.Policy{AllowLoopbackHTTP: true}}})
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers, FetchPollInterval: 100 * time.Millisecond,
		Queues: map[string]river.QueueConfig{webhooks.Queue: {MaxWorkers: 2}}})
	require.NoError(t, err)
	require.NoError(t, rc.Start(ctx))
	defer func() { _ = rc.Stop(context.Background()) }()

	orderMoves(t, pool, client, "PDWH0100")
	id := deliveries(t, pool)[0]
	require.Eventually(t, func() bool {
		d, err := webhooks.GetDelivery(ctx, pool, id)
		return err == nil && d.Status == "sent"
	}, 25*time.Second, 200*time.Millisecond)
	attempts, err := webhooks.Attempts(ctx, pool, id)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, 500, *attempts[0].Code)
	require.GreaterOrEqual(t, attempts[1].At.Sub(attempts[0].At), webhooks.Backoff(1)-time.Second, "retried after the backoff")
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Len(t, rcv.got, 1)
}
