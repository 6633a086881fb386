// Package funding is finance's manual funding desk (RULES.md §3.1, §3.2): a top-up recorded by hand
// (gateway clearing → the user's available money, for a payment the gateway did not report) and
// promo credit granted to a courier (promo expense → the courier's promo). Every request gives its
// reason; above the threshold a second officer approves it (maker–checker); both are audited.
package funding

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// Kind is what a request funds.
type Kind string

const (
	TopUp Kind = "top_up" // gateway clearing → the user's available money (clients and couriers)
	Promo Kind = "promo"  // promo expense → a courier's promo credit
)

// Request is what an officer enters.
type Request struct {
	Kind      Kind
	AccountID int64
	Amount    int64
	Reason    string
	// Key is the form's idempotency key: the same form submitted twice records one request.
	Key string
}

// Funding is one request as staff see it.
type Funding struct {
	ID            int64
	Kind          Kind
	AccountID     int64
	AccountName   string
	Amount        int64
	Reason        string
	State         string
	NeedsApproval bool
	RequestedBy   int64
	RequestedName string
	RequestedAt   time.Time
	DecidedName   string
	RefuseReason  string
	TransferID    *int64
}

// Threshold is the amount above which a second officer approves (settings funding.approval_threshold).
func Threshold(ctx context.Context, q db.Querier) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT (value #>> '{}')::bigint FROM settings WHERE key = 'funding.approval_threshold'), 500000)`).Scan(&v)
	return v, err
}

// Place records a request; below the threshold the money moves at once, in the same transaction.
func Place(ctx context.Context, pool *pgxpool.Pool, req Request) (Funding, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Funding{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	req.Reason, req.Key = strings.TrimSpace(req.Reason), strings.TrimSpace(req.Key)
	switch {
	case req.Kind != TopUp && req.Kind != Promo:
		return Funding{}, apperr.InvalidField("kind", "funding.kind_unknown")
	case req.Amount <= 0:
		return Funding{}, apperr.InvalidField("amount", "funding.amount_positive")
	case req.Reason == "":
		return Funding{}, apperr.InvalidField("reason", "funding.reason_required")
	case len(req.Key) > 200:
		return Funding{}, apperr.InvalidField("", "funding.bad_key")
	}
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if req.Key != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM funding_requests WHERE requested_by = $1 AND request_key = $2`, a.ID, req.Key).Scan(&id)
			if err == nil {
				return nil // the same form again: the first request stands
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		var kind string
		err := tx.QueryRow(ctx, `SELECT kind FROM accounts WHERE id = $1 FOR SHARE`, req.AccountID).Scan(&kind)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.InvalidField("account", "funding.account_not_found")
		}
		if err != nil {
			return err
		}
		if req.Kind == Promo && kind != "courier" {
			return apperr.InvalidField("kind", "funding.promo_couriers_only")
		}
		threshold, err := Threshold(ctx, tx)
		if err != nil {
			return err
		}
		needs := req.Amount > threshold
		if err := tx.QueryRow(ctx, `INSERT INTO funding_requests (kind, account_id, amount, reason, state, needs_approval, request_key, requested_by)
			VALUES ($1, $2, $3, $4, 'pending_approval', $5, nullif($6, ''), $7) RETURNING id`,
			req.Kind, req.AccountID, req.Amount, req.Reason, needs, req.Key, a.ID).Scan(&id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "funding.requested", "funding_request", id, nil, req); err != nil {
			return err
		}
		if !needs {
			return post(ctx, tx, id, a.ID)
		}
		return nil
	})
	if db.IsUniqueViolation(err, "funding_requests_key_idx") {
		err = pool.QueryRow(ctx, `SELECT id FROM funding_requests WHERE requested_by = $1 AND request_key = $2`, a.ID, req.Key).Scan(&id)
	}
	if err != nil {
		return Funding{}, err
	}
	return Get(ctx, pool, id)
}

// post moves the money of request id and marks it posted. The transfer's key is the request's, so
// it can never be posted twice.
func post(ctx context.Context, tx pgx.Tx, id, by int64) error {
	var kind Kind
	var account, amount int64
	if err := tx.QueryRow(ctx, `SELECT kind, account_id, amount FROM funding_requests WHERE id = $1`, id).Scan(&kind, &account, &amount); err != nil {
		return err
	}
	acc, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(account))
	if err != nil {
		return err
	}
	plat, err := ledger.Platform(ctx, tx)
	if err != nil {
		return err
	}
	legs, reason := ledger.Move(plat.GatewayClearing, acc.Available, ledger.Minor(amount)), "top_up"
	if kind == Promo {
		legs, reason = ledger.Move(plat.PromoExpense, acc.Promo, ledger.Minor(amount)), "promo_grant"
	}
	t, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "funding:" + strconv.FormatInt(id, 10), Reason: reason,
		Legs: legs, CreatedBy: ledger.StaffID(by)})
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE funding_requests SET state = 'posted', transfer_id = $2 WHERE id = $1`, id, t.ID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "funding.posted", "funding_request", id, nil, map[string]any{"transfer": t.ID, "kind": kind, "amount": amount})
}

