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
	"github.com/postdesk/postdesk/admin/notify"
)

type okMailer struct{}

func (okMailer) SendMail(_ context.Context, mails []notify.Mail) []notify.Result {
	return make([]notify.Result, len(mails))
}

// Issue 14, item 15: the complaint's page says when the decision notice was delivered — "not
// delivered yet" while its e-mails are queued — and each notice's delivery time.
func TestComplaintPageShowsNoticeDelivery(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	env.Clock.Freeze(time.Date(2026, 12, 4, 10, 0, 0, 0, kyiv))
	var id int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review') ORDER BY id LIMIT 1`).Scan(&id))
	page := "/complaints/" + itoa(id)
	lead := env.Login("lead@demo.postdesk")
	r := lead.PostForm(page+"/decision", url.Values{"outcome": {"rejected"}, "reasoning": {"Не підтверджено."}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	store := &complaints.Store{Pool: env.Pool, Loc: kyiv, Now: env.Clock.Now}
	require.NoError(t, store.MakeLetter(ctx, id))

	r = lead.Get(page)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "not delivered yet")

	env.Clock.Freeze(time.Date(2026, 12, 5, 9, 15, 0, 0, kyiv))
	var ids []int64
	rows, err := env.Pool.Query(ctx, `SELECT notification_id FROM complaint_notices WHERE complaint_id = $1 AND purpose = 'decision'`, id)
	require.NoError(t, err)
	for rows.Next() {
		var n int64
		require.NoError(t, rows.Scan(&n))
		ids = append(ids, n)
	}
	require.NoError(t, rows.Err())
	d := &notify.Delivery{Mail: okMailer{}, Now: env.Clock.Now, Attachments: map[string]notify.AttachmentLoader{complaints.LetterSource: complaints.LetterFile}}
	require.NoError(t, d.Deliver(ctx, env.Pool, ids, false))

	r = lead.Get(page)
	require.NotContains(t, r.Body, "not delivered yet")
	require.Regexp(t, `Notice delivered</dt><dd>2026-12-05 09:15</dd>`, r.Body)
	require.Contains(t, r.Body, "delivered 2026-12-05 09:15")
	require.Contains(t, r.Body, "Decision notice delivered")
}
