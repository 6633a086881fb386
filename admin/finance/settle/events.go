package settle

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/orders"
)

// Every event takes the transaction that changes the order's status and the order's id. Each
// movement has a key derived from the order and the event, so calling an event again (a retried
// job, a double click) posts nothing new; holds already resolved are left alone. An event plans
// its movements first and posts them together at its end (order.flush): one statement, however
// many transfers it makes.

// run loads the order, plans the event's movements with plan, and posts them.
func run(ctx context.Context, tx pgx.Tx, orderID int64, plan func(context.Context, pgx.Tx, *order) error) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if err := plan(ctx, tx, o); err != nil {
		return err
	}
	return o.flush(ctx, tx)
}

// Place holds the order's cost C from the client's available money (refused when short) and
// snapshots the commission rate, so a later change of the rate applies to new orders only.
func Place(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planPlace)
}

func planPlace(ctx context.Context, tx pgx.Tx, o *order) error {
	_, err := o.place(ctx, tx)
	return err
}

// place holds the client's cost, once; the order's money row (with today's commission rate) is
// written with the hold's id.
func (o *order) place(ctx context.Context, tx pgx.Tx) (bool, error) {
	if o.ClientHold != 0 {
		return false, nil
	}
	ua, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return false, err
	}
	if err := withinLimit(ctx, tx, o.Client, o.clientLimit, ua.Held, o.Cost); err != nil {
		return false, err
	}
	o.post(ledger.HoldPosting(ledger.HoldRequest{Key: o.key("place"), From: ua.Available, To: ua.Held,
		Amount: o.Cost, Reason: "order.placed", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)}),
		func(h ledger.HoldResult) { o.ClientHold, o.open[h.Hold.ID] = h.Hold.ID, true })
	o.holdsChanged = true
	return true, nil
}

