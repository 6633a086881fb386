package db

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LedgerTables are the tables whose rows change only through ledger_post (running as their
// owner): the app role may read them but not write them.
var LedgerTables = []string{"ledger_balances", "ledger_entries", "ledger_holds", "ledger_transfers"}

// AppGrants is the SQL that gives role app what the web and worker processes need, run by the owner
// of the schema (the role that runs the migrations) after every migration run. The README shows it
// for a DATABASE_URL set up by hand. The app role gets no TRUNCATE and no write on the ledger tables.
func AppGrants(app string) []string {
	r := pgx.Identifier{app}.Sanitize()
	return []string{
		"GRANT USAGE ON SCHEMA public TO " + r,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + r,
		"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO " + r,
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO " + r,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + r,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO " + r,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO " + r,
		"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger_balances, ledger_entries, ledger_holds, ledger_transfers FROM " + r,
	}
}

// GrantApp runs AppGrants on pool (connected as the owner). It refuses an app role that is a
// superuser or the owner itself, which would make the grants meaningless.
func GrantApp(ctx context.Context, pool *pgxpool.Pool, app string) error {
	var super, self bool
	err := pool.QueryRow(ctx, `SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = $1`, app).Scan(&super, &self)
	if err != nil {
		return fmt.Errorf("app role %q: %w", app, err)
	}
	if self {
		return nil // one role for both: nothing to grant (the README says what that gives up)
	}
	if super {
		return fmt.Errorf("app role %q is a superuser: it could switch the ledger's triggers off", app)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	for _, q := range AppGrants(app) {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("grant to %s: %w", app, err)
		}
	}
	return tx.Commit(ctx)
}

// EnsureRole creates a login role that is not a superuser and cannot create roles or databases,
// with password, or resets the password of an existing one. q must be allowed to create roles.
func EnsureRole(ctx context.Context, q Querier, name, password string) error {
	r := pgx.Identifier{name}.Sanitize()
	pw := "'" + strings.ReplaceAll(password, "'", "''") + "'"
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		_, err := q.Exec(ctx, "CREATE ROLE "+r+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD "+pw)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42710" { // duplicate_object: made concurrently
			if err != nil {
				return fmt.Errorf("create role %s: %w", name, err)
			}
			return nil
		}
	}
	_, err := q.Exec(ctx, "ALTER ROLE "+r+" LOGIN NOSUPERUSER PASSWORD "+pw)
	return err
}
