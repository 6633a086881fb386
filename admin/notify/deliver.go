package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postdesk/postdesk/admin/clock"
)

// Mail is one e-mail to send.
type Mail struct {
	ID          ID
	To          string
	Subject     string
	Text        string
	HTML        string
	Attachments []MailFile
}

// MailFile is an attachment's name, type and bytes, read when the mail is sent.
type MailFile struct {
	Name, ContentType string
	Data              []byte
}

// SMSMessage is one SMS to send; Sender is the platform's sender name.
type SMSMessage struct {
	ID   ID
	To   string
	Text string
}

// Result is what a provider said about one message.
type Result struct {
	ProviderID string
	Err        error
	// Temporary failures are tried again; permanent ones (a bad address, a refusal) are not.
	Temporary bool
}

// Mailer sends a batch of e-mails, over one connection where it can, with a result per mail.
type Mailer interface {
	SendMail(ctx context.Context, mails []Mail) []Result
}

// SMSSender sends one SMS.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMSMessage) Result
}

// Delivery sends outbox rows through the channels and records what happened to each.
type Delivery struct {
	Mail Mailer
	SMS  SMSSender
	// Backoff is the wait before attempt n+1 after n failed ones (default: 30 s, 2 min, 10 min, 30 min, 2 h).
	Backoff func(attempt int) time.Duration
	// BulkRate caps advertising and news notices per second in this process (0: no cap).
	BulkRate float64
	Log      *slog.Logger
	// Loc is the platform's zone, for times in messages.
	Loc *time.Location
	// Attachments read the files notices carry, by source (the composition root lists the desks'
	// sources: the complaint decision letter is one).
	Attachments map[string]AttachmentLoader
	// Now is the portal's clock, for the next attempt's time.
	Now func() time.Time

	mu       sync.Mutex
	bulkNext time.Time
}

// DefaultBackoff spaces retries out over a few hours.
func DefaultBackoff(attempt int) time.Duration {
	steps := []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(steps) {
		return steps[len(steps)-1]
	}
	return steps[attempt-1] //nolint:gosec // G602: attempt is clamped to 1..len(steps) above
}

type claimed struct {
	id          ID
	channel     Channel
	address     string
	template    string
	data        map[string]any
	lang        string
	kind        Kind
	attempts    int
	maxAttempts int
	attachments []Attachment
}

type outcome struct {
	claimed
	res Result
	ms  int
}

