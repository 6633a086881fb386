package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/api"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/rbac"
)

type env struct {
	*admintest.Env
	t *testing.T
}

func (e env) call(method, path, key string, body any) (int, http.Header, map[string]any) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		default:
			raw, _ := json.Marshal(b)
			r = bytes.NewReader(raw)
		}
	}
	req := httptest.NewRequest(method, path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.Server.App.Test(req, -1)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(e.t, json.Unmarshal(raw, &out), "JSON body: %s", raw)
	return resp.StatusCode, resp.Header, out
}

func (e env) account(kind string, business bool, phone string) int64 {
	var id int64
	require.NoError(e.t, e.Pool.QueryRow(context.Background(), `INSERT INTO accounts (kind, business, name, phone, email, lang)
		VALUES ($1, $2, 'API Test ' || $3, $3, 'api' || right($3, 6) || '@example.com', 'en') RETURNING id`, kind, business, phone).Scan(&id))
	return id
}

func (e env) order(client int64, number string) {
	ctx := context.Background()
	var id int64
	require.NoError(e.t, e.Pool.QueryRow(ctx, `INSERT INTO orders (number, client_id, sender_name, sender_phone, sender_address, recipient_name,
		recipient_phone, recipient_address, item, weight_grams, declared_value, cost, status)
		VALUES ($1, $2, 'Sender', '+380501112233', 'Kyiv', 'Recipient', '+380671112233', 'Lviv', 'Books', 1200, 50000, 7500, 'deal') RETURNING id`,
		number, client).Scan(&id))
	_, err := e.Pool.Exec(ctx, `INSERT INTO order_status_history (order_id, from_status, to_status, note, at) VALUES
		($1, NULL, 'created', '', now() - interval '1 hour'), ($1, 'created', 'deal', 'courier accepted', now())`, id)
	require.NoError(e.t, err)
}

func (e env) key(client int64, scopes []string, rate int) string {
	return newKey(e.t, e.Pool, client, scopes, rate)
}

func newKey(tb testing.TB, pool *pgxpool.Pool, client int64, scopes []string, rate int) string {
	ctx := actor.With(context.Background(), &actor.Actor{Email: "test", View: rbac.FullView()})
	var secret string
	require.NoError(tb, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		_, secret, err = apikeys.Generate(ctx, tx, apikeys.Request{AccountID: client, Name: "shop", Scopes: scopes, RatePerMin: rate})
		return err
	}))
	return secret
}

