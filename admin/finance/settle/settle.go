package settle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// order is what the money rules need of an order, loaded with its row locked so that two events of
// one order queue up rather than both seeing the same open holds.
type order struct {
	ID          int64
	Number      string
	Status      string
	Client      ledger.UserID
	Courier     ledger.UserID // 0: none
	Cost        ledger.Minor
	Declared    ledger.Minor
	WeightGrams int64
	// From order_money; has is false before the placement hold.
	has          bool
	CommissionBP int // the order's snapshot once has, else today's rate
	NoPromo      bool
	ClientHold   ledger.HoldID
	DepositHold  ledger.HoldID
	PromoHold    ledger.HoldID
	// Read along with the order, so events need no further lookups.
	client, courier ledger.UserAccounts
	revenue         ledger.AccountID
	open            map[ledger.HoldID]bool
	amount          map[ledger.HoldID]ledger.Minor // the deposit holds' amounts
	promo           ledger.Minor                   // the courier's promo balance
	// The parties' balance limits (accounts.balance_limit), nil when none.
	clientLimit, courierLimit *int64
	// The event's movements, posted together by flush, and what each result is for.
	pending      []ledger.Posting
	then         []func(ledger.HoldResult)
	holdsChanged bool // the money row must be written after them
}

// load reads the order (locked), its money row, both parties' ledger accounts, the platform's
// revenue account and the states of the order's holds in one round trip, through the database
// function settle_order_state (migrations/013): settling an order is a handful of statements, and
// each extra read costs as much as a transfer. It reads the ledger's tables directly but only
// reads; every write goes through the ledger package.
func load(ctx context.Context, tx pgx.Tx, id int64) (*order, error) {
	rows, err := tx.Query(ctx, `SELECT * FROM settle_order_state($1)`, id)
	if err != nil {
		return nil, err
	}
	os, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, err
	}
	if len(os) == 0 {
		return nil, apperr.New(apperr.NotFound, "orders.not_found")
	}
	return os[0], nil
}

// loadMany is load for many orders at once (settle_orders_state, migrations/030), locked in id
// order; an order that does not exist is left out.
func loadMany(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]*order, error) {
	rows, err := tx.Query(ctx, `SELECT * FROM settle_orders_state($1)`, ids)
	if err != nil {
		return nil, err
	}
	os, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*order, len(os))
	for _, o := range os {
		out[o.ID] = o
	}
	return out, nil
}

// scanOrder reads one row of settle_order_state.
func scanOrder(row pgx.CollectableRow) (*order, error) {
	o := &order{}
	var courier, bp, ch, dh, ph, cAvail, cHeld, kAvail, kDep, kPromo *int64
	var noPromo *bool
	var chState, dhState, phState *string
	var dhAmount, phAmount, promoBalance *int64
	var rate *int
	err := row.Scan(&o.ID, &o.Number, &o.Status, &o.Client, &courier, &o.Cost, &o.Declared,
		&o.WeightGrams, &bp, &noPromo, &ch, &dh, &ph, &cAvail, &cHeld, &kAvail, &kDep, &kPromo, &o.revenue,
		&chState, &dhState, &dhAmount, &phState, &phAmount, &promoBalance, &rate, &o.clientLimit, &o.courierLimit)
	if err != nil {
		return nil, err
	}
	deref := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	o.Courier = ledger.UserID(deref(courier))
	switch {
	case bp != nil:
		o.has, o.CommissionBP, o.NoPromo = true, int(*bp), *noPromo
	case rate != nil:
		o.CommissionBP = *rate // today's rate, snapshotted at the placement hold
	default:
		o.CommissionBP = DefaultCommissionBP
	}
	o.ClientHold, o.DepositHold, o.PromoHold = ledger.HoldID(deref(ch)), ledger.HoldID(deref(dh)), ledger.HoldID(deref(ph))
	o.client = ledger.UserAccounts{Available: ledger.AccountID(deref(cAvail)), Held: ledger.AccountID(deref(cHeld))}
	o.courier = ledger.UserAccounts{Available: ledger.AccountID(deref(kAvail)), Deposit: ledger.AccountID(deref(kDep)), Promo: ledger.AccountID(deref(kPromo))}
	o.open = map[ledger.HoldID]bool{}
	o.amount = map[ledger.HoldID]ledger.Minor{o.DepositHold: ledger.Minor(deref(dhAmount)), o.PromoHold: ledger.Minor(deref(phAmount))}
	for h, st := range map[ledger.HoldID]*string{o.ClientHold: chState, o.DepositHold: dhState, o.PromoHold: phState} {
		o.open[h] = h != 0 && st != nil && *st == string(ledger.HoldOpen)
	}
	o.promo = ledger.Minor(deref(promoBalance))
	return o, nil
}

