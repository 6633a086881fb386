package notify_test

import (
	"context"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/jobs"
)

func subjectOf(t *testing.T, data string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	require.NoError(t, err)
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	return s
}

func TestEveryTemplateHasEveryLanguageAndRenders(t *testing.T) {
	keys := notify.TemplateKeys()
	require.NotEmpty(t, keys)
	sample := map[string]any{"name": "Олена", "whole": false, "functions": []any{"payouts", "api"}, "reason": "law",
		"until": "2026-12-01T10:00:00Z", "title": "T", "text": "body", "html": "<p>body</p>", "subject": "S"}
	mine := map[string]bool{"account_blocked": true, "account_unblocked": true, "news": true, "message": true}
	for _, k := range keys {
		require.True(t, notify.HasTemplate(k), "%s lacks a language", k)
		for _, l := range i18n.Langs {
			m, err := notify.Render(k, l, time.UTC, sample)
			require.NoError(t, err, "%s.%s", k, l)
			require.NotEmpty(t, m.Subject, "%s.%s subject", k, l)
			require.NotEmpty(t, m.SMS, "%s.%s sms", k, l)
			if !mine[k] {
				continue // other desks' templates take their own data
			}
			require.NotContains(t, m.Text+m.Subject+m.SMS, "accounts.", "%s.%s: an untranslated key", k, l)
			require.NotContains(t, m.Text+m.Subject+m.SMS, "<no value>", "%s.%s", k, l)
		}
	}
	m, err := notify.Render("account_blocked", "uk", time.UTC, sample)
	require.NoError(t, err)
	require.Contains(t, m.Text, "виплати, доступ до API")
	require.Contains(t, m.Text, "2026-12-01", "the end date in the platform's zone")
}

// A notice whose cause rolled back leaves no outbox row and no job: it can never be sent.
func TestRolledBackCauseIsNeverSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	id := f.account(t, "en", false, false)
	errCause := errors.New("the cause failed")
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := notify.EnqueueTx(ctx, tx, notify.Notice{AccountID: id, Channels: []notify.Channel{notify.Email, notify.SMS},
			Template: "message", Data: map[string]any{"subject": "s", "text": "t"}}); err != nil {
			return err
		}
		return errCause
	})
	require.ErrorIs(t, err, errCause)
	require.Zero(t, f.count(t, `SELECT count(*) FROM notifications`))
	require.Zero(t, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify_send'`))
	n, err := notify.Sweep(ctx, f.pool)
	require.NoError(t, err)
	require.Zero(t, n)

	// The same notice committed: one row per channel, and their delivery job, together.
	ids := f.enqueue(t, notify.Notice{AccountID: id, Channels: []notify.Channel{notify.Email, notify.SMS}, Template: "message",
		Data: map[string]any{"subject": "s", "text": "t"}})
	require.Len(t, ids, 2)
	require.Equal(t, 2, f.count(t, `SELECT count(*) FROM notifications WHERE status = 'pending'`))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify_send' AND queue = 'notify'`))
}

// E-mail goes through a real SMTP conversation and SMS through the provider's HTTP API; each row
// records its provider id; the user's language picks the template.
func TestDeliverEmailAndSMS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms, ss := newMailServer(t), newSMSServer(t)
	d := &notify.Delivery{Mail: ms.mailer(), SMS: ss.sender()}
	id := f.account(t, "ru", false, false)
	ids := f.enqueue(t, notify.Notice{AccountID: id, Channels: []notify.Channel{notify.Email, notify.SMS}, Template: "account_blocked",
		Data: map[string]any{"name": "Анна", "whole": true, "reason": "law"}, Cause: "block:1"})
	require.NoError(t, d.Deliver(context.Background(), f.pool, ids, false))

	for _, nid := range ids {
		r := f.row(t, nid)
		require.Equal(t, notify.StatusSent, r.Status, r.LastError)
		require.Equal(t, 1, r.Attempts)
		require.NotEmpty(t, r.ProviderID)
		require.NotNil(t, r.SentAt)
	}
	got := ms.messages()
	require.Len(t, got, 1)
	require.Equal(t, []string{f.row(t, ids[0]).Address}, got[0].to)
	require.Equal(t, "Ваш аккаунт Postdesk: аккаунт заблокирован", subjectOf(t, got[0].data))
	sms := ss.messages()
	require.Len(t, sms, 1)
	require.Equal(t, "Postdesk", sms[0]["from"], "SMS carry the platform's sender name")
	require.Contains(t, sms[0]["text"], "заблокирован")
	require.Equal(t, "sms-1", f.row(t, ids[1]).ProviderID)

	// Delivering the same rows again (a job run twice) sends nothing more.
	require.NoError(t, d.Deliver(context.Background(), f.pool, ids, false))
	require.Len(t, ms.messages(), 1)
	require.Len(t, ss.messages(), 1)
}

