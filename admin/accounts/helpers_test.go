package accounts_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/testfactory"
)

type fixture struct {
	pool  *pgxpool.Pool
	ctx   context.Context // a staff member who sees everything
	staff int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	f := &fixture{pool: pool}
	f.staff = testfactory.Staff(context.Background(), t, pool, testfactory.StaffOpts{Email: "lead@test.postdesk", Name: "Lead Test"})
	f.ctx = testfactory.Acting(context.Background(), f.staff, "lead@test.postdesk", "Lead Test")
	return f
}

// account inserts an account; email and phone are unique unless given.
func (f *fixture) account(t *testing.T, kind string, business bool) int64 {
	t.Helper()
	return testfactory.Account(context.Background(), t, f.pool, testfactory.AccountOpts{Kind: kind, Business: business})
}

func (f *fixture) tx(t *testing.T, fn func(tx pgx.Tx) error) error {
	t.Helper()
	return pgx.BeginFunc(f.ctx, f.pool, fn)
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}
