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
// job, a double click) posts nothing new; holds already resolved are left alone.

// Place holds the order's cost C from the client's available money (refused when short) and
// snapshots the commission rate, so a later change of the rate applies to new orders only.
func Place(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	_, err = o.place(ctx, tx)
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
	h, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: o.key("place"), From: ua.Available, To: ua.Held,
		Amount: o.Cost, Reason: "order.placed", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)})
	if err != nil {
		return false, err
	}
	o.ClientHold, o.open[h.Hold.ID] = h.Hold.ID, true
	return true, o.setHolds(ctx, tx)
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
	_, err = tx.Exec(ctx, `UPDATE order_money SET no_promo = $2 WHERE order_id = $1`, o.ID, noPromo)
	return err
}

// Accept is the deal: the courier's deposit V + C is set aside, promo credit first unless the
// order is flagged "no promo", the rest from available money; refused when short. The client's
// placement hold is placed first if the order has none yet (orders entered before this desk).
func Accept(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if o.Courier == 0 {
		return apperr.InvalidField("courier_id", "settle.no_courier")
	}
	if _, err := o.place(ctx, tx); err != nil {
		return err
	}
	if o.DepositHold != 0 || o.PromoHold != 0 {
		return nil
	}
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
			h, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: o.key("deposit-promo"), From: ua.Promo, To: ua.Deposit,
				Amount: fromPromo, Reason: "order.deposit_promo", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)})
			if err != nil {
				return err
			}
			o.PromoHold, need = h.Hold.ID, need-fromPromo
		}
	}
	if need > 0 {
		h, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: o.key("deposit"), From: ua.Available, To: ua.Deposit,
			Amount: need, Reason: "order.deposit", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)})
		if err != nil {
			return err
		}
		o.DepositHold = h.Hold.ID
	}
	return o.setHolds(ctx, tx)
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
	if err := o.capture(ctx, tx, o.ClientHold, "client", reason,
		ledger.Leg{Account: cu.Available, Amount: o.Cost - fee}, ledger.Leg{Account: o.revenue, Amount: fee}); err != nil {
		return err
	}
	return o.releaseDeposit(ctx, tx)
}

// Deliver: the courier reported the recipient's code.
func Deliver(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
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
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	dealt := o.DepositHold != 0 || o.PromoHold != 0
	if err := o.release(ctx, tx, o.ClientHold, "client"); err != nil {
		return err
	}
	if !dealt {
		return nil
	}
	if err := o.releaseDeposit(ctx, tx); err != nil {
		return err
	}
	return o.penalty(ctx, tx, o.Client, Penalty(o.Cost), "client_cancel")
}

// ClientReturned settles a client's cancellation after pickup once the courier has brought the
// item back: the courier is paid as for a delivery, commission to the platform.
func ClientReturned(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	return o.payCourier(ctx, tx, "order.client_returned")
}

// CourierFault settles a courier's cancellation (after a deal, or after pickup once the item is
// back) that was not force majeure: the client's hold and the deposit are released and the
// courier owes the platform 20 % of C.
func CourierFault(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if err := o.release(ctx, tx, o.ClientHold, "client"); err != nil {
		return err
	}
	if err := o.releaseDeposit(ctx, tx); err != nil {
		return err
	}
	return o.penalty(ctx, tx, o.Courier, Penalty(o.Cost), "courier_cancel")
}

// NotDelivered settles an order not delivered 24 h after its expected time (or lost) when
// moderation found no force majeure: the courier's deposit V + C goes to the client, the client's
// hold is released, and the courier owes the platform its commission.
func NotDelivered(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	cl, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return err
	}
	for _, d := range []struct {
		id   ledger.HoldID
		what string
	}{{o.DepositHold, "deposit"}, {o.PromoHold, "promo"}} {
		if err := o.capture(ctx, tx, d.id, d.what, "order.not_delivered", ledger.Leg{Account: cl.Available, Amount: o.amount[d.id]}); err != nil {
			return err
		}
	}
	if err := o.release(ctx, tx, o.ClientHold, "client"); err != nil {
		return err
	}
	return o.penalty(ctx, tx, o.Courier, o.commission(), "not_delivered")
}

// ForceMajeure: no penalties; every hold and deposit of the order is released.
func ForceMajeure(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if err := o.release(ctx, tx, o.ClientHold, "client"); err != nil {
		return err
	}
	return o.releaseDeposit(ctx, tx)
}

// Reweigh records the real weight staff measured. Within ±20 % of the declared weight the
// declared one stands and this is refused; beyond it the cost is recomputed from the tariff and
// returned, with the order's weight and cost updated and the client's hold replaced by one of the
// new cost (refused when the client is short: they may then refuse with WeightRefused).
func Reweigh(ctx context.Context, tx pgx.Tx, orderID, realGrams int64) (ledger.Minor, error) {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return 0, err
	}
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
	if err != nil {
		return 0, err
	}
	replaced := o.ClientHold
	if err := o.release(ctx, tx, o.ClientHold, "client"); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET weight_grams = $2, cost = $3 WHERE id = $1`, o.ID, realGrams, cost); err != nil {
		return 0, err
	}
	ua, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return 0, err
	}
	// Keyed by the hold it replaces, so a second reweighing is a new hold and a retry is not.
	h, err := ledger.PlaceHold(ctx, tx, ledger.HoldRequest{Key: o.key(fmt.Sprintf("place-reweighed-%d", replaced)), From: ua.Available, To: ua.Held,
		Amount: ledger.Minor(cost), Reason: "order.reweighed", Links: ledger.Links{OrderRef: o.Number}, CreatedBy: by(ctx)})
	if err != nil {
		return 0, err
	}
	o.ClientHold = h.Hold.ID
	return ledger.Minor(cost), o.setHolds(ctx, tx)
}

// WeightRefused: the client refuses the recomputed cost and pays the courier the fixed 100-unit
// forfeit (even below zero); the client's hold and the courier's deposit are released.
func WeightRefused(ctx context.Context, tx pgx.Tx, orderID int64) error {
	o, err := load(ctx, tx, orderID)
	if err != nil {
		return err
	}
	if o.Courier == 0 {
		return apperr.InvalidField("courier_id", "settle.no_courier")
	}
	if err := o.release(ctx, tx, o.ClientHold, "client"); err != nil {
		return err
	}
	if err := o.releaseDeposit(ctx, tx); err != nil {
		return err
	}
	cl, err := o.accounts(ctx, tx, o.Client)
	if err != nil {
		return err
	}
	cu, err := o.accounts(ctx, tx, o.Courier)
	if err != nil {
		return err
	}
	_, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: o.key("forfeit"), Reason: "order.weight_forfeit",
		Legs: ledger.Move(cl.Available, cu.Available, Forfeit), Links: ledger.Links{OrderRef: o.Number},
		CreatedBy: by(ctx), AllowNegative: true})
	return err
}
