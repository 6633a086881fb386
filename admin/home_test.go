package admin_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

// Issue 14, item 4: the home page showed every role the same headcounts and no work. Now each
// member sees what waits for them — their complaints due today and overdue, the unassigned ones,
// what they must approve, open moderation cases, their recent files, blocked accounts — each card
// a count and a link to the list it counts, only where they may go: every link answers 200 for
// that member, and the counts are the lists' own.
func TestHomeShowsEachRoleItsWork(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, kyiv)
	env.Clock.Set(now)
	var agent int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'agent@demo.postdesk'`).Scan(&agent))
	// Two of the agent's open complaints: one due tonight, one overdue.
	_, err = env.Pool.Exec(ctx, `UPDATE complaints SET assignee_id = $1, decision_due = $2
		WHERE id IN (SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review', 'waiting') ORDER BY id LIMIT 1)`, agent, now.Add(6*time.Hour))
	require.NoError(t, err)
	_, err = env.Pool.Exec(ctx, `UPDATE complaints SET assignee_id = $1, decision_due = $2
		WHERE id IN (SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review', 'waiting') AND decision_due <> $3 ORDER BY id LIMIT 1)`,
		agent, now.Add(-2*time.Hour), now.Add(6*time.Hour))
	require.NoError(t, err)

	card := regexp.MustCompile(`<a class="tile[^"]*" href="([^"]+)"><span class="tile-n">(\d+)</span>([^<]+)</a>`)
	links := regexp.MustCompile(`href="(/[^"]*)"`)
	section := regexp.MustCompile(`(?s)<main.*</main>`)
	for _, s := range seed.DemoStaff {
		c := env.Login(s.Email)
		r := c.Get("/")
		require.Equal(t, http.StatusOK, r.Status, s.Email)
		cards := map[string]int{}
		for _, m := range card.FindAllStringSubmatch(r.Body, -1) {
			n, _ := strconv.Atoi(m[2])
			cards[m[3]] = n
		}
		switch s.Email {
		case "agent@demo.postdesk":
			require.Equal(t, 1, cards["My complaints due today"], "%v", cards)
			require.Equal(t, 1, cards["My overdue complaints"], "%v", cards)
			require.Contains(t, cards, "Unassigned complaints")
			require.NotContains(t, cards, "Payouts awaiting my approval")
			require.Contains(t, r.Body, `class="tile tile-urgent"`)
		case "finance2@demo.postdesk":
			var pending int
			require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE state = 'pending_approval'
				AND requested_by <> (SELECT id FROM staff WHERE email = $1)`, s.Email).Scan(&pending))
			require.Equal(t, pending, cards["Payouts awaiting my approval"], "%v", cards)
			require.NotContains(t, cards, "Unassigned complaints")
		case "editor@demo.postdesk":
			require.Empty(t, cards, "an editor has no desk work here")
		case "admin@demo.postdesk":
			require.Contains(t, cards, "blocked accounts")
		}
		// Every link on the page answers for this member.
		for _, m := range links.FindAllStringSubmatch(section.FindString(r.Body), -1) {
			require.Equal(t, http.StatusOK, c.Get(m[1]).Status, "%s: %s", s.Email, m[1])
		}
	}
}
