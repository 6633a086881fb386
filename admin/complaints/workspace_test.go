package complaints_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Issue 14, item 3, as staff met it on the complaint page: an overdue complaint showed a grey
// "−0 d 0 h"; "Assign" without touching the select assigned the list's first name; there was no
// "take it"; the lead's "Mine" tab stayed empty; a refused extension or explanation replaced the
// page with the generic error page; the tabs had no counts.
func TestComplaintWorkspace(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, kyiv)
	env.Clock.Set(now)
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review') ORDER BY id LIMIT 1`).Scan(&id))
	page := "/complaints/" + itoa(id)
	// Overdue by 20 minutes, assigned to nobody.
	_, err = env.Pool.Exec(ctx, `UPDATE complaints SET decision_due = $2, assignee_id = NULL WHERE id = $1`, id, now.Add(-20*time.Minute))
	require.NoError(t, err)

	agent, lead := env.Login("agent@demo.postdesk"), env.Login("lead@demo.postdesk")
	r := agent.Get(page)
	require.Equal(t, http.StatusOK, r.Status)
	require.Regexp(t, `<span class="badge sla red" id="time-left">overdue 20 min</span>`, r.Body)
	require.NotContains(t, r.Body, "−0")

	// Take it: the agent's now, from their own button.
	require.Contains(t, r.Body, `id="take-form"`)
	r = agent.PostForm(page+"/take", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var assignee, agentID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT assignee_id, (SELECT id FROM staff WHERE email = 'agent@demo.postdesk') FROM complaints WHERE id = $1`, id).Scan(&assignee, &agentID))
	require.Equal(t, agentID, assignee)
	r = agent.Get(page)
	require.NotContains(t, r.Body, `id="take-form"`, "it is theirs already")
	require.Regexp(t, `(?s)id="sla-panel".*overdue 20 min.*<strong>Андрій Підтримка</strong>`, r.Body, "the panel: clock and assignee")

	// Assign with nothing chosen: refused beside the actions, nothing changes.
	r = lead.Get(page)
	require.Contains(t, r.Body, `<select id="assignee" name="assignee" required><option value="">Choose…</option>`)
	r = lead.PostForm(page+"/assign", url.Values{"assignee": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `<p class="alert error" role="alert" id="action-error">Choose who takes the complaint.</p>`)
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT assignee_id FROM complaints WHERE id = $1`, id).Scan(&assignee))
	require.Equal(t, agentID, assignee)

	// A refused extension (the deadline has passed) and a refused explanation keep the page.
	r = lead.PostForm(page+"/extend", url.Values{"days": {"5"}, "reason": {"more evidence"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `id="action-error"`)
	require.Contains(t, r.Body, `id="complaint"`, "the complaint's page, not the error page")
	r = agent.PostForm(page+"/explanation", url.Values{"message": {""}, "reply_days": {"5"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, `id="action-error"`)

	// Tabs carry counts; a lead with nothing of their own lands on work that needs them.
	r = lead.Get("/complaints")
	require.Equal(t, http.StatusOK, r.Status)
	require.Regexp(t, `Overdue <span class="tab-count">[1-9]\d*\+?</span>`, r.Body)
	current := regexp.MustCompile(`href="/complaints\?q=([a-z]+)"\s+aria-current="page"`).FindStringSubmatch(r.Body)
	require.NotNil(t, current)
	require.NotEqual(t, "mine", current[1], "the lead owns nothing: their first tab is work waiting for them")
}

// The workspace at 1440 px: the panel with the clock and actions stands to the right of the facts
// and stays in view while the timeline scrolls (sticky); at 390 px it comes first, in one column.
func TestBrowserComplaintWorkspaceLayout(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM complaints WHERE state <> 'draft' ORDER BY id LIMIT 1`).Scan(&id))
	b := admintest.Browser(t)
	var wide, narrow map[string]any
	layout := `(() => { const a = document.querySelector(".complaint-actions").getBoundingClientRect();
		const m = document.querySelector(".complaint-grid > div").getBoundingClientRect();
		return {panelLeft: a.left, mainRight: m.right, panelTop: a.top, mainTop: m.top,
			position: getComputedStyle(document.querySelector(".complaint-actions")).position}; })()`
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "lead@demo.postdesk"),
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(base+"/complaints/"+itoa(id)),
		chromedp.WaitVisible(`#sla-panel`, chromedp.ByQuery),
		chromedp.Evaluate(layout, &wide),
		chromedp.EmulateViewport(390, 844),
		chromedp.Reload(),
		chromedp.WaitVisible(`#sla-panel`, chromedp.ByQuery),
		chromedp.Evaluate(layout, &narrow),
	))
	require.Equal(t, "sticky", wide["position"])
	require.Greater(t, wide["panelLeft"].(float64), wide["mainRight"].(float64)-1, "the panel is to the right")
	require.Less(t, narrow["panelTop"].(float64), narrow["mainTop"].(float64), "on a phone the panel comes first")
}

// The workspace's actions go without a reload: taking the complaint shows a toast and the panel
// names the new assignee; a refused note shows its message above the actions — and a marker set
// on the page survives both.
func TestBrowserComplaintActionsWithoutReload(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review') ORDER BY id LIMIT 1`).Scan(&id))
	_, err := env.Pool.Exec(context.Background(), `UPDATE complaints SET assignee_id = NULL WHERE id = $1`, id)
	require.NoError(t, err)
	b := admintest.Browser(t)
	var toast, panel, actionError string
	var kept bool
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "agent@demo.postdesk"),
		chromedp.Navigate(base+"/complaints/"+itoa(id)),
		chromedp.WaitVisible(`#take-form button`, chromedp.ByQuery),
		chromedp.Evaluate(`window.__kept = true`, nil),
		chromedp.Click(`#take-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#toasts .toast`, chromedp.ByQuery),
		chromedp.Text(`#toasts .toast`, &toast, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#take-form`, chromedp.ByQuery),
		chromedp.Text(`#sla-panel`, &panel, chromedp.ByQuery),
		chromedp.SetValue(`#note-form textarea`, "   ", chromedp.ByQuery),
		chromedp.Click(`#note-form button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#action-error`, chromedp.ByQuery),
		chromedp.Text(`#action-error`, &actionError, chromedp.ByQuery),
		chromedp.Evaluate(`window.__kept === true`, &kept),
	))
	require.Contains(t, toast, "The complaint is yours now.")
	require.Contains(t, panel, "Андрій Підтримка")
	require.NotEmpty(t, actionError)
	require.True(t, kept, "no page reload")
}

