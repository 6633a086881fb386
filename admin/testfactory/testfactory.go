// Package testfactory builds exactly the rows a test needs, with defaults for everything it does
// not care about (in the manner of River's internal/testfactory). Tests never depend on the demo
// data: what they read, they make here. Every value that must be unique (phones, e-mails) is.
package testfactory

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/rbac"
)

// DB is a pool or a transaction: factories insert on it (and top-ups open their own transaction
// inside it, a savepoint when it is one).
type DB interface {
	db.Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

var seq atomic.Int64 // unique phones, e-mails and keys across a test binary's parallel tests

// Next is a number no other call in this test binary has had.
func Next() int64 { return seq.Add(1) }

// StaffOpts shape a staff member; zero values get defaults.
type StaffOpts struct {
	Email, Name string
	// Role puts the member in a group carrying it ("support_agent", "finance", …); empty: no group.
	Role string
}

// Staff inserts a staff member and returns their id.
func Staff(ctx context.Context, t testing.TB, q db.Querier, o StaffOpts) int64 {
	t.Helper()
	n := Next()
	if o.Email == "" {
		o.Email = fmt.Sprintf("staff%d@test.postdesk", n)
	}
	if o.Name == "" {
		o.Name = fmt.Sprintf("Staff %d", n)
	}
	var id int64
	require.NoError(t, q.QueryRow(ctx, `INSERT INTO staff (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`, o.Email, o.Name).Scan(&id))
	if o.Role != "" {
		var group int64
		require.NoError(t, q.QueryRow(ctx, `INSERT INTO staff_groups (name, role) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role RETURNING id`, "g-"+o.Role, o.Role).Scan(&group))
		_, err := q.Exec(ctx, `INSERT INTO staff_group_members (group_id, staff_id) VALUES ($1, $2)`, group, id)
		require.NoError(t, err)
	}
	return id
}

// Acting returns ctx with the staff member as the actor, seeing every field.
func Acting(ctx context.Context, id int64, email, name string, roles ...string) context.Context {
	return actor.With(ctx, &actor.Actor{ID: id, Email: email, Name: name, Roles: roles, View: rbac.FullView()})
}

// AccountOpts shape a client's or courier's account; zero values get defaults.
type AccountOpts struct {
	Kind     string // "client" (default) or "courier"
	Business bool
	Name     string
	Phone    string // default: a unique Ukrainian mobile number
	Email    string // default: unique; "-" for none
	Lang     string // default "en"
	// CardHolder and CardToken give the account a saved card (payouts).
	CardHolder, CardToken string
}

// Account inserts an account and returns its id.
func Account(ctx context.Context, t testing.TB, q db.Querier, o AccountOpts) int64 {
	t.Helper()
	n := Next()
	if o.Kind == "" {
		o.Kind = "client"
	}
	if o.Name == "" {
		o.Name = fmt.Sprintf("Test %s %d", o.Kind, n)
	}
	if o.Phone == "" {
		o.Phone = fmt.Sprintf("+380%09d", n)
	}
	var email *string
	switch o.Email {
	case "":
		e := fmt.Sprintf("u%d@example.com", n)
		email = &e
	case "-":
	default:
		email = &o.Email
	}
	if o.Lang == "" {
		o.Lang = "en"
	}
	var card *string
	if o.CardToken != "" {
		card = &o.CardToken
	}
	var holder *string
	if o.CardHolder != "" {
		holder = &o.CardHolder
	}
	var id int64
	require.NoError(t, q.QueryRow(ctx, `
		INSERT INTO accounts (kind, business, name, phone, email, lang, card_token, card_last4, card_holder)
		VALUES ($1, $2, $3, $4, $5, $6, $7, right($7, 4), $8) RETURNING id`,
		o.Kind, o.Business, o.Name, o.Phone, email, o.Lang, card, holder).Scan(&id))
	return id
}

// User inserts a client or courier with ledger accounts and money topped up (none when 0).
func User(ctx context.Context, t testing.TB, q DB, kind string, money ledger.Minor) (ledger.UserID, ledger.UserAccounts) {
	t.Helper()
	id := ledger.UserID(Account(ctx, t, q, AccountOpts{Kind: kind, Email: "-"}))
	ua, err := ledger.EnsureUserAccounts(ctx, q, id)
	require.NoError(t, err)
	if money > 0 {
		TopUp(ctx, t, q, ua.Available, money)
	}
	return id, ua
}

// TopUp brings money in from the gateway to an account, as a card top-up does.
func TopUp(ctx context.Context, t testing.TB, q DB, to ledger.AccountID, amount ledger.Minor) {
	t.Helper()
	tx, err := q.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	plat, err := ledger.Platform(ctx, tx)
	require.NoError(t, err)
	_, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: fmt.Sprintf("test:topup:%d", Next()), Reason: "topup",
		Legs: ledger.Move(plat.GatewayClearing, to, amount)})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
}

// TopUpUser tops up a user's available money, creating their ledger accounts when needed.
func TopUpUser(ctx context.Context, t testing.TB, q DB, user ledger.UserID, amount ledger.Minor) {
	t.Helper()
	ua, err := ledger.EnsureUserAccounts(ctx, q, user)
	require.NoError(t, err)
	TopUp(ctx, t, q, ua.Available, amount)
}