// SetNoPromo flags an order whose deposit may not be promo credit.
func SetNoPromo(ctx context.Context, tx pgx.Tx, orderID int64, noPromo bool) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if _, err := o.place(ctx, tx); err != nil {
		return err
	}
	if err := o.flush(ctx, tx); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE order_money SET no_promo = $2 WHERE order_id = $1`, o.ID, noPromo)
	return err
}

// Accept is the deal: the courier's deposit V + C is set aside, promo credit first unless the
// order is flagged "no promo", the rest from available money; refused when short. The client's
// placement hold is placed first if the order has none yet (imported orders).
func Accept(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planAccept)
}

func planAccept(ctx context.Context, tx pgx.Tx, o *order) error {
	if o.Courier == 0 {
		return apperr.InvalidField("courier_id", "settle.no_courier")
	}
	if _, err := o.place(ctx, tx); err != nil {
		return err
	}
	return o.deposit(ctx, tx)
}

// Reassign is a change of courier before pickup (the order's courier_id already names the new
// one): the previous courier's deposit is released without penalty and the new courier's V + C
// is held, refused when short.
func Reassign(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, func(ctx context.Context, tx pgx.Tx, o *order) error {
		if o.Courier == 0 {
			return apperr.InvalidField("courier_id", "settle.no_courier")
		}
		o.releaseDeposit(ctx)
		o.open[o.DepositHold], o.open[o.PromoHold] = false, false
		return o.deposit(ctx, tx)
	})
}

// deposit holds V + C from the order's courier unless a deposit is open already (a retried deal).
// A deposit that follows an earlier one (a change of courier, a reweighing) is keyed by the hold
// it follows, so it is a new hold and its retry is not.
func (o *order) deposit(ctx context.Context, tx pgx.Tx) error {
	if o.open[o.DepositHold] || o.open[o.PromoHold] {
		return nil
	}
	suffix := ""
	if prev := max(o.DepositHold, o.PromoHold); prev != 0 {
		suffix = fmt.Sprintf("-after-%d", prev)
	}
	o.DepositHold, o.PromoHold = 0, 0
	ua, err := o.accounts(ctx, tx, o.Courier)
	if err != nil {
		return err
	}
	need := o.Declared + o.Cost
	if err := withinLimit(ctx, tx, o.Courier, o.courierLimit, ua.Deposit, need); err != nil {
		return err
	}
	if !o.NoPromo {
		if fromPromo := min(need, o.promo); fromPromo > 0 {
			o.post(ledger.HoldPosting(ledger.HoldRequest{Key: o.key("deposit-promo" + suffix), From: ua.Promo, To: ua.Deposit,
				Amount: fromPromo, Reason: "order.deposit_promo", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)}),
				func(h ledger.HoldResult) {
					o.PromoHold = h.Hold.ID
					o.open[h.Hold.ID], o.amount[h.Hold.ID] = true, fromPromo
				})
			need -= fromPromo
		}
	}
	if need > 0 {
		o.post(ledger.HoldPosting(ledger.HoldRequest{Key: o.key("deposit" + suffix), From: ua.Available, To: ua.Deposit,
			Amount: need, Reason: "order.deposit", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)}),
			func(h ledger.HoldResult) {
				o.DepositHold = h.Hold.ID
				o.open[h.Hold.ID], o.amount[h.Hold.ID] = true, need
			})
	}
	o.holdsChanged = true
	return nil
}

// payCourier captures the client's hold: C − commission to the courier, the commission to the
// platform; the courier's deposit is released. Delivery, and a client's cancellation after
// pickup once the item is back.
func (o *order) payCourier(ctx context.Context, tx pgx.Tx, reason string) error {
	if o.Courier == 0 {
		return apperr.InvalidField("courier_id", "settle.no_courier")
	}
	cu, err := o.accounts(ctx, tx, o.Courier)
	if err != nil {
		return err
	}
	fee := o.commission()
	o.capture(ctx, o.ClientHold, "client", reason,
		ledger.Leg{Account: cu.Available, Amount: o.Cost - fee}, ledger.Leg{Account: o.revenue, Amount: fee})
	o.releaseDeposit(ctx)
	return nil
}

// Deliver: the courier reported the recipient's code.
func Deliver(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planDeliver)
}

func planDeliver(ctx context.Context, tx pgx.Tx, o *order) error {
	if o.ClientHold == 0 {
		return apperr.New(apperr.Conflict, "settle.not_placed")
	}
	return o.payCourier(ctx, tx, "order.delivered")
}

// ClientCancel is the client's cancellation before pickup: before a deal the hold is released
// with no fee; after a deal the hold and the courier's deposit are released and the client owes
// the platform 20 % of C, even below zero. (After pickup the order goes to moderation and
// ClientReturned settles it.)
func ClientCancel(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planClientCancel)
}

func planClientCancel(ctx context.Context, tx pgx.Tx, o *order) error {
	dealt := o.DepositHold != 0 || o.PromoHold != 0
	o.release(ctx, o.ClientHold, "client")
	if !dealt {
		return nil
	}
	o.releaseDeposit(ctx)
	return o.penalty(ctx, tx, o.Client, Penalty(o.Cost), "client_cancel")
}

// ClientReturned settles a client's cancellation after pickup once the courier has brought the
// item back: the courier is paid as for a delivery, commission to the platform.
func ClientReturned(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planClientReturned)
}

func planClientReturned(ctx context.Context, tx pgx.Tx, o *order) error {
	return o.payCourier(ctx, tx, "order.client_returned")
}

// CourierFault settles a courier's cancellation (after a deal, or after pickup once the item is
// back) that was not force majeure: the client's hold and the deposit are released and the
// courier owes the platform 20 % of C.
func CourierFault(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planCourierFault)
}

func planCourierFault(ctx context.Context, tx pgx.Tx, o *order) error {
	o.release(ctx, o.ClientHold, "client")
	o.releaseDeposit(ctx)
	return o.penalty(ctx, tx, o.Courier, Penalty(o.Cost), "courier_cancel")
}

// NotDelivered settles an order not delivered 24 h after its expected time (or lost) when
// moderation found no force majeure: the courier's deposit V + C goes to the client, the client's
// hold is released, and the courier owes the platform its commission.
func NotDelivered(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planNotDelivered)
}

func planNotDelivered(ctx context.Context, tx pgx.Tx, o *order) error {
	cl, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return err
	}
	for _, d := range []struct {
		id   ledger.HoldID
		what string
	}{{o.DepositHold, "deposit"}, {o.PromoHold, "promo"}} {
		o.capture(ctx, d.id, d.what, "order.not_delivered", ledger.Leg{Account: cl.Available, Amount: o.amount[d.id]})
	}
	o.release(ctx, o.ClientHold, "client")
	return o.penalty(ctx, tx, o.Courier, o.commission(), "not_delivered")
}

// ForceMajeure: no penalties; every hold and deposit of the order is released.
func ForceMajeure(ctx context.Context, tx pgx.Tx, orderID int64) error {
	return run(ctx, tx, orderID, planForceMajeure)
}

func planForceMajeure(ctx context.Context, _ pgx.Tx, o *order) error {
	o.release(ctx, o.ClientHold, "client")
	o.releaseDeposit(ctx)
	return nil
}

// newCost checks a measured weight against the declared one and prices it: within ±20 % the
// declared weight stands and this is refused; beyond it the cost comes from the tariff.
func (o order) newCost(ctx context.Context, tx pgx.Tx, realGrams int64) (ledger.Minor, error) {
	if realGrams <= 0 {
		return 0, apperr.InvalidField("weight", "orders.weight_positive")
	}
	if !WeightDisputed(o.WeightGrams, realGrams) {
		return 0, apperr.InvalidField("weight", "settle.weight_within_tolerance")
	}
	tariff, err := orders.LoadTariff(ctx, tx)
	if err != nil {
		return 0, err
	}
	cost, err := tariff.Cost(realGrams)
	return ledger.Minor(cost), err
}

// Reweigh records the real weight staff measured, before delivery. Within ±20 % of the declared
// weight the declared one stands and this is refused; beyond it the cost is recomputed from the
// tariff and returned, with the order's weight and cost updated, the client's hold replaced by one
// of the new cost (refused when the client is short: they may then refuse with WeightRefused) and,
// after a deal, the courier's deposit by one of V + the new cost.
func Reweigh(ctx context.Context, tx pgx.Tx, orderID, realGrams int64) (ledger.Minor, error) {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return 0, err
	}
	cost, err := o.newCost(ctx, tx, realGrams)
	if err != nil {
		return 0, err
	}
	replaced := o.ClientHold
	o.release(ctx, o.ClientHold, "client")
	if _, err := tx.Exec(ctx, `UPDATE orders SET weight_grams = $2, cost = $3 WHERE id = $1`, o.ID, realGrams, int64(cost)); err != nil {
		return 0, err
	}
	ua, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return 0, err
	}
	// Keyed by the hold it replaces, so a second reweighing is a new hold and a retry is not.
	o.post(ledger.HoldPosting(ledger.HoldRequest{Key: o.key(fmt.Sprintf("place-reweighed-%d", replaced)), From: ua.Available, To: ua.Held,
		Amount: cost, Reason: "order.reweighed", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)}),
		func(h ledger.HoldResult) { o.ClientHold, o.open[h.Hold.ID] = h.Hold.ID, true })
	o.Cost, o.holdsChanged = cost, true
	if o.open[o.DepositHold] || o.open[o.PromoHold] {
		if o.open[o.PromoHold] {
			o.promo += o.amount[o.PromoHold] // released below, the courier's promo again
		}
		o.releaseDeposit(ctx)
		o.open[o.DepositHold], o.open[o.PromoHold] = false, false
		if err := o.deposit(ctx, tx); err != nil {
			return 0, err
		}
	}
	return cost, o.flush(ctx, tx)
}

// ReweighDelivered settles a weight dispute after delivery: the difference between the cost of
// the real weight and the cost paid is a transfer, client available → courier available less the
// commission on the difference, the commission → platform (refused when the client is short: they
// may then refuse with WeightRefused); a lighter real weight moves it back the same way. ref names
// the dispute (its case), so a retry posts nothing new.
func ReweighDelivered(ctx context.Context, tx pgx.Tx, orderID, realGrams int64, ref string) (ledger.Minor, error) {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return 0, err
	}
	if o.Courier == 0 {
		return 0, apperr.InvalidField("courier_id", "settle.no_courier")
	}
	cost, err := o.newCost(ctx, tx, realGrams)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET weight_grams = $2, cost = $3 WHERE id = $1`, o.ID, realGrams, int64(cost)); err != nil {
		return 0, err
	}
	diff := cost - o.Cost
	if diff == 0 {
		return cost, nil
	}
	cl, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return 0, err
	}
	cu, err := o.accounts(ctx, tx, o.Courier)
	if err != nil {
		return 0, err
	}
	sign, abs := ledger.Minor(1), diff
	if diff < 0 {
		sign, abs = -1, -diff
	}
	fee := Commission(abs, o.CommissionBP)
	legs := []ledger.Leg{{Account: cl.Available, Amount: -sign * abs}}
	if abs-fee != 0 {
		legs = append(legs, ledger.Leg{Account: cu.Available, Amount: sign * (abs - fee)})
	}
	if fee != 0 {
		legs = append(legs, ledger.Leg{Account: o.revenue, Amount: sign * fee})
	}
	o.post(ledger.TransferPosting(ledger.TransferRequest{Key: o.key("reweigh-delivered-" + ref), Reason: "order.reweighed_after_delivery",
		Legs: legs, Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx),
		// Money paid back to the client is owed by the courier whether or not it is there.
		AllowNegative: diff < 0}), nil)
	return cost, o.flush(ctx, tx)
}

