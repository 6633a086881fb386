package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/postdesk/postdesk/admin/apperr"
)

// Posting is one movement made ready to post: a transfer, a hold, or a hold's capture or release,
// checked and fingerprinted as Transfer, PlaceHold, CaptureHold and ReleaseHold check them. Post
// posts one; PostAll posts many in one statement.
type Posting struct {
	purpose string // transfer, hold, capture, release
	hold    HoldID // the hold a capture or release resolves
	req     TransferRequest
	hash    []byte
	err     error // refused before it reaches the database
}

// Err is why the posting was refused before reaching the database, or nil.
func (p Posting) Err() error { return p.err }

// Key is the posting's idempotency key.
func (p Posting) Key() string { return p.req.Key }

// TransferPosting is Transfer's request, ready to post.
func TransferPosting(req TransferRequest) Posting {
	return Posting{purpose: "transfer", req: req, hash: req.hash("transfer"), err: req.validate()}
}

// HoldPosting is PlaceHold's request, ready to post.
func HoldPosting(req HoldRequest) Posting {
	t := TransferRequest{Key: req.Key, Reason: req.Reason, Legs: Move(req.From, req.To, req.Amount),
		Links: req.Links, CreatedBy: req.CreatedBy}
	p := Posting{purpose: "hold", req: t, hash: t.hash("hold")}
	if req.Amount <= 0 {
		p.err = apperr.InvalidField("amount", "a hold must be for a positive amount")
	} else {
		p.err = t.validate()
	}
	return p
}

// CapturePosting is CaptureHold's request, ready to post.
func CapturePosting(req CaptureRequest) Posting {
	t := TransferRequest{Key: req.Key, Reason: req.Reason, Legs: req.To, Links: req.Links, CreatedBy: req.CreatedBy}
	p := resolvePosting(req.Hold, "capture", t)
	if err := captureDestinations(req.To); err != nil {
		p.err = err
	}
	return p
}

func captureDestinations(to []Leg) error {
	if len(to) == 0 {
		return apperr.New(apperr.Invalid, "a capture needs a destination")
	}
	for _, l := range to {
		if l.Amount <= 0 {
			return apperr.New(apperr.Invalid, "capture amounts must be positive")
		}
	}
	_, _, err := sumLegs(to)
	return err
}

// ReleasePosting is ReleaseHold's request, ready to post.
func ReleasePosting(req ReleaseRequest) Posting {
	return resolvePosting(req.Hold, "release",
		TransferRequest{Key: req.Key, Reason: req.Reason, Links: req.Links, CreatedBy: req.CreatedBy})
}

// resolvePosting captures or releases hold id. The hold and the outcome are part of the content:
// one key cannot capture a hold and then release it, or capture another.
func resolvePosting(id HoldID, purpose string, t TransferRequest) Posting {
	return Posting{purpose: purpose, hold: id, req: t, hash: t.hash(fmt.Sprintf("%s:%d", purpose, id)),
		err: validateKeyReason(t.Key, t.Reason)}
}

// Post posts one posting in tx through ledger_post.
func Post(ctx context.Context, tx pgx.Tx, p Posting) (HoldResult, error) {
	if p.err != nil {
		return HoldResult{}, p.err
	}
	return post(ctx, tx, p.purpose, p.hold, p.req, p.hash)
}

