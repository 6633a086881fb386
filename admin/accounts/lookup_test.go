package accounts_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

var option = regexp.MustCompile(`role="option" aria-selected="false" data-value="(\d+)"`)

// Issue 14, item 6: forms asked for clients, couriers and accounts as bare numbers. A lookup finds
// them by name, phone or number through the accounts list's own search, so field rules hold: an
// agent sees phones masked and cannot search by one.
func TestLookupFindsAccountsUnderFieldRules(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	var id int64
	var name, phone string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, name, phone FROM accounts WHERE kind = 'courier' ORDER BY id LIMIT 1`).Scan(&id, &name, &phone))
	first := []rune(name)[:4]

	fin := env.Login("finance@demo.postdesk")
	r := fin.Get("/lookup/accounts?target=account&kind=courier&q=" + url.QueryEscape(string(first)))
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `data-value="`+strconv.FormatInt(id, 10)+`"`)
	require.LessOrEqual(t, len(option.FindAllString(r.Body, -1)), 10)
	r = fin.Get("/lookup/accounts?target=account&kind=client&q=" + strconv.FormatInt(id, 10))
	require.NotContains(t, r.Body, `data-value="`+strconv.FormatInt(id, 10)+`"`, "a courier is not a client")
	require.Equal(t, http.StatusUnprocessableEntity, fin.Get("/lookup/accounts?target=%22%3E&q=x").Status)

	agent := env.Login("agent@demo.postdesk")
	r = agent.Get("/lookup/accounts?target=account&q=" + url.QueryEscape(string(first)))
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, r.Body, phone, "agents see phones masked")
	r = agent.Get("/lookup/accounts?target=account&q=" + url.QueryEscape(phone))
	require.Empty(t, option.FindAllString(r.Body, -1), "agents cannot search by a phone they cannot see")
	require.Contains(t, r.Body, `class="muted small" role="presentation"`)

	require.Equal(t, http.StatusForbidden, env.Login("editor@demo.postdesk").Get("/lookup/accounts?target=account&q=ab").Status)
}

// The lookup by keyboard on the top-up form: type part of a name, arrow down, Enter — the
// account's number is in the form.
func TestBrowserLookupByKeyboard(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	ctx := context.Background()
	var id int64
	var name string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, name FROM accounts WHERE kind = 'courier' ORDER BY id LIMIT 1`).Scan(&id, &name))
	b := admintest.Browser(t)
	var got, expanded string
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "finance@demo.postdesk"),
		chromedp.Navigate(base+"/finance/funding"),
		chromedp.WaitVisible(`#account-find`, chromedp.ByQuery),
		chromedp.SendKeys(`#account-find`, name, chromedp.ByQuery),
		chromedp.WaitVisible(`#account-options [data-value="`+strconv.FormatInt(id, 10)+`"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#account-find`, "aria-expanded", &expanded, nil, chromedp.ByQuery),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll(`document.getElementById("account").value !== ""`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Value(`#account`, &got, chromedp.ByQuery),
	))
	require.Equal(t, "true", expanded)
	require.Equal(t, strconv.FormatInt(id, 10), got)
}
