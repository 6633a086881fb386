package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Staff register a client's endpoint on the account page (the secret shown once), see each
// delivery with its attempts at /webhooks, and send a finished one again.
func TestStaffPages(t *testing.T) {
	t.Parallel()
	e := admintest.New(t)
	ctx := context.Background()
	var client int64
	require.NoError(t, e.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, business, name, phone, lang) VALUES ('client', true, 'Hook shop', '+380441400001', 'en') RETURNING id`).Scan(&client))
	admin := e.Login("admin@demo.postdesk")
	panel := fmt.Sprintf("/accounts/%d/webhooks", client)

	r := admin.PostForm(panel, url.Values{"url": {"http://shop.example.com/hooks"}, "event": {"order.status_changed"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "production wants https")
	require.Contains(t, r.Body, "https://")
	r = admin.PostForm(panel, url.Values{"url": {"https://shop.example.com/hooks"}, "description": {"Warehouse"}, "event": {"order.status_changed"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	m := regexp.MustCompile(`id="new-secret">(whsec_[A-Za-z0-9+/=]{44})<`).FindStringSubmatch(r.Body)
	require.NotNil(t, m, "the secret is shown")
	page := admin.Get(panel)
	require.Contains(t, page.Body, "https://shop.example.com/hooks")
	require.NotContains(t, page.Body, m[1], "and never again")
	require.Contains(t, admin.Get(fmt.Sprintf("/accounts/%d", client)).Body, `hx-get="`+panel+`"`, "the account page loads the panel")

	orderMoves(t, e.Pool, client, "PDWH0200")
	id := deliveries(t, e.Pool)[0]
	list := admin.Get("/webhooks")
	require.Equal(t, http.StatusOK, list.Status)
	require.Contains(t, list.Body, "order:PDWH0200")
	show := admin.Get(fmt.Sprintf("/webhooks/%d", id))
	require.Contains(t, show.Body, "PDWH0200")
	require.NotContains(t, show.Body, `id="resend"`, "nothing to resend while it is pending")

	_, err := e.Pool.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', attempts = 8, last_code = 503 WHERE id = $1`, id)
	require.NoError(t, err)
	show = admin.Get(fmt.Sprintf("/webhooks/%d", id))
	require.Contains(t, show.Body, `id="resend"`)
	r = admin.PostForm(fmt.Sprintf("/webhooks/%d/resend", id), nil)
	require.Contains(t, []int{http.StatusOK, http.StatusSeeOther}, r.Status, r.Body)
	var status string
	var jobs int
	require.NoError(t, e.Pool.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM river_job WHERE kind = 'webhook_deliver' AND (args->>'delivery_id')::bigint = d.id)
		FROM webhook_deliveries d WHERE id = $1`, id).Scan(&status, &jobs))
	require.Equal(t, "pending", status)
	require.Equal(t, 2, jobs, "the first job and the resend's")

	// An agent sees the outbox but may not register endpoints.
	agent := e.Login("agent@demo.postdesk")
	require.Equal(t, http.StatusOK, agent.Get("/webhooks").Status)
	require.Equal(t, http.StatusForbidden, agent.PostForm(panel, url.Values{"url": {"https://x.example.com/"}, "event": {"order.status_changed"}}).Status)
}
