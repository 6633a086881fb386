package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/api"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/rbac"
)

var topups atomic.Int64

// fund brings money into the client's available balance through the gateway, as a top-up does.
func fund(tb testing.TB, pool *pgxpool.Pool, account int64, amount int64) {
	tb.Helper()
	ctx := context.Background()
	ua, err := ledger.EnsureUserAccounts(ctx, pool, ledger.UserID(account))
	require.NoError(tb, err)
	p, err := ledger.Platform(ctx, pool)
	require.NoError(tb, err)
	require.NoError(tb, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("api-test-topup:%d:%d", account, topups.Add(1)), Reason: "topup",
			Legs: ledger.Move(p.GatewayClearing, ua.Available, ledger.Minor(amount))})
		return err
	}))
}

func newOrderBody(ref string) map[string]any {
	return map[string]any{
		"external_ref": ref,
		"sender":       map[string]any{"name": "Shop", "phone": "+380501112233", "address": "Kyiv, Khreshchatyk 1"},
		"recipient":    map[string]any{"name": "Olena", "phone": "+380671112233", "address": "Lviv, Rynok 1"},
		"item":         "Books", "weight_grams": 1200, "declared_value": 50000,
	}
}

// callH is call with extra request headers.
func (e env) callH(method, path, key string, body any, hdr map[string]string) (int, http.Header, map[string]any) {
	e.t.Helper()
	r := requestBody(body)
	req := httptest.NewRequest(method, path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.Server.App.Test(req, -1)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, decode(e.t, resp.Header, raw)
}

func (e env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// The same Idempotency-Key twice — one after the other, and ten at once — creates one order and
// one hold; the answers all name that order; the key with another body is refused.
func TestIdempotencyKeyCreatesOneOrderAndOneHold(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	client := e.account("client", true, "+380441100001")
	fund(t, e.Pool, client, 1_000_000)
	key := e.key(client, []string{apikeys.OrdersWrite, apikeys.OrdersRead}, 1000)

	body := newOrderBody("")
	status, hdr, first := e.callH("POST", "/api/v1/orders", key, body, map[string]string{"Idempotency-Key": "order-1"})
	require.Equal(t, http.StatusCreated, status, first)
	require.Equal(t, "created", first["status"])
	require.NotZero(t, first["cost"])
	require.Equal(t, "/api/v1/orders/"+first["number"].(string), hdr.Get("Location"))

	status, hdr, again := e.callH("POST", "/api/v1/orders", key, body, map[string]string{"Idempotency-Key": "order-1"})
	require.Equal(t, http.StatusCreated, status, again)
	require.Equal(t, first["number"], again["number"])
	require.Equal(t, "true", hdr.Get("Idempotent-Replayed"))

	// Ten retries at once under a new key: still one order.
	var wg sync.WaitGroup
	numbers := make([]string, 10)
	for i := range numbers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/api/v1/orders", requestBody(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Idempotency-Key", "order-2")
			resp, err := e.Server.App.Test(req, -1)
			if err == nil {
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					numbers[i] = string(raw[strings.Index(string(raw), `"number":"`)+10:][:10])
				}
			}
		}()
	}
	wg.Wait()
	for _, n := range numbers {
		require.Equal(t, numbers[0], n, "every retry answers with the same order")
	}
	require.Equal(t, 2, e.count(`SELECT count(*) FROM orders WHERE client_id = $1`, client))
	require.Equal(t, 2, e.count(`SELECT count(*) FROM ledger_holds h JOIN ledger_accounts a ON a.id = h.source_account_id
		WHERE a.owner_account_id = $1`, client), "one hold per order")

	// The key with a different request is refused, and creates nothing.
	other := newOrderBody("")
	other["item"] = "Shoes"
	status, _, b := e.callH("POST", "/api/v1/orders", key, other, map[string]string{"Idempotency-Key": "order-1"})
	require.Equal(t, http.StatusConflict, status, b)
	require.Equal(t, "conflict", b["error"].(map[string]any)["code"])
	require.Equal(t, 2, e.count(`SELECT count(*) FROM orders WHERE client_id = $1`, client))

	// A mistake is 422 with the field, under the request's own names; no order, no key kept.
	bad := newOrderBody("")
	bad["recipient"].(map[string]any)["phone"] = "12"
	status, _, b = e.callH("POST", "/api/v1/orders", key, bad, map[string]string{"Idempotency-Key": "order-3"})
	require.Equal(t, http.StatusUnprocessableEntity, status, b)
	require.Contains(t, b["error"].(map[string]any)["fields"], "recipient.phone")
	require.Equal(t, 0, e.count(`SELECT count(*) FROM api_idempotency WHERE key = 'order-3'`))
}

