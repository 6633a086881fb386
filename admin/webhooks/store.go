package webhooks

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/enqueue"
)

// Delivery is one outbox row.
type Delivery struct {
	ID            int64
	MsgID         string
	EndpointID    int64
	EndpointURL   string
	AccountID     int64
	AccountName   string
	EventType     string
	Cause         string
	Body          string
	Status        string
	Attempts      int
	MaxAttempts   int
	NextAttemptAt time.Time
	LastCode      *int
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// Attempt is one try at a delivery.
type Attempt struct {
	At       time.Time
	Code     *int
	OK       bool
	Error    string
	Response string
	Ms       int
}

const deliveryCols = `d.id, d.msg_id, d.endpoint_id, e.url, d.account_id, a.name, d.event_type, d.cause, d.body, d.status, d.attempts,
	d.max_attempts, d.next_attempt_at, d.last_code, d.last_error, d.created_at, d.sent_at`
const deliveryFrom = ` FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN accounts a ON a.id = d.account_id `

func scanDelivery(row pgx.CollectableRow) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.MsgID, &d.EndpointID, &d.EndpointURL, &d.AccountID, &d.AccountName, &d.EventType, &d.Cause, &d.Body,
		&d.Status, &d.Attempts, &d.MaxAttempts, &d.NextAttemptAt, &d.LastCode, &d.LastError, &d.CreatedAt, &d.SentAt)
	return d, err
}

// Filter narrows the deliveries list.
type Filter struct {
	AccountID  int64
	EndpointID int64
	Status     string
	Event      string
	Before     int64 // keyset
	Limit      int
}

// Statuses of a delivery.
var Statuses = []string{"pending", "sending", "retry", "sent", "failed"}

// List returns deliveries newest first and the cursor of the next page (0 at the end).
func List(ctx context.Context, q db.Querier, f Filter) ([]Delivery, int64, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args := pgx.NamedArgs{"limit": f.Limit + 1}
	where := []string{"true"}
	if f.AccountID != 0 {
		where = append(where, "d.account_id = @account")
		args["account"] = f.AccountID
	}
	if f.EndpointID != 0 {
		where = append(where, "d.endpoint_id = @endpoint")
		args["endpoint"] = f.EndpointID
	}
	for _, s := range Statuses {
		if f.Status == s {
			where = append(where, "d.status = @status")
			args["status"] = s
		}
	}
	for _, e := range Events {
		if f.Event == e {
			where = append(where, "d.event_type = @event")
			args["event"] = e
		}
	}
	if f.Before > 0 {
		where = append(where, "d.id < @before")
		args["before"] = f.Before
	}
	rows, err := q.Query(ctx, `SELECT `+deliveryCols+deliveryFrom+`WHERE `+strings.Join(where, " AND ")+` ORDER BY d.id DESC LIMIT @limit`, args)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

// GetDelivery loads one delivery.
func GetDelivery(ctx context.Context, q db.Querier, id int64) (Delivery, error) {
	rows, err := q.Query(ctx, `SELECT `+deliveryCols+deliveryFrom+`WHERE d.id = $1`, id)
	if err != nil {
		return Delivery{}, err
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		return Delivery{}, apperr.New(apperr.NotFound, "error.not_found")
	}
	return d, err
}

// Attempts lists a delivery's tries, oldest first.
func Attempts(ctx context.Context, q db.Querier, id int64) ([]Attempt, error) {
	rows, err := q.Query(ctx, `SELECT at, code, ok, error, response, ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attempt, error) {
		var a Attempt
		err := row.Scan(&a.At, &a.Code, &a.OK, &a.Error, &a.Response, &a.Ms)
		return a, err
	})
}

// ResendTx sends a finished delivery again: the same message (its webhook-id unchanged, so the
// receiver can tell it is the one it may already have), with a fresh count of attempts.
func ResendTx(ctx context.Context, tx pgx.Tx, jobs enqueue.Inserter, id int64) error {
	if jobs == nil {
		return apperr.New(apperr.Internal, "webhooks.no_jobs")
	}
	var maxAttempts int
	err := tx.QueryRow(ctx, `UPDATE webhook_deliveries d SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = ''
		FROM webhook_endpoints e
		WHERE d.id = $1 AND e.id = d.endpoint_id AND d.status IN ('sent', 'failed') AND e.deleted_at IS NULL
		RETURNING d.max_attempts`, id).Scan(&maxAttempts)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := GetDelivery(ctx, tx, id); err != nil {
			return err
		}
		return apperr.New(apperr.Conflict, "webhooks.resend_refused")
	}
	if err != nil {
		return err
	}
	if _, err := jobs.InsertTx(ctx, tx, DeliverArgs{DeliveryID: id}, &river.InsertOpts{Queue: Queue, MaxAttempts: maxAttempts}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "webhooks.resend", "webhook_delivery", id, nil, nil)
}

// StatusCounts counts the deliveries by status, for the staff list's tabs.
func StatusCounts(ctx context.Context, q db.Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT status, count(*) FROM webhook_deliveries GROUP BY status`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var s string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&s, &n}, func() error { out[s] = n; return nil })
	return out, err
}
