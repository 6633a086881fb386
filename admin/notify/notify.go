// Package notify is the notification outbox: every notice to a platform user (order events, holds,
// blocks, complaint steps, payouts, news) is a row per recipient and channel, written with EnqueueTx
// in the same transaction as its cause, and delivered by River jobs (jobs/notify_send.go) through
// the e-mail (SMTP) and SMS (HTTP provider) channels. A cause that rolls back leaves no row and no
// job, so nothing is ever sent for it. Each row keeps its status, attempts, provider id and errors.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/i18n"
)

// ID is a notification's id.
type ID = int64

// Channel is how a notice travels.
type Channel string

const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Kind decides whether consent is needed: service notices always go, advertising (news included)
// only to users who consented on that channel.
type Kind string

const (
	Service     Kind = "service"
	Advertising Kind = "advertising"
)

// Statuses of an outbox row.
const (
	StatusPending = "pending" // written, not tried yet
	StatusSending = "sending" // claimed by a worker
	StatusRetry   = "retry"   // a temporary failure; tried again at next_attempt_at
	StatusSent    = "sent"
	StatusFailed  = "failed"  // a permanent failure, or the attempts ran out
	StatusSkipped = "skipped" // no address, no consent, or the account was deleted
)

// Queues: service notices are not held up behind a news fan-out of 100,000.
const (
	QueueService = "notify"
	QueueBulk    = "notify_bulk"
)

// Notice is one message to one recipient: an account (address, phone and language come from it)
// or a bare address. Data fills the template.
type Notice struct {
	AccountID int64
	Email     string // used when there is no account (or to override its address)
	Phone     string
	// Channels to send on; empty means e-mail.
	Channels []Channel
	Template string
	Data     map[string]any
	Kind     Kind   // Service unless said otherwise
	Lang     string // empty: the account's language, else Ukrainian
	// Cause names what the notice is about, e.g. "block:12" or "order:PD00000001".
	Cause string
	// MaxAttempts before a row shows failed (default 5).
	MaxAttempts int
	NewsID      int64
	// Attachments go with the e-mail (an SMS carries none).
	Attachments []Attachment
}

// Attachment is a file sent with an e-mail notice, named by the desk that keeps it: Source is
// one of the Delivery's Attachments, which reads the bytes by ID when the notice is sent.
type Attachment struct {
	Source      string `json:"source"`
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
}

// AttachmentLoader reads one attachment's bytes.
type AttachmentLoader func(ctx context.Context, q db.Querier, id int64) ([]byte, error)

// QueueJobTx inserts any desk's River job on tx through the same client (desks never import jobs).
// Without a client it is an error: the job would silently never run.
func QueueJobTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	ins := enqueue.From(ctx)
	if ins == nil {
		return errors.New("notify: no River client to queue " + args.Kind())
	}
	_, err := ins.InsertTx(ctx, tx, args, opts)
	return err
}

// SendArgs is the delivery job: the outbox rows to try. Its worker lives in jobs/notify_send.go.
type SendArgs struct {
	IDs []ID `json:"ids"`
}

func (SendArgs) Kind() string { return "notify_send" }

// queueTx inserts delivery jobs for ids on tx, in batches of BatchSize, to run at (zero: now).
func queueTx(ctx context.Context, tx pgx.Tx, ids []ID, at time.Time, queue string) error {
	ins := enqueue.From(ctx)
	if ins == nil || len(ids) == 0 {
		return nil
	}
	var params []river.InsertManyParams
	for start := 0; start < len(ids); start += BatchSize {
		end := min(start+BatchSize, len(ids))
		opts := &river.InsertOpts{Queue: queue, MaxAttempts: 3}
		if !at.IsZero() {
			opts.ScheduledAt = at
		}
		params = append(params, river.InsertManyParams{Args: SendArgs{IDs: append([]ID(nil), ids[start:end]...)}, InsertOpts: opts})
	}
	_, err := ins.InsertManyTx(ctx, tx, params)
	return err
}

// QueueSendTx queues delivery jobs for rows written by other means than EnqueueTx (a bulk
// INSERT ... SELECT), on the same transaction.
func QueueSendTx(ctx context.Context, tx pgx.Tx, ids []ID, queue string) error {
	return queueTx(ctx, tx, ids, time.Time{}, queue)
}

// BatchSize is how many rows one delivery job takes: e-mails in a batch share one SMTP connection.
const BatchSize = 50

