package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/testfactory"
	"github.com/postdesk/postdesk/admin/webhooks"
)

// receiver is a client's endpoint that does what the published scheme says: it verifies the
// signature with its secret and refuses a timestamp outside the tolerance of its own clock.
type receiver struct {
	mu       sync.Mutex
	secret   string
	now      func() time.Time
	fail     int // answer 500 to this many requests first
	got      []received
	refused  []error
	lastReq  *http.Request
	lastBody []byte
}

type received struct {
	id   string
	body map[string]any
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, _ := io.ReadAll(req.Body)
	r.lastReq, r.lastBody = req.Clone(context.Background()), body
	if r.fail > 0 {
		r.fail--
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	if err := webhooks.Verify(r.secret, req.Header, body, r.now()); err != nil {
		r.refused = append(r.refused, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	r.got = append(r.got, received{id: req.Header.Get(webhooks.HeaderID), body: m})
	w.WriteHeader(http.StatusNoContent)
}

func setup(t *testing.T) (*pgxpool.Pool, int64, int64) {
	pool := dbtest.New(t)
	ctx := context.Background()
	var client, other int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO accounts (kind, business, name, phone, lang) VALUES ('client', true, 'Shop A', '+380441300001', 'en') RETURNING id`).Scan(&client))
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO accounts (kind, business, name, phone, lang) VALUES ('client', true, 'Shop B', '+380441300002', 'en') RETURNING id`).Scan(&other))
	return pool, client, other
}

func register(t *testing.T, pool *pgxpool.Pool, account int64, url string) (webhooks.Endpoint, string) {
	ctx := context.Background()
	var e webhooks.Endpoint
	var secret string
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		e, secret, err = webhooks.Register(ctx, tx, webhooks.Policy{AllowLoopbackHTTP: true}, account, webhooks.Input{URL: url, Events: []string{webhooks.OrderStatus}}, webhooks.By{})
		return err
	}))
	return e, secret
}

// orderMoves writes an order and a status change as the lifecycle does: the history row is the cause.
func orderMoves(t *testing.T, pool *pgxpool.Pool, client int64, number string) {
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO orders (number, client_id, sender_name, sender_phone, sender_address, recipient_name,
			recipient_phone, recipient_address, item, weight_grams, declared_value, cost, status)
			VALUES ($1, $2, 'S', '+380501112233', 'Kyiv', 'R', '+380671112233', 'Lviv', 'Books', 1000, 100, 5000, 'created') RETURNING id`,
			number, client).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO order_status_history (order_id, from_status, to_status) VALUES ($1, NULL, 'created')`, id)
		return err
	}))
}