func TestTrackingSeesOnlyTheKeysClient(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	mine := e.account("client", true, "+380441000001")
	other := e.account("client", true, "+380441000002")
	e.order(mine, "PDAPI0001")
	e.order(other, "PDAPI0002")
	key := e.key(mine, []string{apikeys.OrdersRead}, 100)

	status, hdr, body := e.call("GET", "/api/v1/orders/PDAPI0001", key, nil)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "PDAPI0001", body["number"])
	require.Equal(t, "deal", body["status"])
	hist := body["history"].([]any)
	require.Len(t, hist, 2)
	require.Equal(t, "created", hist[0].(map[string]any)["to"])
	require.Equal(t, "deal", hist[1].(map[string]any)["to"])
	require.Equal(t, "100", hdr.Get("X-RateLimit-Limit"))
	require.Equal(t, "99", hdr.Get("X-RateLimit-Remaining"))

	// Another client's order is 404, exactly like one that does not exist.
	status, _, body = e.call("GET", "/api/v1/orders/PDAPI0002", key, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "not_found", body["error"].(map[string]any)["code"])
	status, _, body2 := e.call("GET", "/api/v1/orders/NOSUCH", key, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, body, body2)

	// No key, a malformed one, a wrong secret: 401 with a JSON error.
	wrong := key[:len(key)-1] + "A"
	if wrong == key {
		wrong = key[:len(key)-1] + "B"
	}
	for _, k := range []string{"", "nonsense", wrong} {
		status, hdr, body = e.call("GET", "/api/v1/orders/PDAPI0001", k, nil)
		require.Equal(t, http.StatusUnauthorized, status, k)
		require.Equal(t, "unauthorized", body["error"].(map[string]any)["code"])
		require.NotEmpty(t, hdr.Get("WWW-Authenticate"))
	}
	// A key without the scope: 403.
	complaintsOnly := e.key(mine, []string{apikeys.ComplaintsWrite}, 100)
	status, _, _ = e.call("GET", "/api/v1/orders/PDAPI0001", complaintsOnly, nil)
	require.Equal(t, http.StatusForbidden, status)
	// Unknown API paths answer JSON too.
	status, _, _ = e.call("GET", "/api/v1/nothing", key, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// The key is shown once on the page that generated it; only its hash and prefix are stored; a
// revoked key is refused; blocking API access stops all of the client's keys at once.
func TestKeyShownOnceHashedRevokedAndBlocked(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	ctx := context.Background()
	client := e.account("client", true, "+380441000003")
	e.order(client, "PDAPI0003")
	admin := e.Login("admin@demo.postdesk")
	page := fmt.Sprintf("/accounts/%d", client)
	r := admin.PostForm(page+"/apikeys", url.Values{"name": {"Warehouse"}, "scope": {"orders:read"}, "rate": {"60"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	m := regexp.MustCompile(`id="new-key">(pdk_[0-9a-f]{12}_[A-Za-z0-9_-]{43})<`).FindStringSubmatch(r.Body)
	require.NotNil(t, m, "the key is on the page")
	key := m[1]
	require.NotContains(t, admin.Get(page).Body, key, "and never again")

	var prefix string
	var hash []byte
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT prefix, secret_hash FROM api_keys WHERE account_id = $1`, client).Scan(&prefix, &hash))
	require.True(t, strings.HasPrefix(key, prefix+"_"))
	require.Equal(t, apikeys.Hash(key), hash)
	var leaked bool
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE convert_to(name || prefix, 'UTF8') = convert_to($1, 'UTF8'))
		OR EXISTS (SELECT 1 FROM audit_log WHERE after::text LIKE '%' || $1 || '%')`, key).Scan(&leaked))
	require.False(t, leaked, "the secret is stored nowhere")

	status, _, _ := e.call("GET", "/api/v1/orders/PDAPI0003", key, nil)
	require.Equal(t, http.StatusOK, status)
	var last *time.Time
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT last_used_at FROM api_keys WHERE prefix = $1`, prefix).Scan(&last))
	require.NotNil(t, last)

	// Blocking API access refuses every key of the client, with the block's message.
	lead := e.Login("lead@demo.postdesk")
	r = lead.PostForm(page+"/blocks", url.Values{"scope": {"functions"}, "function": {"api"}, "reason": {"system_threat"}, "duration": {"1d"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	status, _, body := e.call("GET", "/api/v1/orders/PDAPI0003", key, nil)
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body["error"].(map[string]any)["message"], "API access is blocked for this account until")
	require.True(t, accounts.IsBlocked(accounts.CheckFunction(ctx, e.Pool, client, accounts.FnAPI)))
	_, err := e.Pool.Exec(ctx, `UPDATE account_blocks SET lifted_at = now(), lift_note = 'test' WHERE account_id = $1`, client)
	require.NoError(t, err)
	status, _, _ = e.call("GET", "/api/v1/orders/PDAPI0003", key, nil)
	require.Equal(t, http.StatusOK, status)

	// Revoked: refused at once.
	var keyID int64
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT id FROM api_keys WHERE prefix = $1`, prefix).Scan(&keyID))
	r = admin.PostForm(fmt.Sprintf("/apikeys/%d/revoke", keyID), nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	status, _, _ = e.call("GET", "/api/v1/orders/PDAPI0003", key, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, admin.Get("/apikeys").Body, "Revoked")

	// Only business clients get keys.
	plain := e.account("client", false, "+380441000004")
	r = admin.PostForm(fmt.Sprintf("/accounts/%d/apikeys", plain), url.Values{"name": {"x"}, "scope": {"orders:read"}})
	require.Equal(t, http.StatusConflict, r.Status)
}

func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	client := e.account("client", true, "+380441000005")
	e.order(client, "PDAPI0005")
	slow := e.key(client, []string{apikeys.OrdersRead}, 3)
	fast := e.key(client, []string{apikeys.OrdersRead}, 100)
	// The window is a calendar minute: start at the beginning of one so all calls land in it.
	if s := time.Now().Second(); s > 50 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	for i := 0; i < 3; i++ {
		status, _, _ := e.call("GET", "/api/v1/orders/PDAPI0005", slow, nil)
		require.Equal(t, http.StatusOK, status)
	}
	status, hdr, body := e.call("GET", "/api/v1/orders/PDAPI0005", slow, nil)
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "too_many", body["error"].(map[string]any)["code"])
	require.NotEmpty(t, hdr.Get("Retry-After"))
	require.Equal(t, "0", hdr.Get("X-RateLimit-Remaining"))
	// Another key of the same client has its own count.
	status, _, _ = e.call("GET", "/api/v1/orders/PDAPI0005", fast, nil)
	require.Equal(t, http.StatusOK, status)
}

func TestFileComplaintThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	client := e.account("client", true, "+380441000006")
	e.account("courier", false, "+380441000007")
	e.order(client, "PDAPI0006")
	key := e.key(client, []string{apikeys.ComplaintsWrite}, 100)

	status, _, body := e.call("POST", "/api/v1/complaints", key, "{not json")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "invalid", body["error"].(map[string]any)["code"])

	status, _, body = e.call("POST", "/api/v1/complaints", key, map[string]any{"complainant_name": "Olena Koval"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	fields := body["error"].(map[string]any)["fields"].(map[string]any)
	require.Contains(t, fields, "respondent_login")
	require.Contains(t, fields, "grounds")

	req := api.ComplaintRequest{ComplainantName: "Olena Koval", ComplainantBirth: "1990-04-12", RespondentLogin: "+380441000007",
		OrderRef: "PDAPI0006", ActionDate: time.Now().In(e.Config.TZ).AddDate(0, 0, -2).Format("2006-01-02"), ActionTime: "14:30", ActionPlace: "Kyiv, Khreshchatyk 1",
		ActionDetails: "The courier opened the parcel.", Grounds: "User agreement, part B", Demands: []string{"refund"}}
	status, _, body = e.call("POST", "/api/v1/complaints", key, req)
	require.Equal(t, http.StatusCreated, status, body)
	require.NotEmpty(t, body["number"])
	require.NotEmpty(t, body["deadline"])
	// Filed as the key's client.
	var complainant int64
	require.NoError(t, e.Pool.QueryRow(context.Background(), `SELECT complainant_account_id FROM complaints WHERE id = $1`, int64(body["id"].(float64))).Scan(&complainant))
	require.Equal(t, client, complainant)
}

// The OpenAPI description is served, parses, and names every route the API has.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	status, _, doc := e.call("GET", "/api/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "3.1.0", doc["openapi"])
	paths := doc["paths"].(map[string]any)
	for _, r := range (&api.Handlers{}).Routes() {
		p := regexp.MustCompile(`:([a-z]+)`).ReplaceAllString(r.Path, "{$1}")
		require.Contains(t, paths, p)
		require.Contains(t, paths[p], strings.ToLower(r.Method), "%s %s", r.Method, p)
	}
	unique := map[string]bool{}
	for _, r := range (&api.Handlers{}).Routes() {
		unique[r.Path] = true
	}
	require.Len(t, paths, len(unique), "no undocumented or stale paths")
}

// An address that keeps presenting bad keys is refused altogether, good key or not, until its
// window ends; then it is served again.
func TestBadKeysFromOneAddressAreCutOff(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	client := e.account("client", true, "+380441000006")
	e.order(client, "PDAPI0006")
	good := e.key(client, []string{apikeys.OrdersRead}, 1000)
	bad := good[:len(good)-4] + "0000"
	for i := 0; i < 30; i++ {
		status, _, _ := e.call("GET", "/api/v1/orders/PDAPI0006", bad, nil)
		require.Equal(t, http.StatusUnauthorized, status, "attempt %d", i+1)
	}
	status, hdr, body := e.call("GET", "/api/v1/orders/PDAPI0006", good, nil)
	require.Equal(t, http.StatusTooManyRequests, status, "even a good key, from this address, now")
	require.Equal(t, "too_many", body["error"].(map[string]any)["code"])
	require.NotEmpty(t, hdr.Get("Retry-After"))

	_, err := e.Pool.Exec(context.Background(), `UPDATE api_auth_failures SET window_start = now() - interval '11 minutes'`)
	require.NoError(t, err)
	status, _, _ = e.call("GET", "/api/v1/orders/PDAPI0006", good, nil)
	require.Equal(t, http.StatusOK, status, "the window has ended")
	status, _, _ = e.call("GET", "/api/v1/orders/PDAPI0006", bad, nil)
	require.Equal(t, http.StatusUnauthorized, status, "a new window counts from one")
}
