package complaints_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/complaints"
)

// A mailed complaint's draft, completed by an agent who reads e-mails masked: the form does not
// prefill the log-in it cannot show whole, and leaving the field empty keeps the address the mail
// gave, not a masked one.
func TestDraftCompletedByAnAgentKeepsTheSenderUnseen(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	store := &complaints.Store{Pool: env.Pool, Loc: env.Config.TZ}
	const sender = "zyq.sender@leak.example"
	made, err := store.CreateDraft(ctx, complaints.MailDraft{MessageID: "<draft-rules@t.test>", From: sender, Subject: "A complaint",
		Body: "The parcel came open.", Date: time.Now()})
	require.NoError(t, err)
	require.True(t, made)
	var id string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id::text FROM complaints WHERE mail_from = $1`, sender).Scan(&id))

	agent := env.Login("agent@demo.postdesk")
	r := agent.Get("/complaints/" + id + "/complete")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	// The log-in is an account's e-mail, which agents read masked: not prefilled (a masked value
	// would be written back); the mail's sender is shown masked. The contact e-mails follow the
	// complaint's own rule, which agents read.
	require.Contains(t, r.Body, `name="complainant_login" type="text" value=""`)
	require.Contains(t, r.Body, `<p class="muted">z•••@leak.example</p>`)

	var courier string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT phone FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&courier))
	r = agent.PostForm("/complaints/"+id+"/complete", url.Values{"complainant_name": {"Олена Клієнтка"}, "complainant_birth": {"1990-01-02"},
		"complainant_login": {""}, "complainant_lang": {"uk"}, "respondent_login": {courier}, "order_ref": {"PD00000007"},
		"action_date": {time.Now().In(env.Config.TZ).AddDate(0, 0, -1).Format(time.DateOnly)}, "action_time": {"10:15"},
		"action_place": {"Київ"}, "action_details": {"Посилку відкрито."}, "grounds": {"Правила"}, "demands": {"Відшкодувати"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var login, state string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT complainant_login, state FROM complaints WHERE id = $1`, id).Scan(&login, &state))
	require.Equal(t, sender, login, "the address the mail gave, whole")
	require.NotEqual(t, "draft", state)
}
