package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
)

// UserAccounts are a client's or courier's ledger accounts.
type UserAccounts struct {
	Available, Held, Deposit, Promo AccountID
}

// EnsureUserAccounts returns the user's ledger accounts, creating the missing ones. Safe to call
// concurrently and repeatedly: the accounts are unique per (user, kind).
func EnsureUserAccounts(ctx context.Context, q db.Querier, user UserID) (UserAccounts, error) {
	// The insert's own rows are invisible to the sibling SELECT, so the union yields each kind once.
	rows, err := q.Query(ctx, `
		WITH ins AS (
			INSERT INTO ledger_accounts (kind, owner_account_id)
			SELECT k, $1 FROM unnest($2::text[]) AS k
			ON CONFLICT (owner_account_id, kind) WHERE owner_account_id IS NOT NULL DO NOTHING
			RETURNING kind, id)
		SELECT kind, id FROM ins
		UNION ALL
		SELECT kind, id FROM ledger_accounts WHERE owner_account_id = $1`,
		user, userKinds)
	if err != nil {
		return UserAccounts{}, err
	}
	ids, err := collectKindIDs(rows)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation: no such user
			return UserAccounts{}, apperr.Errorf(apperr.NotFound, "account %d not found", user)
		}
		return UserAccounts{}, err
	}
	return UserAccounts{Available: ids[UserAvailable], Held: ids[UserHeld], Deposit: ids[CourierDeposit], Promo: ids[Promo]}, nil
}

// collectKindIDs reads (kind, id) rows into a map.
func collectKindIDs(rows pgx.Rows) (map[Kind]AccountID, error) {
	ids := map[Kind]AccountID{}
	var (
		k  Kind
		id AccountID
	)
	_, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error { ids[k] = id; return nil })
	return ids, err
}

// PlatformAccounts are the platform's own ledger accounts.
type PlatformAccounts struct {
	Revenue, GatewayClearing, PayoutsPending, PromoExpense AccountID
}

// Platform returns the platform's accounts (seeded by the migration; their ids never change, so
// callers may keep the result).
func Platform(ctx context.Context, q db.Querier) (PlatformAccounts, error) {
	rows, err := q.Query(ctx, `SELECT kind, id FROM ledger_accounts WHERE owner_account_id IS NULL`)
	if err != nil {
		return PlatformAccounts{}, err
	}
	ids, err := collectKindIDs(rows)
	if err != nil {
		return PlatformAccounts{}, err
	}
	p := PlatformAccounts{Revenue: ids[PlatformRevenue], GatewayClearing: ids[GatewayClearing],
		PayoutsPending: ids[PayoutsPending], PromoExpense: ids[PromoExpense]}
	if p.Revenue == 0 || p.GatewayClearing == 0 || p.PayoutsPending == 0 || p.PromoExpense == 0 {
		return p, fmt.Errorf("ledger: platform accounts missing (migration 003 not applied?)")
	}
	return p, nil
}

// UseCurrency makes the ledger keep money in code (ISO 4217), as configured for the deployment.
// While no money has moved it adopts code; afterwards it refuses a different one, so a deployment
// can never start reading its balances in the wrong currency. Call it at startup.
func UseCurrency(ctx context.Context, tx pgx.Tx, code string) error {
	var current string
	var moved bool
	err := tx.QueryRow(ctx, `SELECT ledger_currency(), EXISTS (SELECT 1 FROM ledger_entries)`).Scan(&current, &moved)
	if err != nil || current == code {
		return err
	}
	if moved {
		return fmt.Errorf("ledger: money is kept in %s, the configuration says %s", current, code)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO settings (key, value) VALUES ('currency', to_jsonb($1::text))
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, code); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE ledger_accounts SET currency = $1 WHERE currency <> $1`, code)
	return err
}

// UserBalances are a user's money by purpose.
type UserBalances struct {
	Available, Held, Deposit, Promo Minor
}

// Balances returns the user's balances; a user with no ledger accounts yet has zeros.
func Balances(ctx context.Context, q db.Querier, user UserID) (UserBalances, error) {
	rows, err := q.Query(ctx, `
		SELECT a.kind, sum(b.balance)::bigint
		FROM ledger_accounts a JOIN ledger_balances b ON b.ledger_account_id = a.id
		WHERE a.owner_account_id = $1
		GROUP BY a.kind`, user)
	if err != nil {
		return UserBalances{}, err
	}
	var (
		b UserBalances
		k Kind
		v Minor
	)
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		switch k {
		case UserAvailable:
			b.Available = v
		case UserHeld:
			b.Held = v
		case CourierDeposit:
			b.Deposit = v
		case Promo:
			b.Promo = v
		}
		return nil
	})
	return b, err
}