// A temporary failure is tried again and again, and shows failed when the attempts run out; a
// permanent refusal fails at once; a provider that recovers delivers on a later attempt.
func TestFailedSendRetriesThenShowsFailed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms, ss := newMailServer(t), newSMSServer(t)
	d := &notify.Delivery{Mail: ms.mailer(), SMS: ss.sender(), Backoff: func(int) time.Duration { return time.Minute }}
	ctx := f.ctx

	down := f.account(t, "en", false, false)
	ms.tempFail[f.row(t, f.enqueue(t, notify.Notice{AccountID: down, Template: "message", Data: map[string]any{"subject": "probe", "text": "x"}})[0]).Address] = 0
	ids := f.enqueue(t, notify.Notice{AccountID: down, Template: "message", Data: map[string]any{"subject": "s", "text": "t"}, MaxAttempts: 3})
	addr := f.row(t, ids[0]).Address
	ms.mu.Lock()
	ms.tempFail[addr] = 100
	ms.mu.Unlock()
	for attempt := 1; attempt <= 3; attempt++ {
		f.due(t, ids)
		require.NoError(t, d.Deliver(ctx, f.pool, ids, false))
		r := f.row(t, ids[0])
		require.Equal(t, attempt, r.Attempts)
		if attempt < 3 {
			require.Equal(t, notify.StatusRetry, r.Status)
			require.True(t, r.NextAttemptAt.After(time.Now().Add(50*time.Second)), "the next try waits for the backoff")
			require.Contains(t, r.LastError, "451")
			// Not due yet: a job arriving early sends nothing.
			require.NoError(t, d.Deliver(ctx, f.pool, ids, false))
			require.Equal(t, attempt, f.row(t, ids[0]).Attempts)
		} else {
			require.Equal(t, notify.StatusFailed, r.Status)
		}
	}
	require.Equal(t, 3, f.count(t, `SELECT count(*) FROM notification_attempts WHERE notification_id = $1 AND NOT ok AND temporary`, ids[0]))
	// Each retry was queued as a River job at its time, in the same transaction as the result.
	require.Equal(t, 2, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify_send' AND state = 'scheduled' AND args->'ids' @> to_jsonb($1::bigint)`, ids[0]))

	// A refused number fails at once, without retries.
	refused := f.account(t, "en", false, false)
	sms := f.enqueue(t, notify.Notice{AccountID: refused, Channels: []notify.Channel{notify.SMS}, Template: "message", Data: map[string]any{"text": "t"}})
	ss.mu.Lock()
	ss.refuse[f.row(t, sms[0]).Address] = true
	ss.mu.Unlock()
	require.NoError(t, d.Deliver(ctx, f.pool, sms, false))
	r := f.row(t, sms[0])
	require.Equal(t, notify.StatusFailed, r.Status)
	require.Equal(t, 1, r.Attempts)
	require.Contains(t, r.LastError, "400")

	// Resend after the failure: a new row, pending, pointing back.
	var newID notify.ID
	require.NoError(t, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) (err error) { newID, err = notify.ResendTx(ctx, tx, sms[0]); return err }))
	nr := f.row(t, newID)
	require.Equal(t, notify.StatusPending, nr.Status)
	require.Equal(t, sms[0], *nr.ResendOf)
}

// The whole loop with River workers: a provider that fails twice delivers on the third attempt,
// and a mailbox that keeps failing ends failed, with no test driving the retries.
func TestRetriesRunThroughRiver(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms, ss := newMailServer(t), newSMSServer(t)
	d := &notify.Delivery{Mail: ms.mailer(), SMS: ss.sender(), Backoff: func(int) time.Duration { return 200 * time.Millisecond }}
	client, err := jobs.New(f.pool, jobs.Options{Work: true, Workers: 4, Delivery: d})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { jobs.Stop(client, 5*time.Second, nil) })

	flaky := f.account(t, "uk", false, false)
	var phone, email string
	require.NoError(t, f.pool.QueryRow(ctx, `SELECT phone, email FROM accounts WHERE id = $1`, flaky).Scan(&phone, &email))
	ss.mu.Lock()
	ss.failures[phone] = 2
	ss.mu.Unlock()
	ms.mu.Lock()
	ms.tempFail[email] = 100
	ms.mu.Unlock()
	ids := f.enqueue(t, notify.Notice{AccountID: flaky, Channels: []notify.Channel{notify.Email, notify.SMS}, Template: "message",
		Data: map[string]any{"subject": "s", "text": "t"}, MaxAttempts: 3})
	waitFor(t, 30*time.Second, func() bool {
		return f.row(t, ids[0]).Status == notify.StatusFailed && f.row(t, ids[1]).Status == notify.StatusSent
	})
	require.Equal(t, 3, f.row(t, ids[0]).Attempts)
	require.Equal(t, 3, f.row(t, ids[1]).Attempts)
	require.Len(t, ss.messages(), 1)
}

