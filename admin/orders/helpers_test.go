package orders

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/rbac"
)

// fixture is a fresh database with one staff member acting, a client and a courier.
type fixture struct {
	t       *testing.T
	pool    *pgxpool.Pool
	ctx     context.Context
	staffID int64
	client  int64
	courier int64
	now     time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	f := &fixture{t: t, pool: pool, now: time.Now().UTC().Truncate(time.Microsecond)}
	f.staffID = f.staff("agent", nil)
	f.ctx = f.as(f.staffID, rbac.FullView())
	f.client = f.account("client", "active", "Олена Коваленко")
	f.courier = f.account("courier", "active", "Ерлан Серікбаев")
	// Both sides have funds, as on a live platform.
	f.fund(f.client, 1_000_000_00)
	f.fund(f.courier, 1_000_000_00)
	return f
}

// fund tops an account up through the gateway, as a payment would.
func (f *fixture) fund(account int64, amount int64) {
	f.t.Helper()
	ctx := context.Background()
	ua, err := ledger.EnsureUserAccounts(ctx, f.pool, ledger.UserID(account))
	require.NoError(f.t, err)
	p, err := ledger.Platform(ctx, f.pool)
	require.NoError(f.t, err)
	require.NoError(f.t, pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("test-topup:%d", account), Reason: "topup",
			Legs: ledger.Move(p.GatewayClearing, ua.Available, ledger.Minor(amount))})
		return err
	}))
}

var staffN int

// staff adds a staff member in a group with the given field rules for orders and accounts.
func (f *fixture) staff(name string, rules map[string]rbac.Mode) int64 {
	f.t.Helper()
	ctx := context.Background()
	staffN++
	var id, group int64
	require.NoError(f.t, f.pool.QueryRow(ctx, `INSERT INTO staff (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
		fmt.Sprintf("%s%d@test.postdesk", name, staffN), name).Scan(&id))
	require.NoError(f.t, f.pool.QueryRow(ctx, `INSERT INTO staff_groups (name, role) VALUES ($1, 'support_agent') RETURNING id`,
		fmt.Sprintf("g-%s-%d", name, staffN)).Scan(&group))
	_, err := f.pool.Exec(ctx, `INSERT INTO staff_group_members (group_id, staff_id) VALUES ($1, $2)`, group, id)
	require.NoError(f.t, err)
	for key, mode := range rules {
		record, field := splitKey(key)
		_, err := f.pool.Exec(ctx, `INSERT INTO field_rules (group_id, record, field, mode) VALUES ($1, $2, $3, $4)`, group, record, field, mode.String())
		require.NoError(f.t, err)
	}
	return id
}

func splitKey(k string) (string, string) {
	for i := range k {
		if k[i] == '.' {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

// viewOf loads a staff member's field view from the database, as log-in does.
func (f *fixture) viewOf(id int64) rbac.View {
	v, err := rbac.LoadView(context.Background(), f.pool, id)
	require.NoError(f.t, err)
	return v
}

func (f *fixture) as(id int64, v rbac.View) context.Context {
	return actor.With(context.Background(), &actor.Actor{ID: id, Email: fmt.Sprintf("staff%d@test", id), View: v, Roles: []string{"support_agent"}})
}

func (f *fixture) account(kind, status, name string) int64 {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `INSERT INTO accounts (kind, name, phone, status) VALUES ($1, $2, '+380501112233', $3) RETURNING id`,
		kind, name, status).Scan(&id))
	return id
}

func (f *fixture) input() Input {
	return Input{ClientID: f.client, SenderName: "Олена Коваленко", SenderPhone: "+380501234567", SenderAddress: "Київ, вул. Хрещатик, 1",
		RecipientName: "Әлия Нұрланқызы", RecipientPhone: "+77011234567", RecipientAddress: "Алматы, пр. Абая, 10",
		Item: "Книги", WeightGrams: 1500, DeclaredValue: 120000, ExpectedAt: f.now.Add(72 * time.Hour), Comment: "Крихке"}
}

// create enters an order's row as InsertTx does for admin/lifecycle (which then holds its money;
// the desk's own tests need only the row).
func (f *fixture) create(in Input) Order {
	f.t.Helper()
	number, err := f.insert(in)
	require.NoError(f.t, err)
	o, err := Get(f.ctx, f.pool, number)
	require.NoError(f.t, err)
	return o
}

func (f *fixture) insert(in Input) (string, error) {
	var number string
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) (err error) {
		_, number, err = InsertTx(f.ctx, tx, in, f.now)
		return err
	})
	return number, err
}

// dealt makes test data of an order a courier accepted, as the demo seed writes its orders; the
// move itself, with its money, is admin/lifecycle's and tested there.
func (f *fixture) dealt(o Order, courier int64) {
	f.t.Helper()
	_, err := f.pool.Exec(context.Background(), `UPDATE orders SET courier_id = $2, status = 'deal' WHERE id = $1`, o.ID, courier)
	require.NoError(f.t, err)
}

// blocked adds an active account with one function blocked for a week.
func (f *fixture) blocked(kind, fn string) int64 {
	f.t.Helper()
	id := f.account(kind, "active", "Обмежений")
	_, err := f.pool.Exec(context.Background(), `INSERT INTO account_blocks (account_id, functions, reason, ends_at)
		VALUES ($1, ARRAY[$2], 'agreement_breach', now() + interval '7 days')`, id, fn)
	require.NoError(f.t, err)
	return id
}