// PostAll posts every posting in tx, in order, and returns their results in the same order.
//
// When each would simply post, they are written together by one call of ledger_post_many
// (migrations/030): one statement per table for all of them, which is what lets the ledger keep up
// with the machine (a transfer posted alone costs a call, most of it the executor starting); fewer
// than postTogetherFrom go one by one, which costs them no more. When
// any would not — a known key (a retry, or a conflict), a hold already resolved, an account that
// would overdraw — that call writes nothing and they are posted one by one through ledger_post, so
// each gets exactly the answer Post gives; the first error stops there and is returned, with
// everything already posted left in tx for the caller to roll back.
func PostAll(ctx context.Context, tx pgx.Tx, ps []Posting) ([]HoldResult, error) {
	for _, p := range ps {
		if p.err != nil {
			return nil, p.err
		}
	}
	if len(ps) >= postTogetherFrom {
		out, ok, err := PostTogether(ctx, tx, ps)
		if err != nil || ok {
			return out, err
		}
	}
	out := make([]HoldResult, 0, len(ps))
	for _, p := range ps {
		r, err := Post(ctx, tx, p)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// postTogetherFrom is the smallest batch PostAll sends to ledger_post_many: its checks cost about
// as much as two calls of ledger_post, and each posting after them a fifth of one
// (BenchmarkPostTogether: 328 µs a posting in fours against 491 alone, 107 in 64s against 418;
// pairs cost the same either way), so fewer go one by one.
const postTogetherFrom = 4

// PostTogether posts every posting in tx with one call of ledger_post_many, or none: ok is false,
// and nothing was written, when some posting needs ledger_post's own answer (see PostAll).
func PostTogether(ctx context.Context, tx pgx.Tx, ps []Posting) (out []HoldResult, ok bool, err error) {
	for _, p := range ps {
		if p.err != nil {
			return nil, false, p.err
		}
	}
	n := len(ps)
	if n == 0 {
		return nil, true, nil
	}
	var (
		purposes, keys, reasons, refs = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		hashes                        = make([][]byte, n)
		negative                      = make([]bool, n)
		holds, complaints, payouts    = make([]int64, n), make([]int64, n), make([]int64, n)
		by                            = make([]int64, n)
		legReq                        []int32
		legAccount                    []int64
		legAmount                     []int64
	)
	for i, p := range ps {
		purposes[i], keys[i], reasons[i], refs[i] = p.purpose, p.req.Key, p.req.Reason, p.req.OrderRef
		hashes[i], negative[i] = p.hash, p.req.AllowNegative
		holds[i], complaints[i], payouts[i], by[i] = int64(p.hold), p.req.ComplaintID, p.req.PayoutID, int64(p.req.CreatedBy)
		for _, l := range p.req.Legs {
			legReq = append(legReq, int32(i+1))
			legAccount = append(legAccount, int64(l.Account))
			legAmount = append(legAmount, int64(l.Amount))
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT r.n, r.transfer, r.posted_at,
			coalesce((r.hold).id, 0), coalesce((r.hold).idempotency_key, ''), coalesce((r.hold).source_account_id, 0),
			coalesce((r.hold).held_account_id, 0), coalesce((r.hold).amount, 0), coalesce((r.hold).state, ''),
			coalesce((r.hold).place_transfer_id, 0), coalesce((r.hold).resolve_transfer_id, 0),
			coalesce((r.hold).order_ref, ''), (r.hold).created_at, (r.hold).resolved_at
		FROM ledger_post_many($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) r`,
		purposes, keys, hashes, reasons, negative, holds, refs, complaints, payouts, by, legReq, legAccount, legAmount)
	if err != nil {
		return nil, false, manyErr(err)
	}
	out = make([]HoldResult, n)
	got := 0
	for rows.Next() {
		var (
			i                 int
			r                 HoldResult
			h                 = &r.Hold
			created, resolved *time.Time
		)
		if err := rows.Scan(&i, &r.Transfer.ID, &r.Transfer.CreatedAt, &h.ID, &h.Key, &h.From, &h.To, &h.Amount, &h.State,
			&h.PlaceTransfer, &h.ResolveTransfer, &h.OrderRef, &created, &resolved); err != nil {
			rows.Close()
			return nil, false, err
		}
		if created != nil {
			h.CreatedAt = *created
		}
		if resolved != nil {
			h.ResolvedAt = *resolved
		}
		if i < 1 || i > n {
			rows.Close()
			return nil, false, fmt.Errorf("ledger: post_many answered for request %d of %d", i, n)
		}
		out[i-1] = r
		got++
	}
	if err := rows.Err(); err != nil {
		return nil, false, manyErr(err)
	}
	switch got {
	case 0:
		return nil, false, nil
	case n:
		return out, true, nil
	}
	return nil, false, fmt.Errorf("ledger: post_many answered %d of %d requests", got, n)
}

func manyErr(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "PD001" {
		return apperr.New(apperr.Conflict, ErrPeriodClosed)
	}
	return fmt.Errorf("ledger: post_many: %w", err)
}
