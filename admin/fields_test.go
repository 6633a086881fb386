package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/rbac"
)

// TestFieldRulesNeverLeak: the demo support agents see phones masked and passports hidden, finance
// sees card last-4, administrators see all; and no search reveals what the page hides.
func TestFieldRulesNeverLeak(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var id int64
	var phone, email, passport, last4 string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, phone, email, passport, card_last4 FROM accounts
		WHERE kind = 'courier' AND passport IS NOT NULL AND card_last4 IS NOT NULL ORDER BY id LIMIT 1`).
		Scan(&id, &phone, &email, &passport, &last4))
	page := "/accounts/" + itoa(id)

	agent := env.Login("agent@demo.postdesk")
	for _, path := range []string{page, "/accounts", "/accounts?q=" + url.QueryEscape(strings.Split(name(t, env, id), " ")[0])} {
		body := agent.Get(path).Body
		require.NotContains(t, body, phone, path)
		require.NotContains(t, body, phone[len(phone)-7:], "no run of the phone's digits: %s", path)
		require.NotContains(t, body, passport, path)
		require.NotContains(t, body, email, path)
	}
	body := agent.Get(page).Body
	require.Contains(t, body, rbac.MaskPhone(phone), "the agent sees the masked phone")
	require.NotContains(t, body, "Passport", "a hidden field is not even labelled")

	// Searching by a field the agent cannot read is refused, not answered.
	r := agent.Get("/accounts?q=" + url.QueryEscape(phone))
	require.Contains(t, r.Body, "You cannot search by")
	require.NotContains(t, r.Body, "/accounts/"+itoa(id)+`"`)
	r = agent.Get("/accounts?q=" + url.QueryEscape(email))
	require.Contains(t, r.Body, "You cannot search by")

	fin := env.Login("finance@demo.postdesk")
	body = fin.Get(page).Body
	require.Contains(t, body, "•••• "+last4, "finance sees the card's last 4")
	require.NotContains(t, body, passport)
	r = fin.Get("/accounts?q=" + url.QueryEscape(phone))
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "/accounts/"+itoa(id)+`"`, "finance reads phones, so finance may search by them")

	admin := env.Login("admin@demo.postdesk")
	body = admin.Get(page).Body
	for _, v := range []string{phone, email, passport, last4} {
		require.Contains(t, body, v)
	}

	// Changing the rule changes every surface at once.
	var gid int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff_groups WHERE role = 'support_agent'`).Scan(&gid))
	r = admin.PostForm("/admin/groups/rules", url.Values{"rule:" + itoa(gid) + ":account.phone": {"hidden"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	body = agent.Get(page).Body
	require.NotContains(t, body, rbac.MaskPhone(phone))
	require.NotContains(t, body, phone[len(phone)-2:]+"<", "not even the masked tail")
}

func name(t *testing.T, env *admintest.Env, id int64) string {
	var n string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT name FROM accounts WHERE id = $1`, id).Scan(&n))
	return n
}