// WeightRefused: staff measured a real weight beyond the tolerance and the client refuses the
// recomputed cost: the client pays the courier the fixed 100-unit forfeit (even below zero) and
// the order's holds and deposit are released. Within the tolerance the declared weight stands and
// there is nothing to refuse. ref names the dispute (its case).
func WeightRefused(ctx context.Context, tx pgx.Tx, orderID, realGrams int64, ref string) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if o.Courier == 0 {
		return apperr.InvalidField("courier_id", "settle.no_courier")
	}
	if realGrams <= 0 {
		return apperr.InvalidField("weight", "orders.weight_positive")
	}
	if !WeightDisputed(o.WeightGrams, realGrams) {
		return apperr.InvalidField("weight", "settle.weight_within_tolerance")
	}
	o.release(ctx, o.ClientHold, "client")
	o.releaseDeposit(ctx)
	cl, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return err
	}
	cu, err := o.accounts(ctx, tx, o.Courier)
	if err != nil {
		return err
	}
	o.post(ledger.TransferPosting(ledger.TransferRequest{Key: o.key("forfeit-" + ref), Reason: "order.weight_forfeit",
		Legs: ledger.Move(cl.Available, cu.Available, Forfeit), Links: ledger.Links{OrderRef: o.Number},
		CreatedBy: by(ctx), AllowNegative: true}), nil)
	return o.flush(ctx, tx)
}
