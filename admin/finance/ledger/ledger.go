// Package ledger is Postdesk's double-entry ledger (RULES.md §3.1): every movement of money is a
// transfer whose entries sum to zero, posted once under an idempotency key and never changed.
//
// Writes take the caller's pgx.Tx, so a transfer commits together with the business change it pays
// for (an order's status, a River job inserted with InsertTx). Reads take a db.Querier.
//
// Sign convention: an entry's amount is what its account receives (+) or gives (-). A user's
// available balance is positive when the user has money; gateway_clearing runs negative as money
// comes in from outside. All balances together always sum to zero.
//
// Each write is one call of the PL/pgSQL function ledger_post (migrations/012_ledger_post.sql, which reworked 003's), so it
// costs one round trip: locking, limits, idempotency and the rows, a hold's included, happen
// there. This package validates requests, fingerprints them for idempotency, and turns the
// function's answers into errors a user can act on. The database also refuses, whoever writes:
// changing or deleting posted transfers, entries and holds; a transfer not written together with
// balanced entries; entries added to a posted transfer; a hold resolved twice.
package ledger

import "github.com/postdesk/postdesk/admin/money"

// Minor is an amount of money in minor units of the deployment currency (kopiyka, tiyn). It is
// money.Minor: String is the plain form ("-12.34"); pages show amounts with money.Format.
type Minor = money.Minor

// IDs are typed so that a ledger account is never passed where a platform user is meant.
type (
	AccountID  int64 // ledger_accounts.id
	TransferID int64 // ledger_transfers.id
	EntryID    int64 // ledger_entries.id
	HoldID     int64 // ledger_holds.id
	UserID     int64 // accounts.id: a client or courier of the platform
	StaffID    int64 // staff.id
)

// Kind says what a ledger account holds.
type Kind string

const (
	// A platform user's accounts, created lazily by EnsureUserAccounts.
	UserAvailable  Kind = "user_available"  // spendable and payable out
	UserHeld       Kind = "user_held"       // a client's order cost, held until delivery or cancellation
	CourierDeposit Kind = "courier_deposit" // a courier's security deposit for an accepted order
	Promo          Kind = "promo"           // promo credit: usable as deposit, never paid out

	// The platform's own accounts, seeded by the migration.
	PlatformRevenue Kind = "platform_revenue" // commissions and penalties
	GatewayClearing Kind = "gateway_clearing" // money at the payment gateway; runs negative
	PayoutsPending  Kind = "payouts_pending"  // payouts sent to the gateway, awaiting its answer
	PromoExpense    Kind = "promo_expense"    // where promo credit comes from; runs negative
)

// Platform reports whether accounts of this kind belong to the platform rather than a user.
func (k Kind) Platform() bool {
	switch k {
	case PlatformRevenue, GatewayClearing, PayoutsPending, PromoExpense:
		return true
	}
	return false
}

// userKinds are the accounts every client and courier gets, in a fixed order.
var userKinds = []Kind{UserAvailable, UserHeld, CourierDeposit, Promo}

// statementKinds are the user's own money: promo credit is the platform's gift and is left out.
var statementKinds = []Kind{UserAvailable, UserHeld, CourierDeposit}

// Links tie a transfer or hold to the record that caused it. Zero values mean no link.
type Links struct {
	OrderRef    string
	ComplaintID int64
	PayoutID    int64
}
