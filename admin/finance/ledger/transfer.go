package ledger

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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

// ErrInsufficient is the message of the conflict returned when an account would go below zero.
const ErrInsufficient = "insufficient available balance"

// Transfer posts req in tx: it locks the accounts in ascending id order, refuses to take an account
// below zero unless the account or the request allows it, and writes the transfer with its entries.
// Held money (user_held, courier_deposit) moves only through holds, so those accounts are refused.
func Transfer(ctx context.Context, tx pgx.Tx, req TransferRequest) (TransferResult, error) {
	if err := req.validate(); err != nil {
		return TransferResult{}, err
	}
	noHeld := func(acc map[AccountID]lockedAccount) error {
		for _, a := range acc {
			if a.kind == UserHeld || a.kind == CourierDeposit {
				return apperr.New(apperr.Invalid, "held money moves only through holds")
			}
		}
		return nil
	}
	return post(ctx, tx, req, req.hash("transfer"), noHeld)
}

// maxKeyLen matches the CHECK on ledger_transfers.idempotency_key.
const maxKeyLen = 200

func (r TransferRequest) validate() error {
	switch {
	case r.Key == "" || len(r.Key) > maxKeyLen:
		return apperr.InvalidField("key", "an idempotency key of 1 to 200 characters is required")
	case r.Reason == "":
		return apperr.InvalidField("reason", "a transfer needs a reason")
	case len(r.Legs) < 2:
		return apperr.New(apperr.Invalid, "a transfer needs at least two legs")
	}
	var in, out Minor
	seen := make(map[AccountID]bool, len(r.Legs))
	for _, l := range r.Legs {
		if l.Amount == 0 {
			return apperr.New(apperr.Invalid, "a transfer leg must move money")
		}
		if seen[l.Account] {
			return apperr.Errorf(apperr.Invalid, "ledger account %d appears twice in one transfer", l.Account)
		}
		seen[l.Account] = true
		// Sum each side separately and refuse overflow, so a wrapped sum can never look balanced.
		if l.Amount > 0 {
			if in > math.MaxInt64-l.Amount {
				return apperr.New(apperr.Invalid, "amount too large")
			}
			in += l.Amount
		} else {
			if l.Amount == math.MinInt64 || out > math.MaxInt64+l.Amount {
				return apperr.New(apperr.Invalid, "amount too large")
			}
			out -= l.Amount
		}
	}
	if in != out {
		return apperr.Errorf(apperr.Invalid, "transfer legs must sum to zero: %s in, %s out", in, out)
	}
	return nil
}

// amount is how much money the transfer moves: the sum of its positive legs.
func (r TransferRequest) amount() Minor {
	var sum Minor
	for _, l := range r.Legs {
		if l.Amount > 0 {
			sum += l.Amount
		}
	}
	return sum
}

// hash fingerprints the request's content, for telling a retry from a different request under the
// same key. op separates operations (a hold and a plain transfer never match); legs are sorted so
// their order does not matter; who asked does not count, so a retry by a job matches.
func (r TransferRequest) hash(op string) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d\x00%t", op, r.Reason, r.OrderRef, r.ComplaintID, r.PayoutID, r.AllowNegative)
	for _, l := range sortedLegs(r.Legs) {
		fmt.Fprintf(h, "\x00%d:%d", l.Account, l.Amount)
	}
	return h.Sum(nil)
}

func sortedLegs(legs []Leg) []Leg {
	s := slices.Clone(legs)
	slices.SortFunc(s, func(a, b Leg) int { return cmp.Compare(a.Account, b.Account) })
	return s
}

// lockedAccount is a ledger account as read under its row lock.
type lockedAccount struct {
	kind          Kind
	owner         UserID // 0 for platform accounts
	currency      string
	balance       Minor
	allowNegative bool
}

