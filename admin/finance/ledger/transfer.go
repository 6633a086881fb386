package ledger

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/postdesk/postdesk/admin/apperr"
)

// Leg is one side of a transfer: an account and what it receives (+) or gives (-).
type Leg struct {
	Account AccountID
	Amount  Minor
}

// Move is the common two-leg transfer: amount from one account to another.
func Move(from, to AccountID, amount Minor) []Leg {
	return []Leg{{Account: from, Amount: -amount}, {Account: to, Amount: amount}}
}

// TransferRequest asks for one balanced movement of money.
type TransferRequest struct {
	// Key names the movement, e.g. "order:42:placed". Posting the same key again returns the first
	// transfer; posting it with different content is a conflict.
	Key    string
	Reason string
	// Legs sum to zero; each account appears once.
	Legs []Leg
	Links
	CreatedBy StaffID // 0 when the system acts
	// AllowNegative lets the debited accounts go below zero: penalties are owed even when the
	// money is not there.
	AllowNegative bool
}

// TransferResult identifies the posted transfer.
type TransferResult struct {
	ID        TransferID
	CreatedAt time.Time
	// Replayed says the key was already posted with the same content: this is the original
	// transfer and nothing new was written.
	Replayed bool
}

// ErrPeriodClosed is the message of the conflict returned for a posting dated inside a closed
// reconciliation period: its correction goes into the open period.
const ErrPeriodClosed = "ledger.period_closed"

// ErrInsufficient is the message of the conflict returned when an account would go below zero.
const ErrInsufficient = "insufficient available balance"

// Transfer posts req in tx: it locks the accounts' balance rows in one global order, refuses to take
// an account below zero unless the account or the request allows it, and writes the transfer with
// its entries (see ledger_post in migrations/012_ledger_post.sql). Held money (user_held,
// courier_deposit) moves only through holds, so those accounts are refused.
//
// The locks last until tx ends. A transaction that posts several transfers takes them in several
// steps, which PostgreSQL may, rarely, answer with a deadlock error (40P01); retry the transaction.
func Transfer(ctx context.Context, tx pgx.Tx, req TransferRequest) (TransferResult, error) {
	res, err := Post(ctx, tx, TransferPosting(req))
	return res.Transfer, err
}

// post calls ledger_post (migrations/012_ledger_post.sql), the one way money moves, and reads its
// answer: the transfer, the hold when there is one, or the error the outcome means. hold is the
// hold to capture or release, 0 otherwise.
func post(ctx context.Context, tx pgx.Tx, purpose string, hold HoldID, r TransferRequest, hash []byte) (HoldResult, error) {
	accounts, amounts := splitLegs(r.Legs)
	var (
		o                 outcome
		h                 Hold
		created, resolved *time.Time
	)
	err := tx.QueryRow(ctx, `
		SELECT r.outcome, coalesce(r.account, 0), coalesce(r.transfer, 0), r.posted_at,
			coalesce((r.hold).id, 0), coalesce((r.hold).idempotency_key, ''), coalesce((r.hold).source_account_id, 0),
			coalesce((r.hold).held_account_id, 0), coalesce((r.hold).amount, 0), coalesce((r.hold).state, ''),
			coalesce((r.hold).place_transfer_id, 0), coalesce((r.hold).resolve_transfer_id, 0),
			coalesce((r.hold).order_ref, ''), (r.hold).created_at, (r.hold).resolved_at
		FROM ledger_post($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) r`,
		purpose, r.Key, hash, r.Reason, accounts, amounts, r.AllowNegative, hold,
		r.OrderRef, r.ComplaintID, r.PayoutID, r.CreatedBy,
	).Scan(&o.code, &o.account, &o.transfer.ID, &o.postedAt,
		&h.ID, &h.Key, &h.From, &h.To, &h.Amount, &h.State, &h.PlaceTransfer, &h.ResolveTransfer, &h.OrderRef, &created, &resolved)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "PD001" {
			// Dated inside a closed reconciliation period (migration 018's trigger).
			return HoldResult{}, apperr.New(apperr.Conflict, ErrPeriodClosed)
		}
		return HoldResult{}, fmt.Errorf("ledger: post %s %q: %w", purpose, r.Key, err)
	}
	if created != nil {
		h.CreatedAt = *created
	}
	if resolved != nil {
		h.ResolvedAt = *resolved
	}
	switch o.code {
	case "hold_not_found":
		return HoldResult{}, apperr.Errorf(apperr.NotFound, "hold %d not found", hold)
	case "hold_resolved":
		return HoldResult{Hold: h}, apperr.Errorf(apperr.Conflict, "hold %d is already %s", h.ID, h.State)
	case "capture_amount":
		return HoldResult{}, apperr.Errorf(apperr.Invalid, "a capture takes the whole hold: %s", h.Amount)
	}
	res, err := o.result(r.Key)
	return HoldResult{Hold: h, Transfer: res}, err
}

