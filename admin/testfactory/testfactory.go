// Package testfactory builds exactly the rows a test needs, with defaults for everything it does
// not care about (in the manner of River's internal/testfactory). Tests never depend on the demo
// data: what they read, they make here. Every value that must be unique (phones, e-mails) is.
package testfactory

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
	Status                string // default "active"
	// ConsentEmail and ConsentSMS: the user agreed to advertising (news) by that channel.
	ConsentEmail, ConsentSMS bool
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
	if o.Status == "" {
		o.Status = "active"
	}
	var id int64
	require.NoError(t, q.QueryRow(ctx, `
		INSERT INTO accounts (kind, business, name, phone, email, lang, card_token, card_last4, card_holder, status,
			consent_email, consent_sms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, right($7, 4), $8, $9, $10, $11) RETURNING id`,
		o.Kind, o.Business, o.Name, o.Phone, email, o.Lang, card, holder, o.Status, o.ConsentEmail, o.ConsentSMS).Scan(&id))
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

// OrderOpts shape an order's row; zero values get defaults.
type OrderOpts struct {
	Client  int64 // default: a new client
	Courier int64 // 0: none
	// Status defaults to "created"; "delivered" also sets delivered_at.
	Status   string
	Cost     int64 // C, default 75_00
	Declared int64 // V, default 200_00
	Weight   int   // grams, default 1500
	// ExpectedAt is the expected delivery time; zero: none.
	ExpectedAt time.Time
}

// Order inserts an order's row in a status and returns its id and number. No money moves: a test
// whose order must hold money (the client's hold, the courier's deposit) moves it through
// admin/lifecycle or admin/finance/settle, as the portal does.
func Order(ctx context.Context, t testing.TB, q db.Querier, o OrderOpts) (int64, string) {
	t.Helper()
	if o.Client == 0 {
		o.Client = Account(ctx, t, q, AccountOpts{Kind: "client"})
	}
	var courier *int64
	if o.Courier != 0 {
		courier = &o.Courier
	}
	if o.Status == "" {
		o.Status = "created"
	}
	if o.Cost == 0 {
		o.Cost = 75_00
	}
	if o.Declared == 0 {
		o.Declared = 200_00
	}
	if o.Weight == 0 {
		o.Weight = 1500
	}
	var expected *time.Time
	if !o.ExpectedAt.IsZero() {
		expected = &o.ExpectedAt
	}
	var id int64
	var number string
	require.NoError(t, q.QueryRow(ctx, `INSERT INTO orders (client_id, courier_id, sender_name, sender_phone, sender_address,
			recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost, expected_at, status,
			delivered_at)
		VALUES ($1, $2, 'Олена', '+380501112233', 'Київ', 'Петро', '+380501112234', 'Львів', 'книга', $3, $4, $5, $6, $7,
			CASE WHEN $7 = 'delivered' THEN now() END) RETURNING id, number`,
		o.Client, courier, o.Weight, o.Declared, o.Cost, expected, o.Status).Scan(&id, &number))
	return id, number
}

// ComplaintOpts shape a complaint; zero values get defaults.
type ComplaintOpts struct {
	Complainant int64 // default: a new client
	Respondent  int64 // default: a new courier
	// State defaults to "received"; "decided", "notified" and "closed" get a rejection a day after receipt.
	State    string
	OrderRef string
	// ReceivedAt defaults to the present (UTC). The decision is due 15 days later (RULES.md §4.2);
	// a test of the exact period's end registers its complaint through the complaints store.
	ReceivedAt time.Time
}

