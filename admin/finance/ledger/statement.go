package ledger

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/db"
)

// UserStatement is a user's money over a period: the "reconciliation act" of RULES.md §3.5.
//
// The user's money is available + held + deposit. Promo credit is left out: it is the platform's
// gift and never paid out. Moves among the user's own accounts (a hold placed or released) net to
// zero and are not lines; a capture or a penalty is. So Opening + sum(Lines) = Closing.
type UserStatement struct {
	User             UserID
	From, To         time.Time // From inclusive, To exclusive
	Opening, Closing Minor
	Lines            []StatementLine
}

// StatementLine is one transfer that changed the user's money.
type StatementLine struct {
	Transfer TransferID
	At       time.Time
	Reason   string
	Links
	Amount  Minor // + paid to the user, - charged
	Balance Minor // after this line
}

// Statement builds the user's statement for [from, to). One SQL statement reads the opening
// balance and the lines, so they come from one snapshot even while money keeps moving.
func Statement(ctx context.Context, q db.Querier, user UserID, from, to time.Time) (UserStatement, error) {
	s := UserStatement{User: user, From: from, To: to}
	rows, err := q.Query(ctx, `
		WITH acc AS (
			SELECT array_agg(id) AS ids FROM ledger_accounts WHERE owner_account_id = $1 AND kind = ANY($2::text[])
		), opening AS (
			SELECT coalesce(sum(e.amount), 0)::bigint AS amount
			FROM ledger_entries e, acc WHERE e.ledger_account_id = ANY(acc.ids) AND e.created_at < $3
		), lines AS (
			SELECT transfer_id, min(e.created_at) AS at, sum(e.amount)::bigint AS amount
			FROM ledger_entries e, acc
			WHERE e.ledger_account_id = ANY(acc.ids) AND e.created_at >= $3 AND e.created_at < $4
			GROUP BY transfer_id
			HAVING sum(e.amount) <> 0
		)
		SELECT o.amount, l.transfer_id, l.at, l.amount, t.reason,
			coalesce(t.order_ref, ''), coalesce(t.complaint_id, 0), coalesce(t.payout_id, 0)
		FROM opening o
		LEFT JOIN lines l ON true
		LEFT JOIN ledger_transfers t ON t.id = l.transfer_id
		ORDER BY l.at, l.transfer_id`,
		user, statementKinds, from, to)
	if err != nil {
		return s, err
	}
	// Every column of a line is NULL in the one row returned when the period has no lines.
	var (
		id                *TransferID
		at                *time.Time
		amount            *Minor
		reason, order     *string
		complaint, payout *int64
	)
	_, err = pgx.ForEachRow(rows, []any{&s.Opening, &id, &at, &amount, &reason, &order, &complaint, &payout}, func() error {
		if id != nil {
			s.Lines = append(s.Lines, StatementLine{Transfer: *id, At: *at, Reason: *reason, Amount: *amount,
				Links: Links{OrderRef: *order, ComplaintID: *complaint, PayoutID: *payout}})
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	s.Closing = s.Opening
	for i := range s.Lines {
		s.Closing += s.Lines[i].Amount
		s.Lines[i].Balance = s.Closing
	}
	return s, nil
}
