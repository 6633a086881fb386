// Package apikeys holds business clients' API keys: generated once and shown once, kept only as a
// SHA-256 hash with a visible prefix to find them by, named, scoped, rate-limited per key, and
// revocable. Actions made with a key count as the client's own (RULES.md §5).
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
)

// Scopes a key may carry: what the platform API lets it do.
const (
	OrdersRead      = "orders:read"      // orders, their history, waybills and handover acts
	OrdersWrite     = "orders:write"     // create and cancel orders
	ComplaintsRead  = "complaints:read"  // the client's complaints with their deadlines
	ComplaintsWrite = "complaints:write" // file complaints
	FinanceRead     = "finance:read"     // the mutual-settlement statement and its act
	WebhooksManage  = "webhooks:manage"  // register, rotate and remove webhook endpoints
)

// Scopes lists every scope.
var Scopes = []string{OrdersRead, OrdersWrite, ComplaintsRead, ComplaintsWrite, FinanceRead, WebhooksManage}

// DefaultRate is a new key's limit in requests per minute.
const DefaultRate = 120

// Key is a key as staff see it: never the secret.
type Key struct {
	ID          int64
	AccountID   int64
	AccountName string
	Name        string
	Prefix      string
	Scopes      []string
	RatePerMin  int
	CreatedBy   string
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

// A key reads "pdk_<12 hex>_<43 base64url>": the prefix finds the row, the whole is hashed.
var keyShape = regexp.MustCompile(`^(pdk_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$`)

// Hash is what is stored for a key.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// newKey makes a fresh key and its prefix.
func newKey() (key, prefix string, err error) {
	p := make([]byte, 6)
	s := make([]byte, 32)
	if _, err = rand.Read(p); err != nil {
		return "", "", err
	}
	if _, err = rand.Read(s); err != nil {
		return "", "", err
	}
	prefix = "pdk_" + hex.EncodeToString(p)
	return prefix + "_" + base64.RawURLEncoding.EncodeToString(s), prefix, nil
}

// Request is what staff fill in to generate a key.
type Request struct {
	AccountID  int64
	Name       string
	Scopes     []string
	RatePerMin int
}

// Generate makes a key for a business client and returns it with the secret: the only time the
// secret exists outside the client's hands.
func Generate(ctx context.Context, tx pgx.Tx, r Request) (Key, string, error) {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len([]rune(r.Name)) > 100 {
		return Key{}, "", apperr.InvalidField("name", "apikeys.name_required")
	}
	if len(r.Scopes) == 0 {
		return Key{}, "", apperr.InvalidField("scope", "apikeys.scope_required")
	}
	for _, s := range r.Scopes {
		if !slices.Contains(Scopes, s) {
			return Key{}, "", apperr.InvalidField("scope", "apikeys.scope_required")
		}
	}
	slices.Sort(r.Scopes)
	r.Scopes = slices.Compact(r.Scopes)
	if r.RatePerMin == 0 {
		r.RatePerMin = DefaultRate
	}
	if r.RatePerMin < 1 || r.RatePerMin > 100000 {
		return Key{}, "", apperr.InvalidField("rate", "apikeys.rate_range")
	}
	var kind, status string
	var business bool
	err := tx.QueryRow(ctx, `SELECT kind, business, status FROM accounts WHERE id = $1`, r.AccountID).Scan(&kind, &business, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return Key{}, "", apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return Key{}, "", err
	}
	if kind != "client" || !business {
		return Key{}, "", apperr.New(apperr.Conflict, "apikeys.business_only")
	}
	if status == "deleted" {
		return Key{}, "", apperr.New(apperr.Conflict, "accounts.deleted_refused")
	}
	secret, prefix, err := newKey()
	if err != nil {
		return Key{}, "", err
	}
	var by *int64
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		by = &a.ID
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO api_keys (account_id, name, prefix, secret_hash, scopes, rate_per_min, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, r.AccountID, r.Name, prefix, Hash(secret), r.Scopes, r.RatePerMin, by).Scan(&id); err != nil {
		return Key{}, "", err
	}
	if err := audit.Record(ctx, tx, "apikeys.generate", "api_key", id, nil,
		map[string]any{"account_id": r.AccountID, "name": r.Name, "prefix": prefix, "scopes": r.Scopes, "rate_per_min": r.RatePerMin}); err != nil {
		return Key{}, "", err
	}
	k, err := Get(ctx, tx, id)
	return k, secret, err
}

// Revoke stops a key for good.
func Revoke(ctx context.Context, tx pgx.Tx, id int64) (Key, error) {
	var by *int64
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		by = &a.ID
	}
	tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, id, by)
	if err != nil {
		return Key{}, err
	}
	k, err := Get(ctx, tx, id)
	if err != nil {
		return Key{}, err
	}
	if tag.RowsAffected() == 0 {
		return Key{}, apperr.New(apperr.Conflict, "apikeys.already_revoked")
	}
	return k, audit.Record(ctx, tx, "apikeys.revoke", "api_key", id, nil, map[string]any{"account_id": k.AccountID, "prefix": k.Prefix})
}