// Client A's key never reads, lists, cancels, prints or watches client B's orders.
func TestOneClientNeverReachesAnother(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	a := e.account("client", true, "+380441100002")
	b := e.account("client", true, "+380441100003")
	fund(t, e.Pool, a, 1_000_000)
	fund(t, e.Pool, b, 1_000_000)
	all := []string{apikeys.OrdersRead, apikeys.OrdersWrite, apikeys.ComplaintsRead, apikeys.FinanceRead, apikeys.WebhooksManage}
	keyA, keyB := e.key(a, all, 1000), e.key(b, all, 1000)

	_, _, ordA := e.callH("POST", "/api/v1/orders", keyA, newOrderBody(""), nil)
	status, _, ordB := e.callH("POST", "/api/v1/orders", keyB, newOrderBody(""), nil)
	require.Equal(t, http.StatusCreated, status, ordB)
	numB := ordB["number"].(string)

	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/orders/" + numB},
		{"POST", "/api/v1/orders/" + numB + "/cancel"},
		{"GET", "/api/v1/orders/" + numB + "/waybill"},
	} {
		status, _, body := e.callH(c.method, c.path, keyA, nil, nil)
		require.Equal(t, http.StatusNotFound, status, "%s %s", c.method, c.path)
		require.Equal(t, "not_found", body["error"].(map[string]any)["code"])
	}
	status, _, _ = e.callH("POST", "/api/v1/waybills", keyA, map[string]any{"numbers": []string{ordA["number"].(string), numB}}, nil)
	require.Equal(t, http.StatusNotFound, status, "a batch with another client's order prints nothing")

	status, _, list := e.callH("GET", "/api/v1/orders", keyA, nil, nil)
	require.Equal(t, http.StatusOK, status)
	got := list["orders"].([]any)
	require.Len(t, got, 1)
	require.Equal(t, ordA["number"], got[0].(map[string]any)["number"])
	require.Equal(t, "created", e.status(numB), "B's order was not cancelled")

	// Webhooks: A's endpoint hears A's order change, never B's.
	status, _, hook := e.callH("POST", "/api/v1/webhooks", keyA, map[string]any{"url": "https://a.example.com/hooks", "events": []string{"order.status_changed"}}, nil)
	require.Equal(t, http.StatusCreated, status, hook)
	status, _, _ = e.callH("POST", "/api/v1/orders/"+numB+"/cancel", keyB, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = e.callH("POST", "/api/v1/orders/"+ordA["number"].(string)+"/cancel", keyA, nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 1, e.count(`SELECT count(*) FROM webhook_deliveries`))
	var cause, bodyText string
	var account int64
	require.NoError(t, e.Pool.QueryRow(context.Background(), `SELECT cause, body, account_id FROM webhook_deliveries`).Scan(&cause, &bodyText, &account))
	require.Equal(t, a, account)
	require.Equal(t, "order:"+ordA["number"].(string), cause)
	require.NotContains(t, bodyText, numB)

	// B cannot see, rotate or delete A's endpoint.
	id := fmt.Sprint(int64(hook["id"].(float64)))
	for _, m := range []string{"GET /api/v1/webhooks/" + id, "POST /api/v1/webhooks/" + id + "/rotate", "DELETE /api/v1/webhooks/" + id} {
		method, path, _ := strings.Cut(m, " ")
		status, _, _ := e.callH(method, path, keyB, nil, nil)
		require.Equal(t, http.StatusNotFound, status, m)
	}
	status, _, list = e.callH("GET", "/api/v1/webhooks", keyB, nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, list["webhooks"])
}

func (e env) status(number string) string {
	var s string
	require.NoError(e.t, e.Pool.QueryRow(context.Background(), `SELECT status FROM orders WHERE number = $1`, number).Scan(&s))
	return s
}

