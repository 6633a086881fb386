// Package webhooks tells business clients' systems what happened to their own records: order
// status changes, complaint steps and payouts. A client (through the API) or staff (on the
// account page) registers HTTPS endpoints; each event becomes a delivery in an outbox, written in
// the transaction of its cause by the database (migration 014: the triggers on the order history,
// complaint events and payouts call webhook_enqueue, which also queues the River job), so every
// path that changes those records notifies, and only the record's own account is told. Deliveries
// are signed the Standard Webhooks way (sign.go) and sent by a River job (jobs/webhooks.go) with
// retries and backoff; staff see every attempt and can send again (handlers.go).
package webhooks

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
)

// Event types an endpoint may ask for.
const (
	OrderStatus   = "order.status_changed"
	ComplaintStep = "complaint.step"
	PayoutStatus  = "payout.status_changed"
)

// Events lists every event type.
var Events = []string{OrderStatus, ComplaintStep, PayoutStatus}

// MaxEndpoints caps one account's endpoints.
const MaxEndpoints = 10

// RotationOverlap is how long the previous secret keeps signing after a rotation.
const RotationOverlap = 24 * time.Hour

// Endpoint is a registered receiver, never with its secret.
type Endpoint struct {
	ID            int64      `json:"id"`
	AccountID     int64      `json:"-"`
	URL           string     `json:"url"`
	Events        []string   `json:"events"`
	Description   string     `json:"description"`
	CreatedAt     time.Time  `json:"created_at"`
	PreviousUntil *time.Time `json:"previous_secret_until"`
	Disabled      bool       `json:"disabled"`
}

// Input is what a client or staff member registers.
type Input struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// Policy says which URLs may receive deliveries. Production needs https; tests may allow plain
// http to the loopback address.
type Policy struct {
	AllowLoopbackHTTP bool
}

// CheckURL refuses what is not an absolute https URL (or, under the test policy, http to the
// loopback address), and URLs with credentials in them.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return apperr.InvalidField("url", "webhooks.url_https")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if p.AllowLoopbackHTTP {
			if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
				return nil
			}
		}
	}
	return apperr.InvalidField("url", "webhooks.url_https")
}

func (in *Input) check(p Policy) error {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	if err := p.CheckURL(in.URL); err != nil {
		return err
	}
	if len(in.Events) == 0 {
		return apperr.InvalidField("events", "webhooks.events_required")
	}
	for _, e := range in.Events {
		if !slices.Contains(Events, e) {
			return apperr.InvalidField("events", "webhooks.events_required")
		}
	}
	slices.Sort(in.Events)
	in.Events = slices.Compact(in.Events)
	if len([]rune(in.Description)) > 200 {
		return apperr.InvalidField("description", "webhooks.description_long")
	}
	return nil
}

// By says who registers: a staff member (from ctx) or an API key.
type By struct {
	KeyID int64
}

// Register adds an endpoint for the account and returns it with its secret: the only time the
// secret is shown.
func Register(ctx context.Context, tx pgx.Tx, p Policy, account int64, in Input, by By) (Endpoint, string, error) {
	if err := in.check(p); err != nil {
		return Endpoint{}, "", err
	}
	var kind string
	var n int
	err := tx.QueryRow(ctx, `SELECT kind, (SELECT count(*) FROM webhook_endpoints WHERE account_id = a.id AND deleted_at IS NULL)
		FROM accounts a WHERE id = $1 AND status <> 'deleted' FOR UPDATE`, account).Scan(&kind, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return Endpoint{}, "", apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return Endpoint{}, "", err
	}
	if n >= MaxEndpoints {
		return Endpoint{}, "", apperr.New(apperr.Conflict, "webhooks.too_many")
	}
	secret, err := NewSecret()
	if err != nil {
		return Endpoint{}, "", err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (account_id, url, events, description, secret, created_by, created_by_key)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, 0)) RETURNING id`,
		account, in.URL, in.Events, in.Description, secret, actor.StaffID(ctx), by.KeyID).Scan(&id); err != nil {
		return Endpoint{}, "", err
	}
	if err := audit.Record(ctx, tx, "webhooks.register", "webhook_endpoint", id, nil,
		map[string]any{"account_id": account, "url": in.URL, "events": in.Events, "api_key": by.KeyID}); err != nil {
		return Endpoint{}, "", err
	}
	e, err := Get(ctx, tx, account, id)
	return e, secret, err
}

// Rotate gives the endpoint a new secret; the old one keeps signing too (both signatures are
// sent) until RotationOverlap has passed. It returns the new secret, shown once.
func Rotate(ctx context.Context, tx pgx.Tx, account, id int64, now time.Time) (Endpoint, string, error) {
	secret, err := NewSecret()
	if err != nil {
		return Endpoint{}, "", err
	}
	tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $3, secret = $4, updated_at = $5
		WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL`, id, account, now.Add(RotationOverlap), secret, now)
	if err != nil {
		return Endpoint{}, "", err
	}
	if tag.RowsAffected() == 0 {
		return Endpoint{}, "", apperr.New(apperr.NotFound, "webhooks.not_found")
	}
	if err := audit.Record(ctx, tx, "webhooks.rotate", "webhook_endpoint", id, nil, map[string]any{"account_id": account}); err != nil {
		return Endpoint{}, "", err
	}
	e, err := Get(ctx, tx, account, id)
	return e, secret, err
}

// Delete removes an endpoint: nothing more is delivered to it (deliveries already queued fail
// without being sent); its past deliveries stay for staff to see.
func Delete(ctx context.Context, tx pgx.Tx, account, id int64, now time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET deleted_at = $3, updated_at = $3 WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL`,
		id, account, now)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.NotFound, "webhooks.not_found")
	}
	return audit.Record(ctx, tx, "webhooks.delete", "webhook_endpoint", id, nil, map[string]any{"account_id": account})
}

const endpointCols = `id, account_id, url, events, description, created_at, previous_until, disabled_at IS NOT NULL`

func scanEndpoint(row pgx.CollectableRow) (Endpoint, error) {
	var e Endpoint
	err := row.Scan(&e.ID, &e.AccountID, &e.URL, &e.Events, &e.Description, &e.CreatedAt, &e.PreviousUntil, &e.Disabled)
	return e, err
}

// Get loads one of the account's endpoints; another account's is "not found".
func Get(ctx context.Context, q db.Querier, account, id int64) (Endpoint, error) {
	rows, err := q.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL`, id, account)
	if err != nil {
		return Endpoint{}, err
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
	if errors.Is(err, pgx.ErrNoRows) {
		return Endpoint{}, apperr.New(apperr.NotFound, "webhooks.not_found")
	}
	return e, err
}

// ForAccount lists the account's endpoints.
func ForAccount(ctx context.Context, q db.Querier, account int64) ([]Endpoint, error) {
	rows, err := q.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id`, account)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanEndpoint)
}