// Service notices always go; advertising only on the channels the user consented to, checked
// again when sending (consent withdrawn in between stops it).
func TestConsentRespected(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ms, ss := newMailServer(t), newSMSServer(t)
	d := &notify.Delivery{Mail: ms.mailer(), SMS: ss.sender()}
	ctx := f.ctx
	both := []notify.Channel{notify.Email, notify.SMS}
	data := map[string]any{"subject": "sale", "text": "buy"}

	none := f.account(t, "en", false, false)
	ids := f.enqueue(t, notify.Notice{AccountID: none, Channels: both, Template: "message", Data: data, Kind: notify.Advertising})
	for _, id := range ids {
		r := f.row(t, id)
		require.Equal(t, notify.StatusSkipped, r.Status)
		require.Equal(t, "no consent", r.LastError)
	}
	svc := f.enqueue(t, notify.Notice{AccountID: none, Channels: both, Template: "message", Data: data, Kind: notify.Service})
	require.NoError(t, d.Deliver(ctx, f.pool, svc, false))
	require.Equal(t, notify.StatusSent, f.row(t, svc[0]).Status)
	require.Equal(t, notify.StatusSent, f.row(t, svc[1]).Status)

	emailOnly := f.account(t, "en", true, false)
	ids = f.enqueue(t, notify.Notice{AccountID: emailOnly, Channels: both, Template: "message", Data: data, Kind: notify.Advertising})
	require.Equal(t, notify.StatusPending, f.row(t, ids[0]).Status)
	require.Equal(t, notify.StatusSkipped, f.row(t, ids[1]).Status)

	// Consent withdrawn before the job runs: nothing goes.
	_, err := f.pool.Exec(ctx, `UPDATE accounts SET consent_email = false WHERE id = $1`, emailOnly)
	require.NoError(t, err)
	before := len(ms.messages())
	require.NoError(t, d.Deliver(ctx, f.pool, ids, true))
	require.Equal(t, notify.StatusSkipped, f.row(t, ids[0]).Status)
	require.Len(t, ms.messages(), before)
	require.Len(t, ss.messages(), 1)
}

// The sweep re-queues rows whose job was lost and rows left in sending by a crashed process.
func TestSweepRequeuesStrandedRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	id := f.account(t, "en", false, false)
	ids := f.enqueue(t, notify.Notice{AccountID: id, Channels: []notify.Channel{notify.Email, notify.SMS}, Template: "message", Data: map[string]any{"subject": "s", "text": "t"}})
	_, err := f.pool.Exec(ctx, `DELETE FROM river_job`)
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE notifications SET next_attempt_at = now() - interval '5 minutes' WHERE id = $1`, ids[0])
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE notifications SET status = 'sending', attempts = 1, updated_at = now() - interval '1 hour' WHERE id = $1`, ids[1])
	require.NoError(t, err)
	n, err := notify.Sweep(ctx, f.pool)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the due row is queued now")
	require.Equal(t, notify.StatusRetry, f.row(t, ids[1]).Status, "the stranded row is tried again")
	n, err = notify.Sweep(ctx, f.pool)
	require.NoError(t, err)
	require.Zero(t, n, "not queued twice")
}

func TestEnqueueRefusesWhatCannotBeSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		_, err := notify.EnqueueTx(ctx, tx, notify.Notice{Email: "x@example.com", Template: "no_such_template"})
		return err
	})
	require.ErrorContains(t, err, "unknown template")
	// A bare address works for service notices.
	ids := f.enqueue(t, notify.Notice{Email: "ops@example.com", Template: "message", Data: map[string]any{"subject": "s", "text": "t"}, Lang: "uk"})
	require.Equal(t, "ops@example.com", f.row(t, ids[0]).Address)
	// No phone given and no account: the SMS row says why it was not sent.
	ids = f.enqueue(t, notify.Notice{Email: "ops@example.com", Channels: []notify.Channel{notify.SMS}, Template: "message"})
	require.Equal(t, "no address", f.row(t, ids[0]).LastError)
}
