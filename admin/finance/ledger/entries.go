package ledger

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/db"
)

// Entry is one leg of a posted transfer, with the transfer's reason and links.
type Entry struct {
	ID        EntryID
	Transfer  TransferID
	Account   AccountID
	Kind      Kind
	Owner     UserID // 0 for platform accounts
	Amount    Minor
	CreatedAt time.Time
	Reason    string
	Links
	CreatedBy StaffID
}

// Cursor marks a place in the newest-first order of entries: (time, id) of the last entry shown.
type Cursor struct {
	At time.Time
	ID EntryID
}

// Cursor returns the cursor that continues after e.
func (e Entry) Cursor() Cursor { return Cursor{At: e.CreatedAt, ID: e.ID} }

// EntryFilter narrows Entries. Zero values match everything.
type EntryFilter struct {
	Account  AccountID
	User     UserID // every ledger account of this client or courier
	Transfer TransferID
	Reason   string
	OrderRef string
	From, To time.Time // From inclusive, To exclusive
	// Before continues a listing: entries strictly older than this cursor.
	Before Cursor
	Limit  int // 50 when zero; at most 1000
}

// Entries lists entries newest first, one page at a time; pass the last entry's Cursor as Before
// for the next page. Keyset pagination keeps deep pages as fast as the first.
func Entries(ctx context.Context, q db.Querier, f EntryFilter) ([]Entry, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 1000)
	args := pgx.NamedArgs{"limit": f.Limit}
	where := "true"
	add := func(cond, name string, v any) {
		where += " AND " + cond
		args[name] = v
	}
	if f.Account != 0 {
		add("e.ledger_account_id = @account", "account", f.Account)
	}
	if f.User != 0 {
		add("e.ledger_account_id IN (SELECT id FROM ledger_accounts WHERE owner_account_id = @user)", "user", f.User)
	}
	if f.Transfer != 0 {
		add("e.transfer_id = @transfer", "transfer", f.Transfer)
	}
	if f.Reason != "" {
		add("t.reason = @reason", "reason", f.Reason)
	}
	if f.OrderRef != "" {
		add("t.order_ref = @order", "order", f.OrderRef)
	}
	if !f.From.IsZero() {
		add("e.created_at >= @from", "from", f.From)
	}
	if !f.To.IsZero() {
		add("e.created_at < @to", "to", f.To)
	}
	if f.Before != (Cursor{}) {
		where += " AND (e.created_at, e.id) < (@before_at, @before_id)"
		args["before_at"], args["before_id"] = f.Before.At, f.Before.ID
	}
	rows, err := q.Query(ctx, `
		SELECT e.id, e.transfer_id, e.ledger_account_id, a.kind, coalesce(a.owner_account_id, 0), e.amount, e.created_at,
			t.reason, coalesce(t.order_ref, ''), coalesce(t.complaint_id, 0), coalesce(t.payout_id, 0), coalesce(t.created_by, 0)
		FROM ledger_entries e
		JOIN ledger_accounts a ON a.id = e.ledger_account_id
		JOIN ledger_transfers t ON t.id = e.transfer_id
		WHERE `+where+`
		ORDER BY e.created_at DESC, e.id DESC
		LIMIT @limit`, args)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.ID, &e.Transfer, &e.Account, &e.Kind, &e.Owner, &e.Amount, &e.CreatedAt,
			&e.Reason, &e.OrderRef, &e.ComplaintID, &e.PayoutID, &e.CreatedBy)
		return e, err
	})
}