// post plans a movement of the event; then, if not nil, gets its result once it is posted.
// Nothing is written until flush.
func (o *order) post(p ledger.Posting, then func(ledger.HoldResult)) {
	o.pending = append(o.pending, p)
	o.then = append(o.then, then)
}

// flush posts the event's movements together (one statement: ledger.PostAll) and records the
// order's holds if they changed.
func (o *order) flush(ctx context.Context, tx pgx.Tx) error {
	rs, err := ledger.PostAll(ctx, tx, o.pending)
	if err != nil {
		return err
	}
	return o.posted(ctx, tx, rs)
}

// posted hands the results of the event's movements to whoever waits for them and writes the
// order's money row when its holds changed.
func (o *order) posted(ctx context.Context, tx pgx.Tx, rs []ledger.HoldResult) error {
	o.deliver(rs)
	if !o.holdsChanged {
		return nil
	}
	return o.setHolds(ctx, tx)
}

// deliver hands the results of the pending movements, in their order, to whoever waits for them
// and empties the plan.
func (o *order) deliver(rs []ledger.HoldResult) {
	for i, then := range o.then {
		if then != nil {
			then(rs[i])
		}
	}
	o.pending, o.then = nil, nil
}

// accounts returns a party's ledger accounts, creating them on the party's first money event.
func (o *order) accounts(ctx context.Context, tx pgx.Tx, user ledger.UserID) (ledger.UserAccounts, error) {
	ua := &o.client
	if user == o.Courier && user != o.Client {
		ua = &o.courier
	}
	if user != o.Client && user != o.Courier || o.Client == o.Courier {
		return ledger.EnsureUserAccounts(ctx, tx, user)
	}
	if ua.Available != 0 && (ua.Held != 0 || ua.Deposit != 0) {
		return *ua, nil
	}
	a, err := ledger.EnsureUserAccounts(ctx, tx, user)
	if err == nil {
		*ua = a
	}
	return a, err
}

