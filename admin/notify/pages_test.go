package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// Staff see the outbox with addresses as their field rules allow, a notice's attempts, and what
// the catcher caught; a support lead can send a failed notice again, an agent cannot.
func TestOutboxPages(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var account int64
	var email string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, email FROM accounts WHERE kind = 'client' AND email IS NOT NULL ORDER BY id LIMIT 1`).Scan(&account, &email))
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO notifications (account_id, channel, address, template, data, lang, kind, status, attempts, last_error)
		VALUES ($1, 'email', $2, 'message', '{"subject": "Parcel delayed", "text": "Sorry."}', 'en', 'service', 'failed', 5, '451 try again later') RETURNING id`,
		account, email).Scan(&id))
	_, err := env.Pool.Exec(ctx, `INSERT INTO notification_attempts (notification_id, ok, temporary, error) VALUES ($1, false, true, '451 try again later')`, id)
	require.NoError(t, err)
	_, err = env.Pool.Exec(ctx, `INSERT INTO caught_messages (channel, sender, recipients, subject, body) VALUES ('email', 'noreply@postdesk.local', $1, 'Caught subject', 'Caught body')`, []string{email})
	require.NoError(t, err)

	agent := env.Login("agent@demo.postdesk")
	r := agent.Get("/notifications")
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, r.Body, email, "agents see e-mails masked")
	r = agent.Get(fmt.Sprintf("/notifications/%d", id))
	require.Contains(t, r.Body, "Parcel delayed", "the message is rendered from its template")
	require.Contains(t, r.Body, "451 try again later")
	require.NotContains(t, r.Body, `id="resend"`)
	require.Equal(t, http.StatusForbidden, agent.PostForm(fmt.Sprintf("/notifications/%d/resend", id), nil).Status)
	r = agent.Get("/notifications/caught")
	require.Contains(t, r.Body, "Caught subject")
	require.NotContains(t, r.Body, email)

	lead := env.Login("lead@demo.postdesk")
	r = lead.Get(fmt.Sprintf("/notifications/%d", id))
	require.Contains(t, r.Body, email, "leads read e-mails whole")
	require.Contains(t, r.Body, `id="resend"`)
	r = lead.PostForm(fmt.Sprintf("/notifications/%d/resend", id), nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var n int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE resend_of = $1 AND status = 'pending'`, id).Scan(&n))
	require.Equal(t, 1, n)
}