// Deliver tries the given rows once: it claims those still due (a row claimed elsewhere or
// already sent is left alone, so a job that runs twice sends nothing twice), drops advertising
// whose consent was withdrawn, renders, sends, and records each result; temporary failures are
// rescheduled with a new job until the attempts run out.
func (d *Delivery) Deliver(ctx context.Context, pool *pgxpool.Pool, ids []ID, bulk bool) error {
	if len(ids) == 0 {
		return nil
	}
	var rows []claimed
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE notifications n SET status = 'skipped', last_error = 'no consent', updated_at = now()
			FROM accounts a
			WHERE n.id = ANY ($1) AND n.status IN ('pending', 'retry') AND n.kind = 'advertising' AND a.id = n.account_id
			  AND (a.status = 'deleted' OR NOT CASE n.channel WHEN 'email' THEN a.consent_email ELSE a.consent_sms END)`, ids); err != nil {
			return err
		}
		r, err := tx.Query(ctx, `
			UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1, updated_at = now()
			FROM (SELECT id FROM notifications WHERE id = ANY ($1) AND status IN ('pending', 'retry')
			      AND next_attempt_at <= now() + interval '2 seconds' ORDER BY id FOR UPDATE SKIP LOCKED) c
			WHERE n.id = c.id
			RETURNING n.id, n.channel, n.address, n.template, n.data, n.lang, n.kind, n.attempts, n.max_attempts, n.attachments`, ids)
		if err != nil {
			return err
		}
		rows, err = pgx.CollectRows(r, func(row pgx.CollectableRow) (claimed, error) {
			var c claimed
			err := row.Scan(&c.id, &c.channel, &c.address, &c.template, &c.data, &c.lang, &c.kind, &c.attempts, &c.maxAttempts, &c.attachments)
			return c, err
		})
		return err
	})
	if err != nil || len(rows) == 0 {
		return err
	}
	if bulk {
		if err := d.waitBulk(ctx, len(rows)); err != nil {
			return d.record(ctx, pool, failAll(rows, err, true))
		}
	}
	return d.record(ctx, pool, d.send(ctx, pool, rows))
}

// send renders and sends the claimed rows, e-mails as one batch.
func (d *Delivery) send(ctx context.Context, pool *pgxpool.Pool, rows []claimed) []outcome {
	out := make([]outcome, 0, len(rows))
	var mails []Mail
	var mailRows []claimed
	for _, c := range rows {
		m, err := Render(c.template, c.lang, d.Loc, c.data)
		if err != nil {
			out = append(out, outcome{claimed: c, res: Result{Err: err}})
			continue
		}
		switch c.channel {
		case Email:
			if d.Mail == nil {
				out = append(out, outcome{claimed: c, res: Result{Err: fmt.Errorf("no e-mail channel in this process"), Temporary: true}})
				continue
			}
			files, err := d.attachmentsOf(ctx, pool, c.attachments)
			if err != nil {
				out = append(out, outcome{claimed: c, res: Result{Err: err, Temporary: true}})
				continue
			}
			mails = append(mails, Mail{ID: c.id, To: c.address, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Attachments: files})
			mailRows = append(mailRows, c)
		case SMS:
			if d.SMS == nil {
				out = append(out, outcome{claimed: c, res: Result{Err: fmt.Errorf("no SMS channel in this process"), Temporary: true}})
				continue
			}
			start := time.Now()
			res := d.SMS.SendSMS(ctx, SMSMessage{ID: c.id, To: c.address, Text: m.SMS})
			out = append(out, outcome{claimed: c, res: res, ms: int(time.Since(start).Milliseconds())})
		}
	}
	if len(mails) > 0 {
		start := time.Now()
		results := d.Mail.SendMail(ctx, mails)
		ms := int(time.Since(start).Milliseconds()) / len(mails)
		for i, c := range mailRows {
			res := Result{Err: fmt.Errorf("no result from the mailer"), Temporary: true}
			if i < len(results) {
				res = results[i]
			}
			out = append(out, outcome{claimed: c, res: res, ms: ms})
		}
	}
	return out
}

// attachmentsOf reads a notice's attachments from their sources.
func (d *Delivery) attachmentsOf(ctx context.Context, pool *pgxpool.Pool, list []Attachment) ([]MailFile, error) {
	files := make([]MailFile, 0, len(list))
	for _, a := range list {
		load, ok := d.Attachments[a.Source]
		if !ok {
			return nil, fmt.Errorf("attachment %q: no source %q in this process", a.Name, a.Source)
		}
		data, err := load(ctx, pool, a.ID)
		if err != nil {
			return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
		files = append(files, MailFile{Name: a.Name, ContentType: a.ContentType, Data: data})
	}
	return files, nil
}

func failAll(rows []claimed, err error, temporary bool) []outcome {
	out := make([]outcome, len(rows))
	for i, c := range rows {
		out[i] = outcome{claimed: c, res: Result{Err: err, Temporary: temporary}}
	}
	return out
}

// record writes every outcome and the attempts in one transaction, and queues the retries on it.
func (d *Delivery) record(ctx context.Context, pool *pgxpool.Pool, outs []outcome) error {
	backoff := d.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	now := clock.Or(d.Now)
	n := len(outs)
	ids, statuses, pids, errs := make([]ID, n), make([]string, n), make([]string, n), make([]string, n)
	nexts, oks, temps, mss := make([]time.Time, n), make([]bool, n), make([]bool, n), make([]int32, n)
	type retryKey struct {
		queue string
		at    time.Time
	}
	retries := map[retryKey][]ID{}
	for i, o := range outs {
		ids[i], pids[i], nexts[i], mss[i] = o.id, o.res.ProviderID, now, int32(o.ms)
		switch {
		case o.res.Err == nil:
			statuses[i], oks[i] = StatusSent, true
		case o.res.Temporary && o.attempts < o.maxAttempts:
			statuses[i], temps[i] = StatusRetry, true
			nexts[i] = now.Add(backoff(o.attempts)).Truncate(time.Second)
			q := QueueService
			if o.kind == Advertising {
				q = QueueBulk
			}
			k := retryKey{q, nexts[i]}
			retries[k] = append(retries[k], o.id)
		default:
			statuses[i], temps[i] = StatusFailed, o.res.Temporary
		}
		if o.res.Err != nil {
			errs[i] = truncate(o.res.Err.Error(), 1000)
		}
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE notifications n SET status = v.status, provider_id = v.pid, last_error = v.err, next_attempt_at = v.next,
				sent_at = CASE WHEN v.status = 'sent' THEN $6::timestamptz END, updated_at = now()
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS v(id, status, pid, err, next)
			WHERE n.id = v.id`, ids, statuses, pids, errs, nexts, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO notification_attempts (notification_id, ok, temporary, provider_id, error, ms)
			SELECT * FROM unnest($1::bigint[], $2::boolean[], $3::boolean[], $4::text[], $5::text[], $6::int[])`,
			ids, oks, temps, pids, errs, mss); err != nil {
			return err
		}
		keys := make([]retryKey, 0, len(retries))
		for k := range retries {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].at.Before(keys[j].at) })
		for _, k := range keys {
			if err := queueTx(ctx, tx, retries[k], k.at, k.queue); err != nil {
				return err
			}
		}
		return nil
	})
}

// waitBulk holds bulk sending to BulkRate messages per second in this process.
func (d *Delivery) waitBulk(ctx context.Context, n int) error {
	if d.BulkRate <= 0 {
		return nil
	}
	d.mu.Lock()
	now := time.Now()
	if d.bulkNext.Before(now) {
		d.bulkNext = now
	}
	at := d.bulkNext
	d.bulkNext = d.bulkNext.Add(time.Duration(float64(n) / d.BulkRate * float64(time.Second)))
	d.mu.Unlock()
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Sweep re-queues what no job will pick up: rows due for over a minute (their job was lost, or
// they were written without a River client) and rows stuck in sending for ten minutes (the
// process died mid-send: they are tried again, so a provider may rarely see a message twice).
func Sweep(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	total := 0
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			UPDATE notifications SET status = 'retry', last_error = 'delivery interrupted; trying again', next_attempt_at = now(), updated_at = now()
			WHERE status = 'sending' AND updated_at < now() - interval '10 minutes'
			  AND attempts < max_attempts`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE notifications SET status = 'failed', last_error = 'delivery interrupted; no attempts left', updated_at = now()
			WHERE status = 'sending' AND updated_at < now() - interval '10 minutes'`); err != nil {
			return err
		}
		for _, kind := range []Kind{Service, Advertising} {
			rows, err := tx.Query(ctx, `
				SELECT id FROM notifications WHERE status IN ('pending', 'retry') AND kind = $1
				  AND next_attempt_at < now() - interval '1 minute' ORDER BY id LIMIT 20000`, kind)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[ID])
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				continue
			}
			// Pushing next_attempt_at on keeps the next sweep from queueing them again.
			if _, err := tx.Exec(ctx, `UPDATE notifications SET next_attempt_at = now() WHERE id = ANY ($1)`, ids); err != nil {
				return err
			}
			q := QueueService
			if kind == Advertising {
				q = QueueBulk
			}
			if err := queueTx(ctx, tx, ids, time.Time{}, q); err != nil {
				return err
			}
			total += len(ids)
		}
		return nil
	})
	return total, err
}