// Complaint inserts a complaint from staff entry with one demand and its "received" event, and
// returns its id and number.
func Complaint(ctx context.Context, t testing.TB, q db.Querier, o ComplaintOpts) (int64, string) {
	t.Helper()
	if o.Complainant == 0 {
		o.Complainant = Account(ctx, t, q, AccountOpts{Kind: "client"})
	}
	if o.Respondent == 0 {
		o.Respondent = Account(ctx, t, q, AccountOpts{Kind: "courier"})
	}
	if o.State == "" {
		o.State = "received"
	}
	if o.ReceivedAt.IsZero() {
		o.ReceivedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	var decidedAt, noticeDue *time.Time
	var outcome *string
	switch o.State {
	case "decided", "notified", "closed":
		d, n, r := o.ReceivedAt.Add(24*time.Hour), o.ReceivedAt.Add(4*24*time.Hour), "rejected"
		decidedAt, noticeDue, outcome = &d, &n, &r
	}
	number := fmt.Sprintf("C-T-%06d", Next())
	var id int64
	require.NoError(t, q.QueryRow(ctx, `
		INSERT INTO complaints (number, state, source, complainant_name, complainant_birth_date, complainant_login,
			complainant_account_id, respondent_login, respondent_account_id, order_ref, action_at, action_place,
			action_details, grounds, received_at, decision_due, decided_at, notice_due, outcome)
		SELECT $1, $2, 'staff', c.name, DATE '1990-05-17', c.phone, c.id, r.phone, r.id, $5, $6::timestamptz, 'Київ',
			'The parcel was not delivered', 'The delivery agreement', $6, $6::timestamptz + interval '15 days', $7, $8, $9
		FROM accounts c, accounts r WHERE c.id = $3 AND r.id = $4
		RETURNING id`, number, o.State, o.Complainant, o.Respondent, o.OrderRef, o.ReceivedAt, decidedAt, noticeDue, outcome).Scan(&id))
	_, err := q.Exec(ctx, `INSERT INTO complaint_demands (complaint_id, text) VALUES ($1, 'Refund the delivery cost')`, id)
	require.NoError(t, err)
	_, err = q.Exec(ctx, `INSERT INTO complaint_events (complaint_id, kind, at) VALUES ($1, 'received', $2)`, id, o.ReceivedAt)
	require.NoError(t, err)
	return id, number
}

// PayoutOpts shape a payout's row; zero values get defaults.
type PayoutOpts struct {
	Account int64 // default: a new client with a card in their name
	Amount  int64 // default 150_00
	// State defaults to "pending_approval" (which needs approval); others do not. "refused" is
	// refused by the requester.
	State       string
	RequestedBy int64  // default: a new finance officer
	Currency    string // default "UAH"
}

// Payout inserts a payout's row to the account's saved card and returns its id. No money moves:
// a test of the payout's money requests it through the payouts store.
func Payout(ctx context.Context, t testing.TB, q db.Querier, o PayoutOpts) int64 {
	t.Helper()
	if o.Account == 0 {
		n := Next()
		o.Account = Account(ctx, t, q, AccountOpts{Name: fmt.Sprintf("Payee %d", n), CardHolder: fmt.Sprintf("PAYEE %d", n),
			CardToken: fmt.Sprintf("tok_%04d", n%10000)})
	}
	if o.Amount == 0 {
		o.Amount = 150_00
	}
	if o.State == "" {
		o.State = "pending_approval"
	}
	if o.RequestedBy == 0 {
		o.RequestedBy = Staff(ctx, t, q, StaffOpts{Role: "finance"})
	}
	if o.Currency == "" {
		o.Currency = "UAH"
	}
	var id int64
	require.NoError(t, q.QueryRow(ctx, `
		INSERT INTO payouts (account_id, amount, currency, card_token, card_last4, card_holder, account_holder, holder_match,
			override_reason, state, needs_approval, requested_by, refused_by, refused_at, refuse_reason)
		SELECT id, $2, $3, coalesce(card_token, 'tok_4242'), coalesce(card_last4, '4242'), coalesce(card_holder, upper(name)),
			name, card_holder IS NULL OR upper(card_holder) = upper(name),
			CASE WHEN upper(card_holder) <> upper(name) THEN 'test: the card is the holder''s spouse''s' END,
			$4, $4 = 'pending_approval', $5,
			CASE WHEN $4 = 'refused' THEN $5::bigint END, CASE WHEN $4 = 'refused' THEN now() END,
			CASE WHEN $4 = 'refused' THEN 'test refusal' END
		FROM accounts WHERE id = $1
		RETURNING id`, o.Account, o.Amount, o.Currency, o.State, o.RequestedBy).Scan(&id))
	return id
}
