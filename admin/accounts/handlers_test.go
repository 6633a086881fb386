package accounts_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/testfactory"
)

// A support lead blocks a courier's payouts for a week from the account page; the page then shows
// the block in force with its end; an agent, who may not block, is refused.
func TestBlockAndUnblockFromTheAccountPage(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'courier' ORDER BY id LIMIT 1`).Scan(&id))
	page := fmt.Sprintf("/accounts/%d", id)

	agent := env.Login("agent@demo.postdesk")
	r := agent.Get(page)
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, r.Body, `id="block-form"`, "agents see no block form")
	r = agent.PostForm(page+"/blocks", url.Values{"scope": {"functions"}, "function": {"payouts"}, "reason": {"law"}})
	require.Equal(t, http.StatusForbidden, r.Status)

	lead := env.Login("lead@demo.postdesk")
	r = lead.Get(page)
	require.Contains(t, r.Body, `id="block-form"`)
	require.Contains(t, r.Body, `hx-confirm=`, "blocking asks first")

	// A form error comes back on the page, next to its field.
	r = lead.PostForm(page+"/blocks", url.Values{"scope": {"functions"}, "reason": {"law"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "Choose the whole account or at least one function.")

	r = lead.PostForm(page+"/blocks", url.Values{"scope": {"functions"}, "function": {"payouts"}, "reason": {"agreement_breach"},
		"note": {"payout to a third party's card"}, "duration": {"7d"}, "notify": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = lead.Get(page)
	require.Contains(t, r.Body, `class="alert error block-active"`)
	require.Contains(t, r.Body, `<span class="block-fn">payouts</span>`)
	require.Regexp(t, `Until \d{4}-\d{2}-\d{2} \d{2}:\d{2}\.`, r.Body)
	require.Contains(t, r.Body, "payout to a third party&#39;s card")

	var blockID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM account_blocks WHERE account_id = $1`, id).Scan(&blockID))
	var ends time.Time
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT ends_at FROM account_blocks WHERE id = $1`, blockID).Scan(&ends))
	require.WithinDuration(t, time.Now().Add(7*24*time.Hour), ends, 2*time.Minute)

	// Unblocking needs a note, and records who and why.
	r = lead.PostForm(fmt.Sprintf("%s/blocks/%d/lift", page, blockID), url.Values{"lift_note": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = lead.PostForm(fmt.Sprintf("%s/blocks/%d/lift", page, blockID), url.Values{"lift_note": {"card verified"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = lead.Get(page)
	require.NotContains(t, r.Body, `block-active`)
	require.True(t, strings.Contains(r.Body, "card verified"))
}

// The account page gathers the account's world: balances, orders, complaints, notices, keys.
func TestAccountPageSections(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	id := testfactory.Account(ctx, t, env.Pool, testfactory.AccountOpts{Kind: "client"})
	_, number := testfactory.Complaint(ctx, t, env.Pool, testfactory.ComplaintOpts{Complainant: id})
	lead := env.Login("lead@demo.postdesk")
	r := lead.Get(fmt.Sprintf("/accounts/%d", id))
	require.Equal(t, http.StatusOK, r.Status)
	for _, section := range []string{`id="balances"`, `id="blocks"`, `id="complaints"`, `id="notices"`, number} {
		require.Contains(t, r.Body, section)
	}
	// An editor may not open accounts at all.
	require.Equal(t, http.StatusForbidden, env.Login("editor@demo.postdesk").Get(fmt.Sprintf("/accounts/%d", id)).Status)
}

// A block's end is checked against the portal's clock, not the machine's: on the portal's
// 1 March 2026 an end on 5 March is in the future (it was refused as "in the past" while the
// check read the machine's time), and an end on 27 February is refused.
func TestBlockEndIsCheckedAgainstThePortalsClock(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	env.Clock.Set(time.Date(2026, 3, 1, 10, 0, 0, 0, kyiv))
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM accounts WHERE kind = 'courier' ORDER BY id LIMIT 1`).Scan(&id))
	page := fmt.Sprintf("/accounts/%d", id)
	lead := env.Login("lead@demo.postdesk")
	r := lead.PostForm(page+"/blocks", url.Values{"scope": {"functions"}, "function": {"payouts"}, "reason": {"law"}, "until": {"2026-02-27T12:00"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = lead.PostForm(page+"/blocks", url.Values{"scope": {"functions"}, "function": {"payouts"}, "reason": {"law"}, "until": {"2026-03-05T12:00"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
}
