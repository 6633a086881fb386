package ledger

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/db"
)

// AccountBalance is one line of the trial balance.
type AccountBalance struct {
	Account  AccountID
	Kind     Kind
	Owner    UserID // 0 for platform accounts
	Currency string
	Balance  Minor
}

// KindTotal sums the accounts of one kind.
type KindTotal struct {
	Kind     Kind
	Accounts int
	Balance  Minor
}

// Trial is the trial balance: every ledger account, the totals by kind, and the grand total,
// which is zero in a sound ledger.
type Trial struct {
	Accounts []AccountBalance // platform accounts first, then by owner
	Kinds    []KindTotal
	Total    Minor
}

// TrialBalance reads every account's balance rows. Posting keeps them equal to the sum of the
// entries (CheckInvariants verifies it), so the cost grows with the number of accounts, not entries.
func TrialBalance(ctx context.Context, q db.Querier) (Trial, error) {
	rows, err := q.Query(ctx, `
		SELECT a.id, a.kind, coalesce(a.owner_account_id, 0), a.currency, b.balance
		FROM ledger_accounts a
		JOIN (SELECT ledger_account_id, sum(balance)::bigint AS balance FROM ledger_balances GROUP BY 1) b
		  ON b.ledger_account_id = a.id
		ORDER BY a.owner_account_id NULLS FIRST, a.kind`)
	if err != nil {
		return Trial{}, err
	}
	var t Trial
	byKind := map[Kind]int{}
	var a AccountBalance
	_, err = pgx.ForEachRow(rows, []any{&a.Account, &a.Kind, &a.Owner, &a.Currency, &a.Balance}, func() error {
		t.Accounts = append(t.Accounts, a)
		i, ok := byKind[a.Kind]
		if !ok {
			i = len(t.Kinds)
			byKind[a.Kind] = i
			t.Kinds = append(t.Kinds, KindTotal{Kind: a.Kind})
		}
		t.Kinds[i].Accounts++
		t.Kinds[i].Balance += a.Balance
		t.Total += a.Balance
		return nil
	})
	return t, err
}

// Violation is one way the ledger is not sound. At most one of the ids is set.
type Violation struct {
	Rule     string // one of the Rule* constants
	Account  AccountID
	Transfer TransferID
	Hold     HoldID
	Detail   string
}

func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// The rules CheckInvariants verifies.
const (
	RuleTotal       = "total"        // all balances together are not zero
	RuleBalance     = "balance"      // an account's balance differs from the sum of its entries, or an entry has no account
	RuleNegative    = "negative"     // an account below zero though neither it nor a penalty allows it
	RuleTransfer    = "transfer"     // a transfer's entries do not sum to zero, are fewer than two, or do not move its amount
	RuleHeld        = "held"         // a held or deposit account differs from the sum of its open holds
	RuleHoldEntries = "hold_entries" // a hold's transfers do not move its amount through its held account
)

// invariants are the checks, one SQL statement each (so each reads one consistent snapshot), each
// returning (id, detail) for every offending row.
var invariants = []struct {
	rule string
	sql  string
}{
	{RuleTotal, `
		SELECT 0::bigint, format('all balances sum to %s, not 0', s)
		FROM (SELECT coalesce(sum(balance), 0) AS s FROM ledger_balances) t WHERE s <> 0`},
	{RuleBalance, `
		SELECT coalesce(b.id, s.id), format('ledger account %s: balance %s, entries sum to %s', coalesce(b.id, s.id), b.balance, coalesce(s.total, 0))
		FROM (SELECT ledger_account_id AS id, sum(balance) AS balance FROM ledger_balances GROUP BY 1) b
		FULL JOIN (SELECT ledger_account_id AS id, sum(amount) AS total FROM ledger_entries GROUP BY 1) s ON s.id = b.id
		WHERE b.balance IS DISTINCT FROM coalesce(s.total, 0)`},
	{RuleNegative, `
		SELECT a.id, format('ledger account %s (%s) is at %s without a penalty', a.id, a.kind, b.balance)
		FROM ledger_accounts a
		JOIN (SELECT ledger_account_id, sum(balance) AS balance FROM ledger_balances GROUP BY 1) b ON b.ledger_account_id = a.id
		WHERE b.balance < 0 AND NOT a.allow_negative
		  AND NOT EXISTS (SELECT 1 FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
		                  WHERE e.ledger_account_id = a.id AND e.amount < 0 AND t.allow_negative)`},
	{RuleTransfer, `
		SELECT t.id, format('transfer %s: %s entries, net %s, moved %s of %s', t.id, coalesce(s.n, 0), coalesce(s.net, 0), coalesce(s.moved, 0), t.amount)
		FROM ledger_transfers t
		LEFT JOIN (SELECT transfer_id, count(*) AS n, sum(amount) AS net, sum(amount) FILTER (WHERE amount > 0) AS moved
		           FROM ledger_entries GROUP BY 1) s ON s.transfer_id = t.id
		WHERE s.transfer_id IS NULL OR s.n < 2 OR s.net <> 0 OR s.moved <> t.amount`},
	{RuleHeld, `
		SELECT a.id, format('ledger account %s (%s): balance %s, open holds %s', a.id, a.kind, b.balance, coalesce(h.open, 0))
		FROM ledger_accounts a
		JOIN ledger_balances b ON b.ledger_account_id = a.id -- held accounts are users': one row
		LEFT JOIN (SELECT held_account_id, sum(amount) AS open FROM ledger_holds WHERE state = 'open' GROUP BY 1) h
		       ON h.held_account_id = a.id
		WHERE a.kind IN ('user_held', 'courier_deposit') AND b.balance <> coalesce(h.open, 0)`},
	{RuleHoldEntries, `
		SELECT h.id, format('hold %s (%s): its transfers do not move %s through ledger account %s', h.id, h.state, h.amount, h.held_account_id)
		FROM ledger_holds h
		WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e
		                  WHERE e.transfer_id = h.place_transfer_id AND e.ledger_account_id = h.held_account_id AND e.amount = h.amount)
		   OR (h.resolve_transfer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_entries e
		                  WHERE e.transfer_id = h.resolve_transfer_id AND e.ledger_account_id = h.held_account_id AND e.amount = -h.amount))`},
}

// CheckInvariants verifies the whole ledger and returns every violation found; none means sound.
// It reads every entry, so it is for tests, benchmarks and a nightly job, not for page views.
func CheckInvariants(ctx context.Context, q db.Querier) ([]Violation, error) {
	var out []Violation
	for _, inv := range invariants {
		rows, err := q.Query(ctx, inv.sql)
		if err != nil {
			return out, fmt.Errorf("ledger: check %s: %w", inv.rule, err)
		}
		var (
			id     int64
			detail string
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &detail}, func() error {
			v := Violation{Rule: inv.rule, Detail: detail}
			switch inv.rule {
			case RuleBalance, RuleNegative, RuleHeld:
				v.Account = AccountID(id)
			case RuleTransfer:
				v.Transfer = TransferID(id)
			case RuleHoldEntries:
				v.Hold = HoldID(id)
			}
			out = append(out, v)
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("ledger: check %s: %w", inv.rule, err)
		}
	}
	return out, nil
}