// Issue 14, item 15: an agent could not ask for an extension (only a lead could grant one). The
// agent asks with the days and a reason; the lead sees the request and grants it — the extension
// itself, with its notice — or refuses it with a reason.
func TestAgentAsksLeadGrantsExtension(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review') AND NOT extended
		AND decision_due > now() + interval '2 days' ORDER BY id LIMIT 1`).Scan(&id))
	page := "/complaints/" + itoa(id)
	agent, lead := env.Login("agent@demo.postdesk"), env.Login("lead@demo.postdesk")
	require.Contains(t, agent.Get(page).Body, `id="extension-request-form"`)
	r := agent.PostForm(page+"/extension-request", url.Values{"days": {"10"}, "reason": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	r = agent.PostForm(page+"/extension-request", url.Values{"days": {"10"}, "reason": {"waiting for the courier's explanation"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, http.StatusUnprocessableEntity, agent.PostForm(page+"/extension-request", url.Values{"days": {"5"}, "reason": {"again"}}).Status)
	require.Equal(t, http.StatusForbidden, agent.PostForm(page+"/extension-request/grant", nil).Status)

	r = lead.Get(page)
	require.Contains(t, r.Body, "asks for an extension of 10 days")
	require.Contains(t, lead.Get("/complaints?q=extension").Body, `href="`+page+`"`, "the lead's queue of requests")
	require.Regexp(t, `href="/complaints\?q=extension"><span class="tile-n">1</span>Extensions to approve`, lead.Get("/").Body)
	require.Equal(t, http.StatusUnprocessableEntity, lead.PostForm(page+"/extension-request/refuse", url.Values{"refuse_reason": {""}}).Status)
	r = lead.PostForm(page+"/extension-request/grant", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var extended bool
	var state string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT c.extended, r.state FROM complaints c JOIN complaint_extension_requests r ON r.complaint_id = c.id
		WHERE c.id = $1`, id).Scan(&extended, &state))
	require.True(t, extended)
	require.Equal(t, "granted", state)
	require.NotContains(t, agent.Get(page).Body, `id="extension-request-form"`, "the one extension is used")
}