func deliveries(t *testing.T, pool *pgxpool.Pool) []int64 {
	rows, err := pool.Query(context.Background(), `SELECT id FROM webhook_deliveries ORDER BY id`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return ids
}

// A delivery is written in its cause's transaction (with its River job), signed the published
// way, verified by the receiver; a failed attempt is kept with its code and retried; a captured
// delivery replayed later is refused by the receiver; a rolled-back cause sends nothing.
func TestDeliverySignedVerifiedRetriedAndNotReplayable(t *testing.T) {
	t.Parallel()
	pool, client, other := setup(t)
	ctx := context.Background()
	rcv := &receiver{now: time.Now, fail: 1}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	_, secret := register(t, pool, client, srv.URL+"/hooks")
	rcv.secret = secret
	require.True(t, strings.HasPrefix(secret, "whsec_"))

	orderMoves(t, pool, client, "PDWH0001")
	orderMoves(t, pool, other, "PDWH0002") // another client's order: not A's business
	ids := deliveries(t, pool)
	require.Len(t, ids, 1)
	var jobs int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver' AND (args->>'delivery_id')::bigint = $1`, ids[0]).Scan(&jobs))
	require.Equal(t, 1, jobs, "the River job is queued with the delivery")

	// A cause that rolls back leaves no delivery and no job.
	_ = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO order_status_history (order_id, from_status, to_status) SELECT id, 'created', 'cancelled' FROM orders WHERE number = 'PDWH0001'`)
		require.NoError(t, err)
		return context.Canceled
	})
	require.Len(t, deliveries(t, pool), 1)

	s := &webhooks.Sender{Pool: pool, Policy: webhooks.Policy{AllowLoopbackHTTP: true}}
	require.ErrorIs(t, s.Deliver(ctx, ids[0]), webhooks.ErrRetry, "the receiver answered 500")
	d, err := webhooks.GetDelivery(ctx, pool, ids[0])
	require.NoError(t, err)
	require.Equal(t, "retry", d.Status)
	require.Equal(t, 500, *d.LastCode)
	require.NoError(t, s.Deliver(ctx, ids[0]))
	d, err = webhooks.GetDelivery(ctx, pool, ids[0])
	require.NoError(t, err)
	require.Equal(t, "sent", d.Status)
	attempts, err := webhooks.Attempts(ctx, pool, ids[0])
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.False(t, attempts[0].OK)
	require.True(t, attempts[1].OK)
	require.NoError(t, s.Deliver(ctx, ids[0]), "a job that runs again sends nothing twice")
	require.Len(t, rcv.got, 1)

	got := rcv.got[0]
	require.Equal(t, d.MsgID, got.id)
	require.Equal(t, "order.status_changed", got.body["type"])
	data := got.body["data"].(map[string]any)
	require.Equal(t, "PDWH0001", data["number"])
	require.Equal(t, "created", data["to"])

	// The same request replayed six minutes later: the receiver's clock refuses it.
	replay := rcv.lastReq
	body := rcv.lastBody
	rcv.now = func() time.Time { return time.Now().Add(6 * time.Minute) }
	require.ErrorIs(t, webhooks.Verify(secret, replay.Header, body, rcv.now()), webhooks.ErrTimestamp)
	// A forged body with the captured headers: refused.
	require.ErrorIs(t, webhooks.Verify(secret, replay.Header, []byte(strings.Replace(string(body), "PDWH0001", "PDWH9999", 1)), time.Now()), webhooks.ErrSignature)
	// Another secret: refused.
	wrong, _ := webhooks.NewSecret()
	require.ErrorIs(t, webhooks.Verify(wrong, replay.Header, body, time.Now()), webhooks.ErrSignature)
}

// The signature is the published scheme's, byte for byte (Standard Webhooks' own test vector).
func TestSignatureMatchesTheStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	sig, err := webhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
}

// After a rotation both secrets sign for the overlap, so a receiver still holding the old one
// verifies; afterwards only the new one does.
func TestRotationOverlap(t *testing.T) {
	t.Parallel()
	pool, client, _ := setup(t)
	ctx := context.Background()
	rcv := &receiver{now: time.Now}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	e, old := register(t, pool, client, srv.URL)
	var fresh string
	now := time.Now()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		_, fresh, err = webhooks.Rotate(ctx, tx, client, e.ID, now)
		return err
	}))
	require.NotEqual(t, old, fresh)
	rcv.secret = old
	orderMoves(t, pool, client, "PDWH0003")
	s := &webhooks.Sender{Pool: pool, Policy: webhooks.Policy{AllowLoopbackHTTP: true}}
	require.NoError(t, s.Deliver(ctx, deliveries(t, pool)[0]))
	require.Len(t, rcv.got, 1, "the old secret still verifies during the overlap")
	require.NoError(t, webhooks.Verify(fresh, rcv.lastReq.Header, rcv.lastBody, time.Now()), "and so does the new one")

	s.Now = func() time.Time { return now.Add(webhooks.RotationOverlap + time.Minute) }
	rcv.now = s.Now
	orderMoves(t, pool, client, "PDWH0004")
	ids := deliveries(t, pool)
	require.ErrorIs(t, s.Deliver(ctx, ids[len(ids)-1]), webhooks.ErrRetry)
	require.ErrorIs(t, rcv.refused[0], webhooks.ErrSignature, "after the overlap the old secret no longer verifies")
	require.NoError(t, webhooks.Verify(fresh, rcv.lastReq.Header, rcv.lastBody, s.Now()))
}

// Production needs https; the loopback over http only under the test policy; the sender's own
// dialer refuses private addresses whatever the name resolves to.
func TestURLPolicy(t *testing.T) {
	t.Parallel()
	prod := webhooks.Policy{}
	require.NoError(t, prod.CheckURL("https://shop.example.com/hooks"))
	for _, u := range []string{"http://shop.example.com/hooks", "http://127.0.0.1:8080/", "ftp://x", "https://user:pw@shop.example.com/", "/relative"} {
		require.Error(t, prod.CheckURL(u), u)
	}
	require.NoError(t, webhooks.Policy{AllowLoopbackHTTP: true}.CheckURL("http://127.0.0.1:9/"))
	require.Error(t, webhooks.Policy{AllowLoopbackHTTP: true}.CheckURL("http://10.0.0.1/"))

	pool, client, _ := setup(t)
	ctx := context.Background()
	rcv := &receiver{now: time.Now}
	srv := httptest.NewTLSServer(rcv)
	defer srv.Close()
	_, err := pool.Exec(ctx, `INSERT INTO webhook_endpoints (account_id, url, events, secret) VALUES ($1, $2, '{order.status_changed}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`,
		client, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	require.NoError(t, err)
	orderMoves(t, pool, client, "PDWH0005")
	s := &webhooks.Sender{Pool: pool} // production policy: https to localhost resolves to the loopback
	require.ErrorIs(t, s.Deliver(ctx, deliveries(t, pool)[0]), webhooks.ErrRetry)
	attempts, err := webhooks.Attempts(ctx, pool, deliveries(t, pool)[0])
	require.NoError(t, err)
	require.Contains(t, attempts[0].Error, "not a public address")
	require.Empty(t, rcv.got)
}

// A payout's state changes reach its account's endpoint (payout.status_changed), each change once.
func TestPayoutStatesAreDelivered(t *testing.T) {
	t.Parallel()
	pool, client, other := setup(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `INSERT INTO webhook_endpoints (account_id, url, events, secret) VALUES
		($1, 'https://a.example.com/', '{payout.status_changed}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'),
		($2, 'https://b.example.com/', '{order.status_changed}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')`, client, other)
	require.NoError(t, err)
	payout := testfactory.Payout(ctx, t, pool, testfactory.PayoutOpts{Account: client, Amount: 15000, State: "approved"})
	for _, s := range []string{"sending", "sending", "paid"} {
		_, err := pool.Exec(ctx, `UPDATE payouts SET state = $2, updated_at = now() WHERE id = $1`, payout, s)
		require.NoError(t, err)
	}
	rows, err := pool.Query(ctx, `SELECT body FROM webhook_deliveries WHERE account_id = $1 ORDER BY id`, client)
	require.NoError(t, err)
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	var states []string
	for _, b := range bodies {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(b), &m))
		require.Equal(t, "payout.status_changed", m["type"])
		data := m["data"].(map[string]any)
		require.Equal(t, float64(15000), data["amount"])
		states = append(states, data["state"].(string))
	}
	require.Equal(t, []string{"approved", "sending", "paid"}, states)
	require.Len(t, deliveries(t, pool), 3, "the other account's endpoint does not hear of it")
}

// One Sender serves the queue's concurrent workers (run with -race).
func TestSenderServesConcurrentWorkers(t *testing.T) {
	t.Parallel()
	pool, client, _ := setup(t)
	rcv := &receiver{now: time.Now}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	_, rcv.secret = register(t, pool, client, srv.URL)
	for i := range 6 {
		orderMoves(t, pool, client, "PDWH03"+string(rune('0'+i))+"0")
	}
	s := &webhooks.Sender{Pool: pool, Policy: webhooks.Policy{AllowLoopbackHTTP: true}}
	var wg sync.WaitGroup
	for _, id := range deliveries(t, pool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, s.Deliver(context.Background(), id))
		}()
	}
	wg.Wait()
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	require.Len(t, rcv.got, 6)
}