// post is the one way money moves. check, when set, vets the locked accounts before anything is
// written.
func post(ctx context.Context, tx pgx.Tx, req TransferRequest, hash []byte, check func(map[AccountID]lockedAccount) error) (TransferResult, error) {
	legs := sortedLegs(req.Legs)
	ids := make([]AccountID, len(legs))
	amounts := make([]Minor, len(legs))
	for i, l := range legs {
		ids[i], amounts[i] = l.Account, l.Amount
	}

	// One round trip: the idempotency lookup, then the row locks in ascending id order (the
	// ORDER BY runs below FOR UPDATE), which is what keeps concurrent transfers deadlock-free.
	var (
		prior    priorTransfer
		accounts = make(map[AccountID]lockedAccount, len(legs))
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT id, created_at, request_hash FROM ledger_transfers WHERE idempotency_key = $1`, req.Key).
		QueryRow(prior.scan)
	b.Queue(`SELECT id, kind, coalesce(owner_account_id, 0), currency, balance, allow_negative
		FROM ledger_accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids).
		Query(func(rows pgx.Rows) error {
			var (
				id AccountID
				a  lockedAccount
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &a.kind, &a.owner, &a.currency, &a.balance, &a.allowNegative},
				func() error { accounts[id] = a; return nil })
			return err
		})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return TransferResult{}, fmt.Errorf("ledger: lock accounts for %q: %w", req.Key, err)
	}
	if prior.found {
		return prior.replay(req.Key, hash)
	}

	if len(accounts) != len(legs) {
		for _, id := range ids {
			if _, ok := accounts[id]; !ok {
				return TransferResult{}, apperr.Errorf(apperr.NotFound, "ledger account %d not found", id)
			}
		}
	}
	currency := accounts[ids[0]].currency
	for _, l := range legs {
		a := accounts[l.Account]
		if a.currency != currency {
			return TransferResult{}, apperr.New(apperr.Invalid, "a transfer cannot mix currencies")
		}
		// A credit never needs checking: an account already negative by a penalty can still be topped up.
		if l.Amount < 0 && a.balance+l.Amount < 0 && !a.allowNegative && !req.AllowNegative {
			e := apperr.New(apperr.Conflict, ErrInsufficient)
			e.Args = map[string]any{"account": l.Account, "balance": a.balance, "needed": -l.Amount}
			return TransferResult{}, e
		}
	}
	if check != nil {
		if err := check(accounts); err != nil {
			return TransferResult{}, err
		}
	}

	// The transfer and its entries go in one statement: the posting trigger insists on it, checks
	// the balance, and moves the account balances.
	var res TransferResult
	err := tx.QueryRow(ctx, `
		WITH t AS (
			INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, allow_negative,
				order_ref, complaint_id, payout_id, created_by)
			VALUES ($1, $2, $3, $4, $5, nullif($6, ''), nullif($7, 0), nullif($8, 0), nullif($9, 0))
			ON CONFLICT (idempotency_key) DO NOTHING
			RETURNING id, created_at
		), e AS (
			INSERT INTO ledger_entries (transfer_id, ledger_account_id, amount, created_at)
			SELECT t.id, l.account, l.amount, t.created_at
			FROM t, unnest($10::bigint[], $11::bigint[]) WITH ORDINALITY AS l(account, amount, n)
			ORDER BY l.n
		)
		SELECT id, created_at FROM t`,
		req.Key, hash, req.Reason, req.amount(), req.AllowNegative,
		req.OrderRef, req.ComplaintID, req.PayoutID, req.CreatedBy, ids, amounts,
	).Scan(&res.ID, &res.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// A concurrent transaction posted the same key first and has committed: answer as a retry.
		err = tx.QueryRow(ctx, `SELECT id, created_at, request_hash FROM ledger_transfers WHERE idempotency_key = $1`,
			req.Key).Scan(&prior.id, &prior.at, &prior.hash)
		if err != nil {
			return TransferResult{}, fmt.Errorf("ledger: reread transfer %q: %w", req.Key, err)
		}
		return prior.replay(req.Key, hash)
	}
	if err != nil {
		return TransferResult{}, fmt.Errorf("ledger: post transfer %q: %w", req.Key, err)
	}
	return res, nil
}

// priorTransfer is a transfer already posted under a key.
type priorTransfer struct {
	found bool
	id    TransferID
	at    time.Time
	hash  []byte
}

func (p *priorTransfer) scan(row pgx.Row) error {
	err := row.Scan(&p.id, &p.at, &p.hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	p.found = err == nil
	return err
}

func (p *priorTransfer) replay(key string, hash []byte) (TransferResult, error) {
	if !bytes.Equal(p.hash, hash) {
		return TransferResult{}, apperr.Errorf(apperr.Conflict, "idempotency key %q was already used for a different transfer", key)
	}
	return TransferResult{ID: p.id, CreatedAt: p.at, Replayed: true}, nil
}
