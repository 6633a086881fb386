package ledger

import (
	"context"
	"errors"
	"fmt"
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
	if req.Amount <= 0 {
		return HoldResult{}, apperr.InvalidField("amount", "a hold must be for a positive amount")
	}
	if req.From == req.To {
		return HoldResult{}, apperr.New(apperr.Invalid, "a hold moves money between two accounts")
	}
	t := TransferRequest{Key: req.Key, Reason: req.Reason, Legs: Move(req.From, req.To, req.Amount),
		Links: req.Links, CreatedBy: req.CreatedBy}
	if err := t.validate(); err != nil {
		return HoldResult{}, err
	}
	res, err := post(ctx, tx, t, t.hash("hold"), func(acc map[AccountID]lockedAccount) error {
		from, to := acc[req.From], acc[req.To]
		switch {
		case from.kind != UserAvailable && from.kind != Promo:
			return apperr.New(apperr.Invalid, "a hold takes money from an available or promo account")
		case to.kind != UserHeld && to.kind != CourierDeposit:
			return apperr.New(apperr.Invalid, "a hold puts money into a held or deposit account")
		case from.owner != to.owner:
			return apperr.New(apperr.Invalid, "a hold keeps money with its owner")
		}
		return nil
	})
	if err != nil {
		return HoldResult{}, err
	}
	if res.Replayed {
		h, err := holdBy(ctx, tx, "h.idempotency_key = $1", req.Key)
		return HoldResult{Hold: h.Hold, Transfer: res}, err
	}
	h, err := collectHold(tx.Query(ctx, `
		INSERT INTO ledger_holds AS h (idempotency_key, source_account_id, held_account_id, amount, place_transfer_id, order_ref, created_at)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7)
		RETURNING `+holdColumns, req.Key, req.From, req.To, req.Amount, res.ID, req.OrderRef, res.CreatedAt))
	if err != nil {
		return HoldResult{}, fmt.Errorf("ledger: record hold %q: %w", req.Key, err)
	}
	return HoldResult{Hold: h.Hold, Transfer: res}, nil
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
func CaptureHold(ctx context.Context, tx pgx.Tx, req CaptureRequest) (HoldResult, error) {
	if len(req.To) == 0 {
		return HoldResult{}, apperr.New(apperr.Invalid, "a capture needs a destination")
	}
	for _, l := range req.To {
		if l.Amount <= 0 {
			return HoldResult{}, apperr.New(apperr.Invalid, "capture amounts must be positive")
		}
	}
	return resolve(ctx, tx, req.Hold, HoldCaptured, func(h Hold) (TransferRequest, error) {
		var sum Minor
		for _, l := range req.To {
			sum += l.Amount
		}
		if sum != h.Amount {
			return TransferRequest{}, apperr.Errorf(apperr.Invalid, "a capture takes the whole hold: %s, not %s", h.Amount, sum)
		}
		legs := append([]Leg{{Account: h.To, Amount: -h.Amount}}, req.To...)
		return TransferRequest{Key: req.Key, Reason: req.Reason, Legs: legs, Links: req.Links, CreatedBy: req.CreatedBy}, nil
	})
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
	return resolve(ctx, tx, req.Hold, HoldReleased, func(h Hold) (TransferRequest, error) {
		return TransferRequest{Key: req.Key, Reason: req.Reason, Legs: Move(h.To, h.From, h.Amount),
			Links: req.Links, CreatedBy: req.CreatedBy}, nil
	})
}

// resolve locks the hold, so two resolutions of one hold queue up and the second sees the first,
// then posts the transfer build makes and marks the hold resolved.
func resolve(ctx context.Context, tx pgx.Tx, id HoldID, to HoldState, build func(Hold) (TransferRequest, error)) (HoldResult, error) {
	h, err := holdBy(ctx, tx, "h.id = $1 FOR UPDATE OF h", id)
	if err != nil {
		return HoldResult{}, err
	}
	t, err := build(h.Hold)
	if err != nil {
		return HoldResult{}, err
	}
	if t.OrderRef == "" && t.ComplaintID == 0 && t.PayoutID == 0 {
		t.OrderRef = h.OrderRef
	}
	if err := t.validate(); err != nil {
		return HoldResult{}, err
	}
	// The hold and the outcome are part of the content: a key cannot capture one hold and then
	// release it, or capture another.
	hash := t.hash(fmt.Sprintf("%s:%d", to, h.ID))

	if h.State != HoldOpen {
		if h.resolveKey != t.Key {
			return HoldResult{}, apperr.Errorf(apperr.Conflict, "hold %d is already %s", h.ID, h.State)
		}
		// The same key again: a retry if the content matches, a conflict if not.
		res, err := post(ctx, tx, t, hash, nil)
		return HoldResult{Hold: h.Hold, Transfer: res}, err
	}

	res, err := post(ctx, tx, t, hash, nil)
	if err != nil {
		return HoldResult{}, err
	}
	if res.Replayed {
		// The key was posted, yet the hold we hold locked is open: the key belongs to another movement.
		return HoldResult{}, apperr.Errorf(apperr.Conflict, "idempotency key %q was already used for a different transfer", t.Key)
	}
	h, err = collectHold(tx.Query(ctx, `
		UPDATE ledger_holds AS h SET state = $2, resolve_transfer_id = $3, resolved_at = $4
		WHERE id = $1 AND state = 'open'
		RETURNING `+holdColumns, h.ID, to, res.ID, res.CreatedAt))
	if err != nil {
		return HoldResult{}, fmt.Errorf("ledger: resolve hold %d: %w", id, err)
	}
	return HoldResult{Hold: h.Hold, Transfer: res}, nil
}

// GetHold returns a hold by id.
func GetHold(ctx context.Context, q db.Querier, id HoldID) (Hold, error) {
	h, err := holdBy(ctx, q, "h.id = $1", id)
	return h.Hold, err
}

// HoldByKey returns the hold placed under key.
func HoldByKey(ctx context.Context, q db.Querier, key string) (Hold, error) {
	h, err := holdBy(ctx, q, "h.idempotency_key = $1", key)
	return h.Hold, err
}

const holdColumns = `h.id, h.idempotency_key, h.source_account_id, h.held_account_id, h.amount, h.state,
	h.place_transfer_id, coalesce(h.resolve_transfer_id, 0), coalesce(h.order_ref, ''), h.created_at,
	h.resolved_at,
	coalesce((SELECT idempotency_key FROM ledger_transfers WHERE id = h.resolve_transfer_id), '')`

// holdRow is a hold with the key of the transfer that resolved it.
type holdRow struct {
	Hold
	resolveKey string
}

func holdBy(ctx context.Context, q db.Querier, where string, arg any) (holdRow, error) {
	h, err := collectHold(q.Query(ctx, `SELECT `+holdColumns+` FROM ledger_holds AS h WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return holdRow{}, apperr.Errorf(apperr.NotFound, "hold %v not found", arg)
	}
	return h, err
}

func collectHold(rows pgx.Rows, err error) (holdRow, error) {
	if err != nil {
		return holdRow{}, err
	}
	return pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (holdRow, error) {
		var h holdRow
		var resolved *time.Time
		err := row.Scan(&h.ID, &h.Key, &h.From, &h.To, &h.Amount, &h.State, &h.PlaceTransfer,
			&h.ResolveTransfer, &h.OrderRef, &h.CreatedAt, &resolved, &h.resolveKey)
		if resolved != nil {
			h.ResolvedAt = *resolved
		}
		return h, err
	})
}
