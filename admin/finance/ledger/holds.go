package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
)

// HoldState is where a hold is in its life: open, then captured or released, once.
type HoldState string

const (
	HoldOpen     HoldState = "open"
	HoldCaptured HoldState = "captured"
	HoldReleased HoldState = "released"
)

// Hold is money set aside from a user's account until an event decides where it goes.
type Hold struct {
	ID              HoldID
	Key             string
	From            AccountID // where the money came from and returns to on release
	To              AccountID // the held account: user_held or courier_deposit
	Amount          Minor
	State           HoldState
	PlaceTransfer   TransferID
	ResolveTransfer TransferID // 0 while open
	OrderRef        string
	CreatedAt       time.Time
	ResolvedAt      time.Time // zero while open
}

// HoldRequest places a hold: Amount moves from From (user_available or promo) to To (user_held or
// courier_deposit) of the same user.
type HoldRequest struct {
	Key      string
	From, To AccountID
	Amount   Minor
	Reason   string
	Links
	CreatedBy StaffID
}

// HoldResult is the hold and the transfer that placed or resolved it.
type HoldResult struct {
	Hold     Hold
	Transfer TransferResult
}

// PlaceHold moves the amount aside, refusing with ErrInsufficient when From is short. The key
// names both the hold and its transfer; a retry returns the original hold.
func PlaceHold(ctx context.Context, tx pgx.Tx, req HoldRequest) (HoldResult, error) {
	return Post(ctx, tx, HoldPosting(req))
}

// CaptureRequest sends a hold's whole amount to its destinations, e.g. the courier's share and the
// platform's commission. Amounts in To are positive and sum to the hold's amount.
type CaptureRequest struct {
	Key    string
	Hold   HoldID
	To     []Leg
	Reason string
	// Links default to the hold's order when empty.
	Links
	CreatedBy StaffID
}

// CaptureHold resolves an open hold by paying it out. Capturing or releasing a resolved hold is a
// conflict, except the same request retried under the same key, which returns the first result.
// The database locks the hold first, so two resolutions of one hold queue up and the second sees
// the first.
func CaptureHold(ctx context.Context, tx pgx.Tx, req CaptureRequest) (HoldResult, error) {
	return Post(ctx, tx, CapturePosting(req))
}

// ReleaseRequest returns a hold's money to where it came from.
type ReleaseRequest struct {
	Key    string
	Hold   HoldID
	Reason string
	// Links default to the hold's order when empty.
	Links
	CreatedBy StaffID
}

// ReleaseHold resolves an open hold by returning it; see CaptureHold for retries and conflicts.
func ReleaseHold(ctx context.Context, tx pgx.Tx, req ReleaseRequest) (HoldResult, error) {
	return Post(ctx, tx, ReleasePosting(req))
}

// GetHold returns a hold by id.
func GetHold(ctx context.Context, q db.Querier, id HoldID) (Hold, error) {
	return holdBy(ctx, q, "id = $1", id)
}

// HoldByKey returns the hold placed under key.
func HoldByKey(ctx context.Context, q db.Querier, key string) (Hold, error) {
	return holdBy(ctx, q, "idempotency_key = $1", key)
}

func holdBy(ctx context.Context, q db.Querier, where string, arg any) (Hold, error) {
	rows, err := q.Query(ctx, `SELECT id, idempotency_key, source_account_id, held_account_id, amount, state,
		place_transfer_id, coalesce(resolve_transfer_id, 0), coalesce(order_ref, ''), created_at, resolved_at
		FROM ledger_holds WHERE `+where, arg)
	if err != nil {
		return Hold{}, err
	}
	h, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Hold, error) {
		var h Hold
		var resolved *time.Time
		err := row.Scan(&h.ID, &h.Key, &h.From, &h.To, &h.Amount, &h.State, &h.PlaceTransfer,
			&h.ResolveTransfer, &h.OrderRef, &h.CreatedAt, &resolved)
		if resolved != nil {
			h.ResolvedAt = *resolved
		}
		return h, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Hold{}, apperr.Errorf(apperr.NotFound, "hold %v not found", arg)
	}
	return h, err
}