// recipient is what EnqueueTx reads of an account.
type recipient struct {
	email, phone, lang, status string
	consentEmail, consentSMS   bool
}

// EnqueueTx writes the notice to the outbox on tx, one row per channel, and queues its delivery on
// the same transaction. A channel without an address, or advertising without consent, is written
// as skipped (so staff see why nothing went). It returns the rows' ids.
func EnqueueTx(ctx context.Context, tx pgx.Tx, n Notice) ([]ID, error) {
	if n.Kind == "" {
		n.Kind = Service
	}
	if n.Kind != Service && n.Kind != Advertising {
		return nil, fmt.Errorf("notify: unknown kind %q", n.Kind)
	}
	if !HasTemplate(n.Template) {
		return nil, fmt.Errorf("notify: unknown template %q", n.Template)
	}
	if len(n.Channels) == 0 {
		n.Channels = []Channel{Email}
	}
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = DefaultMaxAttempts
	}
	var r recipient
	if n.AccountID != 0 {
		err := tx.QueryRow(ctx, `SELECT coalesce(email, ''), phone, lang, status, consent_email, consent_sms FROM accounts WHERE id = $1`, n.AccountID).
			Scan(&r.email, &r.phone, &r.lang, &r.status, &r.consentEmail, &r.consentSMS)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, apperr.Errorf(apperr.NotFound, "notify: account %d not found", n.AccountID)
		}
		if err != nil {
			return nil, err
		}
	} else if n.Kind == Advertising {
		return nil, errors.New("notify: advertising needs an account, whose consent it checks")
	}
	if n.Email != "" {
		r.email = n.Email
	}
	if n.Phone != "" {
		r.phone = n.Phone
	}
	lang := n.Lang
	if lang == "" {
		lang = r.lang
	}
	lang = i18n.Normalize(lang)
	data, err := json.Marshal(n.Data)
	if err != nil {
		return nil, err
	}
	if n.Data == nil {
		data = []byte("{}")
	}
	for _, a := range n.Attachments {
		if a.Source == "" || a.Name == "" {
			return nil, fmt.Errorf("notify: attachment %q without a name or source %q", a.Name, a.Source)
		}
	}
	attachments, err := json.Marshal(n.Attachments)
	if err != nil {
		return nil, err
	}
	if n.Attachments == nil {
		attachments = []byte("[]")
	}
	var createdBy *int64
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		createdBy = &a.ID
	}

	var ids, due []ID
	for _, ch := range n.Channels {
		address, consent := r.email, r.consentEmail
		switch ch {
		case Email:
		case SMS:
			address, consent = r.phone, r.consentSMS
		default:
			return nil, fmt.Errorf("notify: unknown channel %q", ch)
		}
		status, why := StatusPending, ""
		switch {
		case r.status == "deleted":
			status, why = StatusSkipped, "account deleted"
		case strings.TrimSpace(address) == "":
			status, why = StatusSkipped, "no address"
		case n.Kind == Advertising && !consent:
			status, why = StatusSkipped, "no consent"
		}
		var accountID *int64
		if n.AccountID != 0 {
			accountID = &n.AccountID
		}
		var newsID *int64
		if n.NewsID != 0 {
			newsID = &n.NewsID
		}
		files := attachments
		if ch != Email {
			files = []byte("[]")
		}
		var id ID
		err := tx.QueryRow(ctx, `
			INSERT INTO notifications (account_id, channel, address, template, data, lang, kind, status, last_error, max_attempts, cause, news_id, created_by, attachments)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			accountID, ch, address, n.Template, data, lang, n.Kind, status, why, n.MaxAttempts, n.Cause, newsID, createdBy, files).Scan(&id)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		if status == StatusPending {
			due = append(due, id)
		}
	}
	queue := QueueService
	if n.Kind == Advertising {
		queue = QueueBulk
	}
	return ids, queueTx(ctx, tx, due, time.Time{}, queue)
}

// DefaultMaxAttempts is how often a notice is tried before it shows failed.
const DefaultMaxAttempts = 5

// Row is an outbox row as staff see it.
type Row struct {
	ID            ID
	AccountID     *int64
	Channel       Channel
	Address       string
	Template      string
	Data          map[string]any
	Lang          string
	Kind          Kind
	Status        string
	Attempts      int
	MaxAttempts   int
	NextAttemptAt time.Time
	ProviderID    string
	LastError     string
	Cause         string
	NewsID        *int64
	ResendOf      *int64
	CreatedAt     time.Time
	SentAt        *time.Time
	Attachments   []Attachment
}

const rowColumns = `id, account_id, channel, address, template, data, lang, kind, status, attempts, max_attempts,
	next_attempt_at, provider_id, last_error, cause, news_id, resend_of, created_at, sent_at, attachments`

func scanRow(row pgx.CollectableRow) (Row, error) {
	var r Row
	err := row.Scan(&r.ID, &r.AccountID, &r.Channel, &r.Address, &r.Template, &r.Data, &r.Lang, &r.Kind, &r.Status,
		&r.Attempts, &r.MaxAttempts, &r.NextAttemptAt, &r.ProviderID, &r.LastError, &r.Cause, &r.NewsID, &r.ResendOf,
		&r.CreatedAt, &r.SentAt, &r.Attachments)
	return r, err
}

// Get loads one outbox row.
func Get(ctx context.Context, q db.Querier, id ID) (Row, error) {
	rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM notifications WHERE id = $1`, id)
	if err != nil {
		return Row{}, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanRow)
	if errors.Is(err, pgx.ErrNoRows) {
		return Row{}, apperr.New(apperr.NotFound, "error.not_found")
	}
	return r, err
}