// Decide approves (posting the money) or refuses, with a reason, a request awaiting a second
// officer. The requester can never decide their own request.
func Decide(ctx context.Context, pool *pgxpool.Pool, id int64, approve bool, reason string) (Funding, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Funding{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return Funding{}, apperr.InvalidField("reason", "funding.reason_required")
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var state string
		var requester int64
		err := tx.QueryRow(ctx, `SELECT state, requested_by FROM funding_requests WHERE id = $1 FOR UPDATE`, id).Scan(&state, &requester)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "funding.not_found")
		}
		if err != nil {
			return err
		}
		if state != "pending_approval" {
			return apperr.New(apperr.Conflict, "funding.not_pending")
		}
		if requester == a.ID {
			return apperr.New(apperr.Forbidden, "funding.own_request")
		}
		if approve {
			if _, err := tx.Exec(ctx, `UPDATE funding_requests SET decided_by = $2, decided_at = now() WHERE id = $1`, id, a.ID); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, "funding.approved", "funding_request", id, nil, nil); err != nil {
				return err
			}
			return post(ctx, tx, id, a.ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE funding_requests SET state = 'refused', decided_by = $2, decided_at = now(), refuse_reason = $3
			WHERE id = $1`, id, a.ID, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "funding.refused", "funding_request", id, nil, map[string]any{"reason": reason})
	})
	if err != nil {
		return Funding{}, err
	}
	return Get(ctx, pool, id)
}

const columns = `f.id, f.kind, f.account_id, a.name, f.amount, f.reason, f.state, f.needs_approval, f.requested_by, rs.name,
	f.requested_at, coalesce(ds.name, ''), coalesce(f.refuse_reason, ''), f.transfer_id
	FROM funding_requests f JOIN accounts a ON a.id = f.account_id JOIN staff rs ON rs.id = f.requested_by
	LEFT JOIN staff ds ON ds.id = f.decided_by`

func scan(row pgx.CollectableRow) (Funding, error) {
	var f Funding
	err := row.Scan(&f.ID, &f.Kind, &f.AccountID, &f.AccountName, &f.Amount, &f.Reason, &f.State, &f.NeedsApproval, &f.RequestedBy,
		&f.RequestedName, &f.RequestedAt, &f.DecidedName, &f.RefuseReason, &f.TransferID)
	return f, err
}

// Get returns one request, as the viewer may see it.
func Get(ctx context.Context, q db.Querier, id int64) (Funding, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` WHERE f.id = $1`, id)
	if err != nil {
		return Funding{}, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return Funding{}, apperr.New(apperr.NotFound, "funding.not_found")
	}
	f.AccountName = actor.ViewOf(ctx).Apply("account", "name", f.AccountName)
	return f, err
}

// List returns the newest requests.
func List(ctx context.Context, q db.Querier, limit int) ([]Funding, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+` ORDER BY f.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scan)
	v := actor.ViewOf(ctx)
	for i := range list {
		list[i].AccountName = v.Apply("account", "name", list[i].AccountName)
	}
	return list, err
}