// maxKeyLen matches the CHECK on ledger_transfers.idempotency_key.
const maxKeyLen = 200

func (r TransferRequest) validate() error {
	if err := validateKeyReason(r.Key, r.Reason); err != nil {
		return err
	}
	if len(r.Legs) < 2 {
		return apperr.New(apperr.Invalid, "a transfer needs at least two legs")
	}
	in, out, err := sumLegs(r.Legs)
	if err != nil {
		return err
	}
	if in != out {
		return apperr.Errorf(apperr.Invalid, "transfer legs must sum to zero: %s in, %s out", in, out)
	}
	return nil
}

func validateKeyReason(key, reason string) error {
	switch {
	case key == "" || len(key) > maxKeyLen:
		return apperr.InvalidField("key", "an idempotency key of 1 to 200 characters is required")
	case reason == "":
		return apperr.InvalidField("reason", "a transfer needs a reason")
	}
	return nil
}

// splitLegs gives the legs as the two arrays the posting functions take.
func splitLegs(legs []Leg) ([]AccountID, []Minor) {
	accounts := make([]AccountID, len(legs))
	amounts := make([]Minor, len(legs))
	for i, l := range legs {
		accounts[i], amounts[i] = l.Account, l.Amount
	}
	return accounts, amounts
}

// sumLegs adds up what the legs pay in and out, refusing zero legs, an account twice, and sums
// that overflow (a wrapped sum could look balanced).
func sumLegs(legs []Leg) (in, out Minor, err error) {
	seen := make(map[AccountID]bool, len(legs))
	for _, l := range legs {
		if l.Amount == 0 {
			return 0, 0, apperr.New(apperr.Invalid, "a transfer leg must move money")
		}
		if seen[l.Account] {
			return 0, 0, apperr.Errorf(apperr.Invalid, "ledger account %d appears twice in one transfer", l.Account)
		}
		seen[l.Account] = true
		if l.Amount > 0 {
			if in > math.MaxInt64-l.Amount {
				return 0, 0, apperr.New(apperr.Invalid, "amount too large")
			}
			in += l.Amount
		} else {
			if l.Amount == math.MinInt64 || out > math.MaxInt64+l.Amount {
				return 0, 0, apperr.New(apperr.Invalid, "amount too large")
			}
			out -= l.Amount
		}
	}
	return in, out, nil
}

// hash fingerprints the request's content, for telling a retry from a different request under the
// same key. op separates operations (a hold and a plain transfer never match); legs are sorted so
// their order does not matter; who asked does not count, so a retry by a job matches.
func (r TransferRequest) hash(op string) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00%t", op, r.Reason, r.OrderRef, r.ComplaintID, r.PayoutID, r.AllowNegative)
	legs := slices.Clone(r.Legs)
	slices.SortFunc(legs, func(a, b Leg) int { return cmp.Compare(a.Account, b.Account) })
	for _, l := range legs {
		fmt.Fprintf(h, "\x00%d:%d", l.Account, l.Amount)
	}
	return h.Sum(nil)
}

// outcome is what a posting function answered: 'posted', 'replayed', or why nothing was written.
type outcome struct {
	code     string
	account  AccountID // the account a refusal is about
	transfer TransferResult
	postedAt *time.Time
}

// result turns the outcome into the transfer, or the error its caller can act on.
func (o outcome) result(key string) (TransferResult, error) {
	if o.postedAt != nil {
		o.transfer.CreatedAt = *o.postedAt
	}
	switch o.code {
	case "posted":
		return o.transfer, nil
	case "replayed":
		o.transfer.Replayed = true
		return o.transfer, nil
	case "key_conflict":
		return TransferResult{}, apperr.Errorf(apperr.Conflict, "idempotency key %q was already used for a different transfer", key)
	case "insufficient":
		e := apperr.New(apperr.Conflict, ErrInsufficient)
		e.Args = map[string]any{"account": o.account}
		return TransferResult{}, e
	case "not_found":
		return TransferResult{}, apperr.Errorf(apperr.NotFound, "ledger account %d not found", o.account)
	case "duplicate_account":
		return TransferResult{}, apperr.Errorf(apperr.Invalid, "ledger account %d appears twice in one transfer", o.account)
	case "currency":
		return TransferResult{}, apperr.New(apperr.Invalid, "a transfer cannot mix currencies")
	case "held_direct":
		return TransferResult{}, apperr.New(apperr.Invalid, "held money moves only through holds")
	case "hold_accounts":
		return TransferResult{}, apperr.New(apperr.Invalid, "a hold moves money from an available or promo account into a held or deposit account of the same owner")
	}
	return TransferResult{}, fmt.Errorf("ledger: %q: unknown outcome %q", key, o.code)
}
