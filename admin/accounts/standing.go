package accounts

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
)

// CutRatingTx lowers an account's rating by points (never below zero), for the decision of
// complaint ref, audited in the caller's transaction. It returns the new rating.
func CutRatingTx(ctx context.Context, tx pgx.Tx, id ID, points int, ref string) (int, error) {
	if points <= 0 {
		return 0, apperr.InvalidField("amount", "accounts.standing.points_positive")
	}
	var before, after int16
	err := tx.QueryRow(ctx, `UPDATE accounts a SET rating = greatest(0, a.rating - $2)
		FROM (SELECT rating FROM accounts WHERE id = $1 FOR UPDATE) old
		WHERE a.id = $1 RETURNING old.rating, a.rating`, id, points).Scan(&before, &after)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return 0, err
	}
	return int(after), audit.Record(ctx, tx, "account.rating_cut", Record, int64(id),
		map[string]any{"rating": before}, map[string]any{"rating": after, "complaint": ref})
}

// LimitBalanceTx lowers an account's balance limit to amount minor units (a limit already lower
// stays), for the decision of complaint ref, audited in the caller's transaction. It returns the
// limit in force.
func LimitBalanceTx(ctx context.Context, tx pgx.Tx, id ID, amount int64, ref string) (int64, error) {
	if amount < 0 {
		return 0, apperr.InvalidField("amount", "accounts.standing.limit_not_negative")
	}
	var before *int64
	var after int64
	err := tx.QueryRow(ctx, `UPDATE accounts a SET balance_limit = least(coalesce(a.balance_limit, $2), $2)
		FROM (SELECT balance_limit FROM accounts WHERE id = $1 FOR UPDATE) old
		WHERE a.id = $1 RETURNING old.balance_limit, a.balance_limit`, id, amount).Scan(&before, &after)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return 0, err
	}
	return after, audit.Record(ctx, tx, "account.balance_limit_cut", Record, int64(id),
		map[string]any{"balance_limit": before}, map[string]any{"balance_limit": after, "complaint": ref})
}
