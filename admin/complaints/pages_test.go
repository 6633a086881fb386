package complaints_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Each queue, the board and a complaint page render for the people who use them; the agent does
// not see the complainant's date of birth, the lead does; an incomplete form says what is missing.
func TestPagesForAgentAndLead(t *testing.T) {
	env := admintest.New(t)
	agent, lead := env.Login("agent@demo.postdesk"), env.Login("lead@demo.postdesk")
	for _, q := range []string{"mine", "unassigned", "today", "soon", "overdue", "waiting"} {
		r := agent.Get("/complaints?q=" + q)
		require.Equal(t, 200, r.Status, q)
	}
	r := agent.Get("/complaints?q=overdue")
	require.Contains(t, r.Body, `class="badge sla red"`, "the demo complaint received 16 days ago is overdue")
	require.Contains(t, r.Body, ">overdue ", "a breached deadline says how long ago")
	r = agent.Get("/complaints?q=unassigned")
	require.Contains(t, r.Body, `class="badge sla green"`)

	var id string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id::text FROM complaints ORDER BY id LIMIT 1`).Scan(&id))
	var birth string
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT to_char(complainant_birth_date, 'YYYY-MM-DD') FROM complaints WHERE id = $1`, id).Scan(&birth))
	r = agent.Get("/complaints/" + id)
	require.Equal(t, 200, r.Status)
	require.NotContains(t, r.Body, birth)
	require.Contains(t, r.Body, "hidden")
	require.NotContains(t, r.Body, `id="extend-form"`, "agents do not extend")
	r = lead.Get("/complaints/" + id)
	require.Contains(t, r.Body, birth)

	require.Equal(t, 403, agent.Get("/complaints/board").Status)
	r = lead.Get("/complaints/board")
	require.Equal(t, 200, r.Status)
	require.Contains(t, r.Body, "<svg")
	// Issue 14, item 2: week labels each their own, axes and legends, "—" for a week with nothing
	// decided (the demo's recent weeks), never "0%".
	require.GreaterOrEqual(t, len(regexp.MustCompile(`<text [^>]*>\d\d\.\d\d</text>`).FindAllString(r.Body, -1)), 6)
	require.Contains(t, r.Body, ">100%</text>")
	require.Contains(t, r.Body, `class="legend"`)
	require.Contains(t, r.Body, `<td class="num">—</td>`)
	require.NotContains(t, r.Body, `<td class="num">0%</td>`)
	require.Contains(t, r.Body, "Decided on time: —</title>")
	x := lead.Get("/complaints/board.xlsx")
	require.Equal(t, 200, x.Status)
	require.True(t, strings.HasPrefix(x.Body, "PK"), "an xlsx is a zip")

	r = agent.PostForm("/complaints", url.Values{"complainant_name": {"Олена"}, "respondent_login": {"+380501234567"}})
	require.Equal(t, 422, r.Status)
	require.Contains(t, r.Body, "Enter the complainant&#39;s date of birth.")
	require.Contains(t, r.Body, "Enter at least one demand")

	// A decision's amount is a plain positive number: a sign is refused with a message, never dropped.
	for _, amount := range []string{"\u221250", "-50", "1.-5"} {
		r = lead.PostForm("/complaints/"+id+"/decision", url.Values{"outcome": {"upheld"}, "reasoning": {"x"}, "action": {"penalty"}, "amount_penalty": {amount}})
		require.Equal(t, 422, r.Status, amount)
		require.Regexp(t, "cannot be negative|plain number", r.Body, amount)
	}
}
