package accounts_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/rbac"
)

type fixture struct {
	pool  *pgxpool.Pool
	ctx   context.Context // a staff member who sees everything
	staff int64
}

var seq atomic.Int64

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	f := &fixture{pool: pool}
	require.NoError(t, pool.QueryRow(context.Background(),
		`INSERT INTO staff (email, name, password_hash) VALUES ('lead@test.postdesk', 'Lead Test', 'x') RETURNING id`).Scan(&f.staff))
	f.ctx = actor.With(context.Background(), &actor.Actor{ID: f.staff, Email: "lead@test.postdesk", Name: "Lead Test", View: rbac.FullView()})
	return f
}

// account inserts an account; email and phone are unique unless given.
func (f *fixture) account(t *testing.T, kind string, business bool) int64 {
	t.Helper()
	n := seq.Add(1)
	var id int64
	require.NoError(t, f.pool.QueryRow(context.Background(), `
		INSERT INTO accounts (kind, business, name, phone, email, lang) VALUES ($1, $2, $3, $4, $5, 'en') RETURNING id`,
		kind, business, fmt.Sprintf("Test %s %d", kind, n), fmt.Sprintf("+38050%07d", n), fmt.Sprintf("u%d@example.com", n)).Scan(&id))
	return id
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