// CommissionBP reads the current commission rate (basis points) from settings.
func CommissionBP(ctx context.Context, q db.Querier) (int, error) {
	var raw []byte
	err := q.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'commission_bp'`).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultCommissionBP, nil
	}
	if err != nil {
		return 0, err
	}
	var bp int
	if err := json.Unmarshal(raw, &bp); err != nil {
		return 0, fmt.Errorf("settings.commission_bp: %w", err)
	}
	return bp, nil
}

// commission is the platform's share of this order at its snapshotted rate.
func (o order) commission() ledger.Minor { return Commission(o.Cost, o.CommissionBP) }

// key names one movement of one order, so a retried event posts nothing new.
func (o order) key(what string) string { return fmt.Sprintf("order:%d:%s", o.ID, what) }

func by(ctx context.Context) ledger.StaffID {
	if a := actor.From(ctx); a != nil {
		return ledger.StaffID(a.ID)
	}
	return 0
}

// release returns a hold to where it came from, if it is still open.
func (o *order) release(ctx context.Context, id ledger.HoldID, what string) {
	if !o.open[id] {
		return
	}
	// Keyed by the hold: a reweighed order's client hold is a new one, released under its own key.
	o.post(ledger.ReleasePosting(ledger.ReleaseRequest{Key: o.key(fmt.Sprintf("release-%s-%d", what, id)), Hold: id,
		Reason: "order." + what + "_released", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)}), nil)
}

// releaseDeposit returns the courier's whole deposit (money and promo parts).
func (o *order) releaseDeposit(ctx context.Context) {
	o.release(ctx, o.DepositHold, "deposit")
	o.release(ctx, o.PromoHold, "promo")
}

// capture pays a hold out whole, if it is still open; zero legs are left out.
func (o *order) capture(ctx context.Context, id ledger.HoldID, what, reason string, to ...ledger.Leg) {
	if !o.open[id] {
		return
	}
	legs := make([]ledger.Leg, 0, len(to))
	for _, l := range to {
		if l.Amount > 0 {
			legs = append(legs, l)
		}
	}
	o.post(ledger.CapturePosting(ledger.CaptureRequest{Key: o.key(fmt.Sprintf("capture-%s-%d", what, id)), Hold: id, To: legs,
		Reason: reason, Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)}), nil)
}

// penalty charges amount from a user's available money to the platform; it may take them below
// zero, since a penalty is owed whether or not the money is there.
func (o *order) penalty(ctx context.Context, tx pgx.Tx, from ledger.UserID, amount ledger.Minor, what string) error {
	if amount <= 0 {
		return nil
	}
	ua, err := o.accounts(ctx, tx, from)
	if err != nil {
		return err
	}
	o.post(ledger.TransferPosting(ledger.TransferRequest{Key: o.key("penalty-" + what), Reason: "order.penalty_" + what,
		Legs: ledger.Move(ua.Available, o.revenue, amount), Links: ledger.Links{OrderRef: o.Number},
		CreatedBy: by(ctx), AllowNegative: true}), nil)
	return nil
}

// withinLimit refuses setting amount more of a user's money aside in the held (or deposit)
// account when that would pass the balance limit a complaint decision gave the user. Only users
// with a limit pay for the check: their account row is locked, so that two placements of one user
// queue up and the second sees the first's hold.
func withinLimit(ctx context.Context, tx pgx.Tx, user ledger.UserID, limit *int64, held ledger.AccountID, amount ledger.Minor) error {
	if limit == nil {
		return nil
	}
	var engaged int64
	err := tx.QueryRow(ctx, `SELECT a.balance_limit, coalesce((SELECT sum(balance) FROM ledger_balances WHERE ledger_account_id = $2), 0)::bigint
		FROM accounts a WHERE a.id = $1 FOR UPDATE`, int64(user), int64(held)).Scan(&limit, &engaged)
	if err != nil {
		return err
	}
	if limit != nil && engaged+int64(amount) > *limit {
		return &apperr.Error{Code: apperr.Conflict, Message: "settle.over_balance_limit",
			Args: map[string]any{"Limit": ledger.Minor(*limit).String(), "Engaged": ledger.Minor(engaged).String()}}
	}
	return nil
}

// setHolds records the order's hold ids in its money row, writing the row (with the commission
// rate snapshotted) if this is the order's first money event.
func (o *order) setHolds(ctx context.Context, tx pgx.Tx) error {
	return setHolds(ctx, tx, []*order{o})
}

// setHolds writes the money rows of many orders in one statement.
func setHolds(ctx context.Context, tx pgx.Tx, os []*order) error {
	if len(os) == 0 {
		return nil
	}
	ids, bps, client, deposit, promo := make([]int64, len(os)), make([]int64, len(os)), make([]int64, len(os)), make([]int64, len(os)), make([]int64, len(os))
	for i, o := range os {
		ids[i], bps[i], client[i], deposit[i], promo[i] = o.ID, int64(o.CommissionBP), int64(o.ClientHold), int64(o.DepositHold), int64(o.PromoHold)
	}
	// Planned afresh each time (QueryExecModeExec), as cheap as this statement is, so a plan made
	// while order_money was nearly empty is never reused on a big one.
	_, err := tx.Exec(ctx, `INSERT INTO order_money (order_id, commission_bp, client_hold_id, deposit_hold_id, promo_hold_id)
		SELECT id, bp, nullif(c, 0), nullif(d, 0), nullif(p, 0) FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) u(id, bp, c, d, p)
		ORDER BY id
		ON CONFLICT (order_id) DO UPDATE SET client_hold_id = EXCLUDED.client_hold_id,
			deposit_hold_id = EXCLUDED.deposit_hold_id, promo_hold_id = EXCLUDED.promo_hold_id`,
		pgx.QueryExecModeExec, ids, bps, client, deposit, promo)
	if err == nil {
		for _, o := range os {
			o.has, o.holdsChanged = true, false
		}
	}
	return err
}