// Filter narrows the outbox list.
type Filter struct {
	AccountID int64
	Status    string
	Channel   string
	Template  string
	Cause     string
	Before    ID // keyset
	Limit     int
}

// List returns outbox rows newest first, and the cursor of the next page (0 at the end).
func List(ctx context.Context, q db.Querier, f Filter) ([]Row, ID, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args := pgx.NamedArgs{"limit": f.Limit + 1}
	where := []string{"true"}
	add := func(cond, name string, v any) {
		where = append(where, cond)
		args[name] = v
	}
	if f.AccountID != 0 {
		add("account_id = @account", "account", f.AccountID)
	}
	switch f.Status {
	case StatusPending, StatusSending, StatusRetry, StatusSent, StatusFailed, StatusSkipped:
		add("status = @status", "status", f.Status)
	}
	if f.Channel == string(Email) || f.Channel == string(SMS) {
		add("channel = @channel", "channel", f.Channel)
	}
	if f.Template != "" {
		add("template = @template", "template", f.Template)
	}
	if f.Cause != "" {
		add("cause = @cause", "cause", f.Cause)
	}
	if f.Before > 0 {
		add("id < @before", "before", f.Before)
	}
	rows, err := q.Query(ctx, `SELECT `+rowColumns+` FROM notifications WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT @limit`, args)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scanRow)
	if err != nil {
		return nil, 0, err
	}
	var next ID
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

// Attempt is one try at delivering a row.
type Attempt struct {
	At         time.Time
	OK         bool
	Temporary  bool
	ProviderID string
	Error      string
	Ms         int
}

// Attempts lists a row's tries, oldest first.
func Attempts(ctx context.Context, q db.Querier, id ID) ([]Attempt, error) {
	rows, err := q.Query(ctx, `SELECT at, ok, temporary, provider_id, error, ms FROM notification_attempts WHERE notification_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attempt, error) {
		var a Attempt
		err := row.Scan(&a.At, &a.OK, &a.Temporary, &a.ProviderID, &a.Error, &a.Ms)
		return a, err
	})
}

// ResendTx writes a copy of row id as a new pending row (resend_of points back) and queues it.
// The address is read again from the account, so a corrected address is used.
func ResendTx(ctx context.Context, tx pgx.Tx, id ID) (ID, error) {
	old, err := Get(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if old.Status == StatusPending || old.Status == StatusSending || old.Status == StatusRetry {
		return 0, apperr.New(apperr.Conflict, "notify.resend_in_flight")
	}
	n := Notice{Channels: []Channel{old.Channel}, Template: old.Template, Data: old.Data, Kind: old.Kind, Lang: old.Lang, Cause: old.Cause,
		Attachments: old.Attachments}
	if old.AccountID != nil {
		n.AccountID = *old.AccountID
	} else if old.Channel == Email {
		n.Email = old.Address
	} else {
		n.Phone = old.Address
	}
	ids, err := EnqueueTx(ctx, tx, n)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE notifications SET resend_of = $2 WHERE id = $1`, ids[0], id); err != nil {
		return 0, err
	}
	return ids[0], nil
}
