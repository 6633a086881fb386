package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/api"
	"github.com/postdesk/postdesk/admin/apikeys"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/orders"
)

// contract calls the API and checks every exchange against the OpenAPI description: each
// response (status, headers, body) always, and the request too when it is meant to succeed. It
// remembers which documented responses of which operations it has seen.
type contract struct {
	t    *testing.T
	v    validator.Validator
	seen map[string]map[string]bool // "GET /api/v1/orders/{number}" → statuses
}

func newContract(t *testing.T) *contract {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	require.NoError(t, err)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	ok, verrs := v.ValidateDocument()
	require.True(t, ok, "the description is a valid OpenAPI 3.1 document: %v", verrs)
	return &contract{t: t, v: v, seen: map[string]map[string]bool{}}
}

type exchange struct {
	op      string // "POST /api/v1/orders": the documented operation
	path    string // the request's path and query
	key     string
	body    any
	headers map[string]string
	want    int
}

// do makes the call on app and validates it; it returns the response's headers and body.
func (k *contract) do(app *fiber.App, x exchange) (http.Header, []byte) {
	k.t.Helper()
	method, _, _ := strings.Cut(x.op, " ")
	raw := []byte(nil)
	if x.body != nil {
		if s, ok := x.body.(string); ok {
			raw = []byte(s)
		} else {
			raw, _ = json.Marshal(x.body)
		}
	}
	build := func() *http.Request {
		var r io.Reader
		if raw != nil {
			r = bytes.NewReader(raw)
		}
		req := httptest.NewRequest(method, x.path, r)
		if raw != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if x.key != "" {
			req.Header.Set("Authorization", "Bearer "+x.key)
		}
		for h, v := range x.headers {
			req.Header.Set(h, v)
		}
		return req
	}
	resp, err := app.Test(build(), -1)
	require.NoError(k.t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(k.t, x.want, resp.StatusCode, "%s %s: %s", x.op, x.path, body)
	if x.want < 400 {
		ok, errs := k.v.ValidateHttpRequest(build())
		require.True(k.t, ok, "%s %s: the request does not match the description: %v", x.op, x.path, errs)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ok, errs := k.v.ValidateHttpResponse(build(), resp)
	require.True(k.t, ok, "%s %s → %d: the response does not match the description: %v\n%s", x.op, x.path, resp.StatusCode, errs, body)
	if k.seen[x.op] == nil {
		k.seen[x.op] = map[string]bool{}
	}
	k.seen[x.op][fmt.Sprint(resp.StatusCode)] = true
	return resp.Header, body
}

func jsonOf(t *testing.T, raw []byte) map[string]any {
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
	return m
}

// documented lists each operation of the description with its documented responses.
func documented(t *testing.T) map[string][]string {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(api.OpenAPI, &doc))
	out := map[string][]string{}
	for p, ops := range doc.Paths {
		for m, o := range ops {
			for code := range o.Responses {
				out[strings.ToUpper(m)+" "+p] = append(out[strings.ToUpper(m)+" "+p], code)
			}
		}
	}
	return out
}

// The contract: every documented operation is called, with each of its documented responses,
// and every request meant to succeed and every response match the description; every route the
// portal serves under /api/ is documented.
func TestContract(t *testing.T) {
	t.Parallel()
	e := env{admintest.New(t), t}
	k := newContract(t)
	kyiv := e.Config.TZ // dates are the platform's, whatever the machine's zone
	app := e.Server.App
	ctx := context.Background()

	client := e.account("client", true, "+380441200001")
	courier := e.account("courier", false, "+380441200002")
	blocked := e.account("client", true, "+380441200003")
	fund(t, e.Pool, client, 10_000_000)
	key := e.key(client, apikeys.Scopes, 100000)
	blockedKey := e.key(blocked, apikeys.Scopes, 100000)
	_, err := e.Pool.Exec(ctx, `INSERT INTO account_blocks (account_id, functions, reason, created_by) VALUES ($1, '{api}', 'system_threat', 1)`, blocked)
	require.NoError(t, err)
	slow := e.key(client, apikeys.Scopes, 1)
	narrow := e.key(client, []string{apikeys.ComplaintsWrite}, 1000)

	// Operations that need no particular record, then the shared answers: 401 without a key, 403
	// for a blocked client, 429 over the limit (the minute may roll over once: try again).
	ops := documented(t)
	for op := range ops {
		if strings.HasSuffix(op, "openapi.json") {
			continue
		}
		path := strings.NewReplacer("{number}", "PD99999999", "{id}", "999999").Replace(strings.SplitN(op, " ", 2)[1])
		k.do(app, exchange{op: op, path: path, want: 401})
		k.do(app, exchange{op: op, path: path, key: blockedKey, want: 403})
		for i := 0; ; i++ {
			req := httptest.NewRequest(strings.SplitN(op, " ", 2)[0], path, nil)
			req.Header.Set("Authorization", "Bearer "+slow)
			resp, err := app.Test(req, -1)
			require.NoError(t, err)
			resp.Body.Close()
			if resp.StatusCode == 429 || i == 3 {
				break
			}
		}
		k.do(app, exchange{op: op, path: path, key: slow, want: 429})
	}
	k.do(app, exchange{op: "GET /api/v1/openapi.json", path: "/api/v1/openapi.json", want: 200})
	k.do(app, exchange{op: "GET /api/v1/openapi.json", path: "/api/v1/openapi.json", headers: map[string]string{"Accept": "text/html"}, want: 406})
	k.do(app, exchange{op: "GET /api/v1/orders", path: "/api/v1/orders", key: narrow, want: 403})

	// Orders.
	const create = "POST /api/v1/orders"
	_, raw := k.do(app, exchange{op: create, path: "/api/v1/orders", key: key, body: newOrderBody("REF-1"), headers: map[string]string{"Idempotency-Key": "k1"}, want: 201})
	number := jsonOf(t, raw)["number"].(string)
	k.do(app, exchange{op: create, path: "/api/v1/orders", key: key, body: newOrderBody("REF-1"), headers: map[string]string{"Idempotency-Key": "k1"}, want: 201})
	k.do(app, exchange{op: create, path: "/api/v1/orders", key: key, body: newOrderBody("REF-2"), headers: map[string]string{"Idempotency-Key": "k1"}, want: 409})
	k.do(app, exchange{op: create, path: "/api/v1/orders", key: key, body: map[string]any{"item": ""}, want: 422})
	var numbers []string
	for i := range 11 {
		_, raw := k.do(app, exchange{op: create, path: "/api/v1/orders", key: key, body: newOrderBody(fmt.Sprintf("BATCH-%d", i)), want: 201})
		numbers = append(numbers, jsonOf(t, raw)["number"].(string))
	}
	_, raw = k.do(app, exchange{op: "GET /api/v1/orders", path: "/api/v1/orders?limit=5&status=created&from=2020-01-01", key: key, want: 200})
	page := jsonOf(t, raw)
	require.Len(t, page["orders"], 5)
	k.do(app, exchange{op: "GET /api/v1/orders", path: "/api/v1/orders?limit=5&cursor=" + page["next_cursor"].(string), key: key, want: 200})
	k.do(app, exchange{op: "GET /api/v1/orders", path: "/api/v1/orders?status=bogus", key: key, want: 422})
	k.do(app, exchange{op: "GET /api/v1/orders/{number}", path: "/api/v1/orders/" + number, key: key, want: 200})
	k.do(app, exchange{op: "GET /api/v1/orders/{number}", path: "/api/v1/orders/PD99999999", key: key, want: 404})

	// Documents and jobs.
	k.do(app, exchange{op: "GET /api/v1/orders/{number}/waybill", path: "/api/v1/orders/" + number + "/waybill", key: key, want: 200})
	k.do(app, exchange{op: "GET /api/v1/orders/{number}/waybill", path: "/api/v1/orders/PD99999999/waybill", key: key, want: 404})
	k.do(app, exchange{op: "GET /api/v1/orders/{number}/waybill", path: "/api/v1/orders/" + number + "/waybill?per_sheet=3", key: key, want: 422})
	const wb = "POST /api/v1/waybills"
	hdr, pdf := k.do(app, exchange{op: wb, path: "/api/v1/waybills", key: key, body: map[string]any{"numbers": numbers[:2], "per_sheet": 2}, want: 200})
	require.Equal(t, "application/pdf", hdr.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))
	_, raw = k.do(app, exchange{op: wb, path: "/api/v1/waybills", key: key, body: map[string]any{"numbers": numbers}, want: 202})
	job := jsonOf(t, raw)
	jobID := fmt.Sprint(int64(job["id"].(float64)))
	k.do(app, exchange{op: wb, path: "/api/v1/waybills", key: key, body: map[string]any{"numbers": []string{"PD99999999"}}, want: 404})
	k.do(app, exchange{op: wb, path: "/api/v1/waybills", key: key, body: map[string]any{"numbers": []string{}}, want: 422})
	k.do(app, exchange{op: "GET /api/v1/jobs/{id}", path: "/api/v1/jobs/" + jobID, key: key, want: 200})
	k.do(app, exchange{op: "GET /api/v1/jobs/{id}", path: "/api/v1/jobs/999999", key: key, want: 404})
	k.do(app, exchange{op: "GET /api/v1/jobs/{id}/file", path: "/api/v1/jobs/" + jobID + "/file", key: key, want: 409})
	k.do(app, exchange{op: "GET /api/v1/jobs/{id}/file", path: "/api/v1/jobs/999999/file", key: key, want: 404})
	runWaybillsJob(t, e, jobID)
	_, raw = k.do(app, exchange{op: "GET /api/v1/jobs/{id}", path: "/api/v1/jobs/" + jobID, key: key, want: 200})
	require.Equal(t, "done", jsonOf(t, raw)["state"])
	hdr, pdf = k.do(app, exchange{op: "GET /api/v1/jobs/{id}/file", path: "/api/v1/jobs/" + jobID + "/file", key: key, want: 200})
	require.Equal(t, "application/pdf", hdr.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))
	// Parcels awaiting pickup: eleven with one courier (an act by job), one with another (at once).
	courier2 := e.account("courier", false, "+380441200004")
	_, err = e.Pool.Exec(ctx, `UPDATE orders SET courier_id = $2, status = 'deal' WHERE number = ANY($1)`, numbers, courier)
	require.NoError(t, err)
	_, err = e.Pool.Exec(ctx, `UPDATE orders SET courier_id = $2, status = 'deal' WHERE number = $1`, number2(k, app, key), courier2)
	require.NoError(t, err)
	const act = "POST /api/v1/handover-acts"
	k.do(app, exchange{op: act, path: "/api/v1/handover-acts", key: key, body: map[string]any{"courier_id": courier, "date": time.Now().In(kyiv).Format("2006-01-02")}, want: 202})
	hdr, pdf = k.do(app, exchange{op: act, path: "/api/v1/handover-acts", key: key, body: map[string]any{"courier_id": courier2, "date": time.Now().In(kyiv).Format("2006-01-02")}, want: 200})
	require.Equal(t, "application/pdf", hdr.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF")))
	k.do(app, exchange{op: act, path: "/api/v1/handover-acts", key: key, body: map[string]any{"courier_id": courier + 1000, "date": "2026-01-01"}, want: 404})
	k.do(app, exchange{op: act, path: "/api/v1/handover-acts", key: key, body: map[string]any{"courier_id": courier, "date": "yesterday"}, want: 422})

	// Cancellation.
	const cancel = "POST /api/v1/orders/{number}/cancel"
	_, raw = k.do(app, exchange{op: cancel, path: "/api/v1/orders/" + number + "/cancel", key: key, body: map[string]any{"reason": "changed my mind"}, want: 200})
	require.Equal(t, "cancelled", jsonOf(t, raw)["status"])
	k.do(app, exchange{op: cancel, path: "/api/v1/orders/" + number + "/cancel", key: key, want: 409})
	k.do(app, exchange{op: cancel, path: "/api/v1/orders/PD99999999/cancel", key: key, want: 404})
	k.do(app, exchange{op: cancel, path: "/api/v1/orders/" + numbers[1] + "/cancel", key: key, body: map[string]any{"reason": strings.Repeat("x", 501)}, want: 422})

	// Finance.
	now := time.Now().In(kyiv)
	today := now.Format("2006-01-02")
	_, raw = k.do(app, exchange{op: "GET /api/v1/statement", path: "/api/v1/statement?from=2020-01-01&to=" + now.AddDate(0, 0, 1).Format("2006-01-02"), key: key, want: 422})
	require.Equal(t, "invalid", jsonOf(t, raw)["error"].(map[string]any)["code"], "over a year")
	_, raw = k.do(app, exchange{op: "GET /api/v1/statement", path: "/api/v1/statement?from=" + now.AddDate(0, 0, -7).Format("2006-01-02") + "&to=" + today, key: key, want: 200})
	require.NotEmpty(t, jsonOf(t, raw)["lines"], "the top-up and the holds' penalty-free release show")
	k.do(app, exchange{op: "POST /api/v1/statement/act", path: "/api/v1/statement/act", key: key, body: map[string]any{"from": today, "to": today}, want: 202})
	k.do(app, exchange{op: "POST /api/v1/statement/act", path: "/api/v1/statement/act", key: key, body: map[string]any{"from": today}, want: 422})

	// Complaints.
	const file = "POST /api/v1/complaints"
	_, raw = k.do(app, exchange{op: file, path: "/api/v1/complaints", key: key, body: api.ComplaintRequest{ComplainantName: "Olena Koval", ComplainantBirth: "1990-04-12",
		RespondentLogin: "+380441200002", OrderRef: number, ActionDate: now.AddDate(0, 0, -1).Format("2006-01-02"), ActionTime: "14:30", // yesterday in Kyiv, whatever the machine's zone
		ActionPlace: "Kyiv", ActionDetails: "The parcel was opened.", Grounds: "User agreement", Demands: []string{"refund"}}, want: 201})
	complaint := jsonOf(t, raw)["number"].(string)
	k.do(app, exchange{op: file, path: "/api/v1/complaints", key: key, body: map[string]any{"complainant_name": "x"}, want: 422})
	_, raw = k.do(app, exchange{op: "GET /api/v1/complaints", path: "/api/v1/complaints", key: key, want: 200})
	require.Len(t, jsonOf(t, raw)["complaints"], 1)
	k.do(app, exchange{op: "GET /api/v1/complaints", path: "/api/v1/complaints?limit=0", key: key, want: 422})
	_, raw = k.do(app, exchange{op: "GET /api/v1/complaints/{number}", path: "/api/v1/complaints/" + complaint, key: key, want: 200})
	require.NotEmpty(t, jsonOf(t, raw)["deadline"])
	k.do(app, exchange{op: "GET /api/v1/complaints/{number}", path: "/api/v1/complaints/C-0000-000000", key: key, want: 404})

	// Webhooks.
	hook := map[string]any{"url": "https://shop.example.com/hooks", "events": []string{"order.status_changed", "complaint.step"}}
	_, raw = k.do(app, exchange{op: "POST /api/v1/webhooks", path: "/api/v1/webhooks", key: key, body: hook, want: 201})
	id := fmt.Sprint(int64(jsonOf(t, raw)["id"].(float64)))
	k.do(app, exchange{op: "POST /api/v1/webhooks", path: "/api/v1/webhooks", key: key, body: map[string]any{"url": "http://shop.example.com/", "events": []string{"complaint.step"}}, want: 422})
	k.do(app, exchange{op: "GET /api/v1/webhooks", path: "/api/v1/webhooks", key: key, want: 200})
	k.do(app, exchange{op: "GET /api/v1/webhooks/{id}", path: "/api/v1/webhooks/" + id, key: key, want: 200})
	k.do(app, exchange{op: "GET /api/v1/webhooks/{id}", path: "/api/v1/webhooks/999999", key: key, want: 404})
	k.do(app, exchange{op: "POST /api/v1/webhooks/{id}/rotate", path: "/api/v1/webhooks/" + id + "/rotate", key: key, want: 200})
	k.do(app, exchange{op: "POST /api/v1/webhooks/{id}/rotate", path: "/api/v1/webhooks/999999/rotate", key: key, want: 404})
	k.do(app, exchange{op: create, path: "/api/v1/orders", key: key, body: newOrderBody("HOOKED"), want: 201})
	_, raw = k.do(app, exchange{op: "GET /api/v1/webhooks/{id}/deliveries", path: "/api/v1/webhooks/" + id + "/deliveries", key: key, want: 200})
	require.Len(t, jsonOf(t, raw)["deliveries"], 1, "the new order's creation")
	k.do(app, exchange{op: "GET /api/v1/webhooks/{id}/deliveries", path: "/api/v1/webhooks/" + id + "/deliveries?cursor=x", key: key, want: 422})
	k.do(app, exchange{op: "GET /api/v1/webhooks/{id}/deliveries", path: "/api/v1/webhooks/999999/deliveries", key: key, want: 404})
	for range 9 {
		k.do(app, exchange{op: "POST /api/v1/webhooks", path: "/api/v1/webhooks", key: key, body: hook, want: 201})
	}
	k.do(app, exchange{op: "POST /api/v1/webhooks", path: "/api/v1/webhooks", key: key, body: hook, want: 409})
	k.do(app, exchange{op: "DELETE /api/v1/webhooks/{id}", path: "/api/v1/webhooks/" + id, key: key, want: 204})
	k.do(app, exchange{op: "DELETE /api/v1/webhooks/{id}", path: "/api/v1/webhooks/" + id, key: key, want: 404})

	// 501: a deployment without the lifecycle, workers, file store or complaints desk.
	bare := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error { return c.Status(500).SendString(err.Error()) }})
	api.Mount(bare, &api.Handlers{Pool: e.Pool})
	k.do(bare, exchange{op: create, path: "/api/v1/orders", key: key, body: newOrderBody(""), want: 501})
	k.do(bare, exchange{op: cancel, path: "/api/v1/orders/" + numbers[2] + "/cancel", key: key, want: 501})
	k.do(bare, exchange{op: wb, path: "/api/v1/waybills", key: key, body: map[string]any{"numbers": numbers}, want: 501})
	k.do(bare, exchange{op: act, path: "/api/v1/handover-acts", key: key, body: map[string]any{"courier_id": courier, "date": today}, want: 501})
	k.do(bare, exchange{op: "POST /api/v1/statement/act", path: "/api/v1/statement/act", key: key, body: map[string]any{"from": today, "to": today}, want: 501})
	k.do(bare, exchange{op: file, path: "/api/v1/complaints", key: key, body: map[string]any{}, want: 501})

	// Every documented response was seen.
	for op, codes := range ops {
		for _, code := range codes {
			require.True(t, k.seen[op][code], "%s %s was never answered in this test", op, code)
		}
	}
	// Every route under /api/ is documented.
	param := regexp.MustCompile(`:([a-z]+)`)
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/") || r.Path == "/api/v1/*" || r.Method == "HEAD" {
			continue
		}
		op := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
		require.Contains(t, ops, op, "the route %s %s is not in the OpenAPI description", r.Method, r.Path)
	}
	require.Equal(t, len(ops), len(slices.Collect(func(yield func(string) bool) {
		for op := range k.seen {
			if !yield(op) {
				return
			}
		}
	})), "every documented operation was called")
}

// runWaybillsJob does the waybills job as a worker would.
func runWaybillsJob(t *testing.T, e env, fileID string) {
	ctx := context.Background()
	var raw []byte
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT j.args FROM river_job j JOIN files f ON f.job_id = j.id WHERE f.id = $1`, fileID).Scan(&raw))
	var args orders.WaybillsArgs
	require.NoError(t, json.Unmarshal(raw, &args))
	store, err := files.Open(ctx, e.Pool, "")
	require.NoError(t, err)
	env := &orders.Env{Pool: e.Pool, Files: store, TZ: time.UTC, Currency: "UAH"}
	require.NoError(t, env.RunWaybills(ctx, args))
}

// number2 creates one more order and returns its number.
func number2(k *contract, app *fiber.App, key string) string {
	_, raw := k.do(app, exchange{op: "POST /api/v1/orders", path: "/api/v1/orders", key: key, body: newOrderBody("ONE-MORE"), want: 201})
	return jsonOf(k.t, raw)["number"].(string)
}