// A client whose API access (or whole account) is blocked gets 403 on every operation.
func TestBlockedClientIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	client := e.account("client", true, "+380441100004")
	all := apikeys.Scopes
	key := e.key(client, all, 10000)
	for _, scope := range []string{"", "api"} {
		if scope == "" {
			_, err := e.Pool.Exec(context.Background(), `INSERT INTO account_blocks (account_id, functions, reason, created_by) VALUES ($1, '{}', 'system_threat', 1)`, client)
			require.NoError(t, err)
		} else {
			_, err := e.Pool.Exec(context.Background(), `UPDATE account_blocks SET lifted_at = now(), lift_note = 't' WHERE account_id = $1`, client)
			require.NoError(t, err)
			_, err = e.Pool.Exec(context.Background(), `INSERT INTO account_blocks (account_id, functions, reason, created_by) VALUES ($1, '{api}', 'system_threat', 1)`, client)
			require.NoError(t, err)
		}
		for _, r := range (&api.Handlers{}).Routes() {
			if r.Path == "/api/v1/openapi.json" {
				continue
			}
			path := strings.NewReplacer(":number", "PD00000001", ":id", "1").Replace(r.Path)
			status, _, body := e.callH(r.Method, path, key, map[string]any{}, nil)
			require.Equal(t, http.StatusForbidden, status, "%s %s (block %q): %v", r.Method, path, scope, body)
			require.Equal(t, "forbidden", body["error"].(map[string]any)["code"])
		}
	}
	// Placing orders blocked alone: creating one is refused with 403, reading still works.
	_, err := e.Pool.Exec(context.Background(), `UPDATE account_blocks SET lifted_at = now(), lift_note = 't' WHERE account_id = $1`, client)
	require.NoError(t, err)
	_, err = e.Pool.Exec(context.Background(), `INSERT INTO account_blocks (account_id, functions, reason, created_by) VALUES ($1, '{place_orders}', 'system_threat', 1)`, client)
	require.NoError(t, err)
	fund(t, e.Pool, client, 100_000)
	status, _, body := e.callH("POST", "/api/v1/orders", key, newOrderBody(""), nil)
	require.Equal(t, http.StatusForbidden, status, body)
	require.Equal(t, 0, e.count(`SELECT count(*) FROM orders WHERE client_id = $1`, client))
	status, _, _ = e.callH("GET", "/api/v1/orders", key, nil, nil)
	require.Equal(t, http.StatusOK, status)
}

func requestBody(body any) io.Reader {
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		return bytes.NewReader(raw)
	}
}

// decode reads a JSON answer (nil for another type, such as a PDF).
func decode(tb testing.TB, hdr http.Header, raw []byte) map[string]any {
	tb.Helper()
	if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || len(raw) == 0 {
		return nil
	}
	var out map[string]any
	require.NoError(tb, json.Unmarshal(raw, &out), "JSON body: %s", raw)
	return out
}

// Cancelling through the API follows RULES.md §3.2 through the lifecycle: before a deal the
// hold comes back whole; after a deal 20 % of the cost is charged; after pickup the order goes to
// moderation with the client's case; a finished order cannot be cancelled.
func TestCancelByTheRuleBook(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	ctx := context.Background()
	client := e.account("client", true, "+380441100010")
	courier := e.account("courier", false, "+380441100011")
	fund(t, e.Pool, client, 1_000_000)
	fund(t, e.Pool, courier, 1_000_000)
	key := e.key(client, []string{apikeys.OrdersWrite, apikeys.OrdersRead}, 1000)
	create := func() (string, int64) {
		status, _, o := e.callH("POST", "/api/v1/orders", key, newOrderBody(""), nil)
		require.Equal(t, http.StatusCreated, status, o)
		return o["number"].(string), int64(o["cost"].(float64))
	}
	available := func() int64 {
		var n int64
		require.NoError(t, e.Pool.QueryRow(ctx, `SELECT sum(b.balance)::bigint FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.ledger_account_id
			WHERE a.owner_account_id = $1 AND a.kind = 'user_available'`, client).Scan(&n))
		return n
	}
	staff := actor.With(ctx, &actor.Actor{ID: 1, Email: "admin@demo.postdesk", View: rbac.FullView()})
	move := func(number string, to orders.Status, courierID int64) {
		require.NoError(t, lifecycle.Move(staff, e.Pool, number, orders.MoveRequest{To: to, CourierID: courierID}, time.Now()))
	}

	before := available()
	n1, _ := create()
	status, _, o := e.callH("POST", "/api/v1/orders/"+n1+"/cancel", key, nil, nil)
	require.Equal(t, http.StatusOK, status, o)
	require.Equal(t, "cancelled", o["status"])
	require.Equal(t, before, available(), "before a deal: no fee")

	n2, cost := create()
	move(n2, orders.Deal, courier)
	status, _, o = e.callH("POST", "/api/v1/orders/"+n2+"/cancel", key, map[string]any{"reason": "not needed"}, nil)
	require.Equal(t, http.StatusOK, status, o)
	require.Equal(t, "cancelled", o["status"])
	require.Equal(t, before-cost/5, available(), "after a deal: 20 % of the cost")

	n3, _ := create()
	move(n3, orders.Deal, courier)
	move(n3, orders.PickedUp, 0)
	status, _, o = e.callH("POST", "/api/v1/orders/"+n3+"/cancel", key, nil, nil)
	require.Equal(t, http.StatusOK, status, o)
	require.Equal(t, "in_moderation", o["status"])
	require.Equal(t, 1, e.count(`SELECT count(*) FROM moderation_cases c JOIN orders o ON o.id = c.order_id WHERE o.number = $1 AND c.reason = 'client_cancel_after_pickup'`, n3))

	status, _, o = e.callH("POST", "/api/v1/orders/"+n1+"/cancel", key, nil, nil)
	require.Equal(t, http.StatusConflict, status, o)
	violations, err := ledger.CheckInvariants(ctx, e.Pool)
	require.NoError(t, err)
	require.Empty(t, violations)
}