const keyColumns = `k.id, k.account_id, a.name, k.name, k.prefix, k.scopes, k.rate_per_min, coalesce(s.name, ''), k.created_at, k.last_used_at, k.revoked_at`
const keyFrom = ` FROM api_keys k JOIN accounts a ON a.id = k.account_id LEFT JOIN staff s ON s.id = k.created_by `

func scanKey(row pgx.CollectableRow) (Key, error) {
	var k Key
	err := row.Scan(&k.ID, &k.AccountID, &k.AccountName, &k.Name, &k.Prefix, &k.Scopes, &k.RatePerMin, &k.CreatedBy, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// Get loads one key.
func Get(ctx context.Context, q db.Querier, id int64) (Key, error) {
	rows, err := q.Query(ctx, `SELECT `+keyColumns+keyFrom+`WHERE k.id = $1`, id)
	if err != nil {
		return Key{}, err
	}
	k, err := pgx.CollectExactlyOneRow(rows, scanKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return Key{}, apperr.New(apperr.NotFound, "error.not_found")
	}
	return k, err
}

// ForAccount lists a client's keys, newest first.
func ForAccount(ctx context.Context, q db.Querier, account int64) ([]Key, error) {
	rows, err := q.Query(ctx, `SELECT `+keyColumns+keyFrom+`WHERE k.account_id = $1 ORDER BY k.id DESC`, account)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanKey)
}

// List lists every key, newest first, one page at a time (Before: keyset cursor).
func List(ctx context.Context, q db.Querier, activeOnly bool, before int64, limit int) ([]Key, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := "true"
	if activeOnly {
		where = "k.revoked_at IS NULL"
	}
	if before > 0 {
		where += " AND k.id < @before"
	}
	rows, err := q.Query(ctx, `SELECT `+keyColumns+keyFrom+`WHERE `+where+` ORDER BY k.id DESC LIMIT @limit`,
		pgx.NamedArgs{"before": before, "limit": limit + 1})
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scanKey)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(list) > limit {
		list = list[:limit]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

// Principal is who calls the API: a key and the client it belongs to.
type Principal struct {
	KeyID     int64
	AccountID int64
	Prefix    string
	Scopes    []string
	Limit     int       // requests per minute
	Used      int       // in the current window, this request included
	Reset     time.Time // when the window ends
}

// Has tells whether the key carries scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Authenticate finds the key, counts the request in its one-minute window and records the last
// use, in one statement. An unknown, malformed or revoked key is Unauthorized; a key over its
// limit is TooMany (the Principal still says when the window resets).
func Authenticate(ctx context.Context, q db.Querier, key string) (Principal, error) {
	m := keyShape.FindStringSubmatch(key)
	if m == nil {
		return Principal{}, apperr.New(apperr.Unauthorized, "api.key_invalid")
	}
	var p Principal
	var window time.Time
	err := q.QueryRow(ctx, `
		UPDATE api_keys SET
			window_count = CASE WHEN window_start = date_trunc('minute', now()) THEN window_count + 1 ELSE 1 END,
			window_start = date_trunc('minute', now()),
			last_used_at = now()
		WHERE prefix = $1 AND secret_hash = $2 AND revoked_at IS NULL
		RETURNING id, account_id, prefix, scopes, rate_per_min, window_count, window_start`, m[1], Hash(key)).
		Scan(&p.KeyID, &p.AccountID, &p.Prefix, &p.Scopes, &p.Limit, &p.Used, &window)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, apperr.New(apperr.Unauthorized, "api.key_invalid")
	}
	if err != nil {
		return Principal{}, err
	}
	p.Reset = window.Add(time.Minute)
	if p.Used > p.Limit {
		return p, apperr.New(apperr.TooMany, "api.rate_limited")
	}
	return p, nil
}
