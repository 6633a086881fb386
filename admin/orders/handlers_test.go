package orders_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/money"
)

var headerCols = regexp.MustCompile(`data-col="([a-z_]+)"`)

func columnsShown(body string) []string {
	var out []string
	for _, m := range headerCols.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The column choice is the person's, kept in the database: it survives logging out and in, and
// another staff member does not get it.
func TestColumnChoicePersistsAcrossLogout(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	agent := env.Login("agent@demo.postdesk")
	r := agent.Get("/orders")
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, []string{"number", "waybill", "status", "created", "client", "courier", "recipient_name", "weight", "cost"}, columnsShown(r.Body))

	r = agent.PostForm("/orders/columns", url.Values{"col": {"waybill", "recipient_phone", "number", "status"},
		"pos_waybill": {"2"}, "pos_recipient_phone": {"3"}, "pos_number": {"1"}, "pos_status": {"4"}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Equal(t, []string{"number", "waybill", "recipient_phone", "status"}, columnsShown(r.Body))

	agent.PostForm("/logout", nil)
	agent = env.Login("agent@demo.postdesk")
	r = agent.Get("/orders")
	require.Equal(t, []string{"number", "waybill", "recipient_phone", "status"}, columnsShown(r.Body))
	require.Regexp(t, `\+\d+ •`, r.Body, "the agent sees phones masked")

	lead := env.Login("lead@demo.postdesk")
	require.Equal(t, "number", columnsShown(lead.Get("/orders").Body)[0])
	require.Len(t, columnsShown(lead.Get("/orders").Body), 9, "the lead keeps the defaults")

	// Finance may not see phones: a saved phone column is dropped, not shown empty.
	fin := env.Login("finance@demo.postdesk")
	fin.PostForm("/orders/columns", url.Values{"col": {"recipient_phone", "cost"}})
	require.Equal(t, []string{"cost"}, columnsShown(fin.Get("/orders").Body))
}

func TestFindOpenAndMove(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var number, waybill, status string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT number, waybill, status FROM orders WHERE status = 'created' ORDER BY id LIMIT 1`).Scan(&number, &waybill, &status))
	agent := env.Login("agent@demo.postdesk")

	// A whole waybill number opens the order.
	r := agent.Get("/orders/find?q=" + waybill)
	require.Equal(t, http.StatusSeeOther, r.Status)
	require.Equal(t, "/orders/"+number, r.Location)

	// The list finds it by prefix as you type; the URL keeps the filter.
	r = agent.Get("/orders?q=" + waybill[:len(waybill)-1] + "&status=created")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, waybill)

	r = agent.Get("/orders/" + number)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `class="timeline"`)
	require.Contains(t, r.Body, `/accounts/`)

	// A transition not allowed is refused and changes nothing.
	r = htmxPost(agent, "/orders/"+number+"/status", map[string][]string{"to": {"delivered"}})
	require.Equal(t, http.StatusConflict, r.Status)
	require.Contains(t, toastOf(r), "not allowed")
	// A deal needs the courier who accepted it.
	r = htmxPost(agent, "/orders/"+number+"/status", map[string][]string{"to": {"deal"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, toastOf(r), "courier")
	r = htmxPost(agent, "/orders/"+number+"/status", map[string][]string{"to": {"in_moderation"}, "note": {"Кур'єр прийняв"}})
	require.Equal(t, http.StatusNoContent, r.Status, toastOf(r))
	r = agent.Get("/orders/" + number)
	require.Contains(t, r.Body, "Кур&#39;єр прийняв")
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT status FROM orders WHERE number = $1`, number).Scan(&status))
	require.Equal(t, "in_moderation", status)

	// Finance reads but may not change.
	fin := env.Login("finance@demo.postdesk")
	require.Equal(t, http.StatusOK, fin.Get("/orders/"+number).Status)
	require.Equal(t, http.StatusForbidden, htmxPost(fin, "/orders/"+number+"/status", map[string][]string{"to": {"cancelled"}}).Status)
	// Editors do not see orders at all.
	require.Equal(t, http.StatusForbidden, env.Login("editor@demo.postdesk").Get("/orders").Status)
}

func TestEnterOrderByHand(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var client, blocked int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&client))
	require.NoError(t, env.Pool.QueryRow(ctx, `UPDATE accounts SET status = 'blocked' WHERE id = (SELECT id FROM accounts WHERE kind = 'client' AND id <> $1 ORDER BY id LIMIT 1) RETURNING id`, client).Scan(&blocked))
	agent := env.Login("agent@demo.postdesk")
	r0 := agent.PostForm("/orders", url.Values{"weight": {"abc"}})
	require.Equal(t, http.StatusUnprocessableEntity, r0.Status)
	require.Contains(t, r0.Body, "Not a number.")
	require.Equal(t, 9, strings.Count(r0.Body, "Required."), "every empty required field is flagged at once")
	// An amount is a plain number: a sign is refused with a message saying so, never dropped.
	r0 = agent.PostForm("/orders", url.Values{"declared_value": {"1.-5"}})
	require.Contains(t, r0.Body, "plain number with at most two decimals")
	r0 = agent.PostForm("/orders", url.Values{"declared_value": {"\u2212120"}})
	require.Contains(t, r0.Body, "cannot be negative")

	form := url.Values{"client_id": {itoa(blocked)}, "sender_name": {"Олена Коваленко"}, "sender_phone": {"050 123 45 67"},
		"sender_address": {"Київ, Хрещатик 1"}, "recipient_name": {"Әлия Нұрланқызы"}, "recipient_phone": {"12"},
		"recipient_address": {"Алматы"}, "item": {"Книги"}, "weight": {"1,5"}, "declared_value": {"1200.50"}}
	r := agent.PostForm("/orders", form)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "This client is blocked")
	require.Contains(t, r.Body, "Not a phone number")
	require.Contains(t, r.Body, `value="Олена Коваленко"`, "the form keeps what was typed")

	form.Set("client_id", itoa(client))
	form.Set("recipient_phone", "+7 701 123 45 67")
	r = agent.PostForm("/orders", form)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.True(t, strings.HasPrefix(r.Location, "/orders/PD"))
	var cost, declared int64
	var phone string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT cost, declared_value, recipient_phone FROM orders WHERE number = $1`,
		strings.TrimPrefix(r.Location, "/orders/")).Scan(&cost, &declared, &phone))
	require.Equal(t, int64(7500), cost)
	require.Equal(t, int64(120050), declared)
	require.Equal(t, "+77011234567", phone)
	// Shown in the reader's language with the currency.
	require.Contains(t, agent.Get(r.Location).Body, money.Format(120050, "UAH", "en"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
