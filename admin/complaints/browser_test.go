package complaints_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/jobs"
)

// An agent registers a complaint and requests an explanation, the lead extends it, the agent
// decides it (upheld, with a penalty), and the decision letter and the notices exist.
func TestBrowserComplaintFromIntakeToNotice(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	bg := context.Background()
	var client, courier string
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT phone FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id DESC LIMIT 1`).Scan(&client))
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT phone FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id DESC LIMIT 1`).Scan(&courier))

	agent := admintest.Browser(t)
	var heading, url string
	fields := map[string]string{
		"#f-complainant_name": "Ірина Коваленко", "#f-complainant_birth": "1988-04-02", "#f-complainant_login": client,
		"#f-complainant_emails": "iryna@example.com", "#f-respondent_login": courier, "#f-order_ref": "PD00000007",
		"#f-action_date": time.Now().In(env.Config.TZ).AddDate(0, 0, -1).Format(time.DateOnly), "#f-action_time": "10:15",
		"#f-action_place": "Київ, вул. Саксаганського, 5", "#f-action_details": "Кур'єр пошкодив посилку.",
		"#f-grounds": "Правила платформи, розд. 7", "#f-demands": "Відшкодувати вартість\nОштрафувати кур'єра",
	}
	steps := chromedp.Tasks{admintest.LogIn(base, "agent@demo.postdesk"), chromedp.Navigate(base + "/complaints/new"), chromedp.WaitVisible(`#f-complainant_name`, chromedp.ByQuery)}
	for sel, v := range fields {
		steps = append(steps, chromedp.SetValue(sel, v, chromedp.ByQuery))
	}
	steps = append(steps,
		chromedp.Submit(`#f-complainant_name`, chromedp.ByQuery),
		chromedp.WaitVisible(`#explain-form`, chromedp.ByQuery),
		chromedp.Text(`h1`, &heading, chromedp.ByQuery),
		chromedp.Location(&url),
		chromedp.SetValue(`#explain-message`, "Поясніть, будь ласка, пошкодження посилки.", chromedp.ByQuery),
		chromedp.Submit(`#explain-message`, chromedp.ByQuery),
		chromedp.WaitVisible(`#timeline`, chromedp.ByQuery),
	)
	require.NoError(t, chromedp.Run(agent, steps))
	require.True(t, strings.HasPrefix(heading, "C-"), heading)
	number := strings.Fields(heading)[0]
	var id int64
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT id FROM complaints WHERE number = $1`, number).Scan(&id))
	var timeline string
	require.NoError(t, chromedp.Run(agent, chromedp.Text(`#timeline`, &timeline, chromedp.ByQuery)))
	require.Contains(t, timeline, "Explanation requested")

	lead := admintest.Browser(t)
	var before, after time.Time
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT decision_due FROM complaints WHERE id = $1`, id).Scan(&before))
	require.NoError(t, chromedp.Run(lead, admintest.LogIn(base, "lead@demo.postdesk"),
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#extend-form`, chromedp.ByQuery),
		chromedp.SetValue(`#extend-days`, "10", chromedp.ByQuery),
		chromedp.SetValue(`#extend-reason`, "Чекаємо пояснень кур'єра", chromedp.ByQuery),
		chromedp.Submit(`#extend-reason`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#extend-form`, chromedp.ByQuery),
	))
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT decision_due FROM complaints WHERE id = $1`, id).Scan(&after))
	require.Equal(t, before.AddDate(0, 0, 10).Sub(before).Round(time.Hour), after.Sub(before).Round(time.Hour), "extended by 10 calendar days")

	require.NoError(t, chromedp.Run(agent,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#decide-form`, chromedp.ByQuery),
		chromedp.Click(`#decide-form input[value="upheld"]`, chromedp.ByQuery),
		chromedp.SetValue(`#decide-reasoning`, "Пошкодження підтверджено фото; кур'єр пояснень не надав.", chromedp.ByQuery),
		chromedp.Click(`#decide-form input[value="penalty"]`, chromedp.ByQuery),
		chromedp.SetValue(`#decide-form input[name="amount_penalty"]`, "50,00", chromedp.ByQuery),
		chromedp.Click(`#decide-form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm-ok`, chromedp.ByQuery),
		chromedp.Click(`#confirm-ok`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#decide-form`, chromedp.ByQuery),
	))
	var state string
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT state FROM complaints WHERE id = $1`, id).Scan(&state))
	require.Equal(t, "decided", state)
	var penalty int64
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT amount FROM ledger_transfers WHERE reason = 'complaint penalty' || ' ' || (SELECT number FROM complaints WHERE id = $1)`, id).Scan(&penalty))
	require.Equal(t, int64(50_00), penalty, "the penalty as typed, 50,00")

	// The decision enqueued the letter job; run it as a worker process would.
	var jobs_ int
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT count(*) FROM river_job WHERE kind = 'complaint_letter' AND (args->>'complaint_id')::bigint = $1`, id).Scan(&jobs_))
	require.Equal(t, 1, jobs_)
	w := &jobs.ComplaintsLetterWorker{Store: &complaints.Store{Pool: env.Pool, Loc: env.Config.TZ}}
	require.NoError(t, w.Work(bg, &river.Job[complaints.LetterArgs]{Args: complaints.LetterArgs{ComplaintID: id}}))

	var letters, notices string
	require.NoError(t, chromedp.Run(agent,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#letters`, chromedp.ByQuery),
		chromedp.Text(`#letters`, &letters, chromedp.ByQuery),
		chromedp.Text(`#notices`, &notices, chromedp.ByQuery),
	))
	require.Contains(t, letters, "decision-"+number+".pdf")
	// The agent reads e-mails masked: the notices section says where a notice went as the rules allow.
	require.Contains(t, notices, "decision → complainant i•••@example.com")
	require.NotContains(t, notices, "iryna@example.com")
	require.Contains(t, notices, "decision → respondent")
	var pdf []byte
	require.NoError(t, env.Pool.QueryRow(bg, `SELECT data FROM complaint_files WHERE complaint_id = $1 AND kind = 'letter'`, id).Scan(&pdf))
	require.True(t, strings.HasPrefix(string(pdf), "%PDF"))
}