// A complaint filed through the API tells the complainant's endpoint of its steps, with the
// number, state and deadline, and nothing of the respondent; the respondent's endpoint hears nothing.
func TestComplaintStepsReachOnlyTheComplainant(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	client := e.account("client", true, "+380441100020")
	respondent := e.account("client", true, "+380441100021")
	key := e.key(client, []string{apikeys.ComplaintsWrite, apikeys.ComplaintsRead, apikeys.WebhooksManage}, 1000)
	other := e.key(respondent, []string{apikeys.WebhooksManage}, 1000)
	for _, k := range []string{key, other} {
		status, _, b := e.callH("POST", "/api/v1/webhooks", k, map[string]any{"url": "https://hooks.example.com/", "events": []string{"complaint.step"}}, nil)
		require.Equal(t, http.StatusCreated, status, b)
	}
	req := api.ComplaintRequest{ComplainantName: "Olena Koval", ComplainantBirth: "1990-04-12", RespondentLogin: "+380441100021",
		ActionDate: time.Now().In(e.Config.TZ).AddDate(0, 0, -1).Format("2006-01-02"), ActionTime: "10:00", ActionPlace: "Kyiv",
		ActionDetails: "Goods not as described.", Grounds: "User agreement", Demands: []string{"refund"}}
	status, _, filed := e.callH("POST", "/api/v1/complaints", key, req, nil)
	require.Equal(t, http.StatusCreated, status, filed)

	rows, err := e.Pool.Query(context.Background(), `SELECT account_id, body FROM webhook_deliveries WHERE event_type = 'complaint.step' ORDER BY id`)
	require.NoError(t, err)
	type delivery struct {
		Account int64
		Body    string
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[delivery])
	require.NoError(t, err)
	require.NotEmpty(t, list)
	for _, d := range list {
		require.Equal(t, client, d.Account)
		require.NotContains(t, d.Body, "+380441100021", "the respondent's login is not in it")
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(d.Body), &m))
		data := m["data"].(map[string]any)
		require.Equal(t, filed["number"], data["number"])
		require.NotEmpty(t, data["deadline"])
	}
	require.Equal(t, "received", func() string {
		var m map[string]any
		_ = json.Unmarshal([]byte(list[0].Body), &m)
		return m["data"].(map[string]any)["step"].(string)
	}())
}

// Idempotency-Keys are remembered for api.IdempotencyTTL, then forgotten by the daily purge.
func TestIdempotencyKeysExpire(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	ctx := context.Background()
	client := e.account("client", true, "+380441100030")
	_, err := e.Pool.Exec(ctx, `INSERT INTO api_idempotency (account_id, key, request_hash, created_at) VALUES
		($1, 'old', sha256('a'), now() - interval '31 days'), ($1, 'recent', sha256('b'), now() - interval '29 days')`, client)
	require.NoError(t, err)
	n, err := api.PurgeIdempotency(ctx, e.Pool, time.Now())
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.Equal(t, 1, e.count(`SELECT count(*) FROM api_idempotency WHERE account_id = $1 AND key = 'recent'`, client))
}
