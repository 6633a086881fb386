// Package lifecycle is an order's life: its states, the actions allowed from each, who may take
// them, and the money rule (admin/finance/settle) and notices each applies, all in the transaction
// that changes the status. Nothing else changes an order's status: the orders pages and the API
// enter and move orders here (Create, Move), the moderation desk opens and decides cases here
// (Open, Decide), and the overdue sweep opens its cases here (Sweep).
//
// table.go is the table, to be read line by line against RULES.md §3.2 and §3.3; lifecycle.go and cases.go
// carry it out.
package lifecycle

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/rbac"
)

// Action is something staff (or the system) do to an order.
type Action string

const (
	Place         Action = "place"          // enter an order (by hand or through the API)
	Accept        Action = "deal"           // a courier accepts it
	ChangeCourier Action = "change_courier" // another courier takes it over before pickup
	PickUp        Action = "pick_up"
	Deliver       Action = "deliver" // the courier reported the recipient's code
	ClientCancel  Action = "client_cancel"
	Moderate      Action = "moderate"  // open a case from the orders page
	OpenCase      Action = "open_case" // open a case from the moderation desk
	Overdue       Action = "overdue"   // the sweep opens the overdue case
	DecideCase    Action = "decide"    // a case's outcome (Outcomes)
)

// Event is the money rule of a row: a settle event run in the row's transaction.
type Event func(ctx context.Context, tx pgx.Tx, orderID int64) error

// Row is one line of the lifecycle: an action from a status, who may take it, where the order goes
// and the row of RULES.md §3.2 it applies. Every row notifies the order's client and courier.
type Row struct {
	Action   Action
	From, To orders.Status
	// Who may take it: the permission the route checks; "" is the system.
	Who   rbac.Perm
	Rule  string // RULES.md §3.2, in its words
	Money Event  // nil: no money moves
}

const (
	created      = orders.Created
	deal         = orders.Deal
	pickedUp     = orders.PickedUp
	delivered    = orders.Delivered
	cancelled    = orders.Cancelled
	inModeration = orders.InModeration
	returned     = orders.Returned
	lost         = orders.Lost
)

// Table is every move an order can make outside a case's decision (for those, Outcomes).
var Table = []Row{
	{Place, "", created, rbac.OrdersEdit, "order placed: client available → client held C (refused if available < C); " +
		"an imported order is placed at its deal", place},
	{Accept, created, deal, rbac.OrdersEdit, "deal: courier available (or promo) → courier deposit V + C (refused if short)", settle.Accept},
	{ChangeCourier, deal, deal, rbac.OrdersEdit, "changing the courier before pickup: the previous courier's deposit released without " +
		"penalty, the new courier's V + C held", settle.Reassign},
	{PickUp, deal, pickedUp, rbac.OrdersEdit, "no money moves; after pickup the courier changes only through moderation", nil},
	{Deliver, pickedUp, delivered, rbac.OrdersEdit, "delivered: client held C → courier C − commission, commission → platform; " +
		"courier deposit released", settle.Deliver},
	{ClientCancel, created, cancelled, rbac.OrdersEdit, "client cancels before a deal: hold released; no fee", settle.ClientCancel},
	{ClientCancel, deal, cancelled, rbac.OrdersEdit, "client cancels after a deal, before pickup: hold released; 20 % of C client → " +
		"platform (may go negative); deposit released", settle.ClientCancel},
	{ClientCancel, pickedUp, inModeration, rbac.OrdersEdit, "client cancels after pickup: the order goes to moderation " +
		"(a client_cancel_after_pickup case); the courier returns the item and the decision settles", nil},
	// A courier's cancellation, a weight dispute, a late complaint: a case opens and the money waits
	// for its decision.
	{Moderate, created, inModeration, rbac.OrdersEdit, "a case opens; no money moves until it is decided", nil},
	{Moderate, deal, inModeration, rbac.OrdersEdit, "a case opens; no money moves until it is decided", nil},
	{Moderate, pickedUp, inModeration, rbac.OrdersEdit, "a case opens; no money moves until it is decided", nil},
	{Moderate, delivered, inModeration, rbac.OrdersEdit, "a case opens (weight dispute, late complaint); nothing is held", nil},
	{OpenCase, created, inModeration, rbac.ModerationWork, "as Moderate", nil},
	{OpenCase, deal, inModeration, rbac.ModerationWork, "as Moderate", nil},
	{OpenCase, pickedUp, inModeration, rbac.ModerationWork, "as Moderate", nil},
	{OpenCase, delivered, inModeration, rbac.ModerationWork, "as Moderate", nil},
	{Overdue, deal, inModeration, "", "not delivered 24 h after the expected time: the order goes to moderation automatically", nil},
	{Overdue, pickedUp, inModeration, "", "not delivered 24 h after the expected time: the order goes to moderation automatically", nil},
}

// Two more entry points touch orders without a row here, by design:
//   - the Excel import (admin/orders/imports.go) writes orders in created, as Place does but without
//     the client's hold: the Accept row places it first (settle.Accept), so an imported order's money
//     starts at its deal;
//   - complaint decisions (admin/complaints) move money between accounts — a refund from the
//     respondent to the complainant, a compensation from the platform, a penalty to the platform —
//     and never an order's status or its holds, so they are allowed whatever state the order is in.

// ReasonsFrom are the reasons a case may open for, by where the order is: a cancellation after
// pickup needs a pickup, a courier's cancellation a courier.
var ReasonsFrom = map[string][]orders.Status{
	"overdue":                      {deal, pickedUp},
	"client_cancel_after_pickup":   {pickedUp},
	"courier_cancel_before_pickup": {deal},
	"courier_cancel_after_pickup":  {pickedUp},
	"weight_dispute":               {created, deal, pickedUp, delivered},
	"manual":                       {created, deal, pickedUp, delivered},
}

// CaseReasons lists the reasons staff may open a case for from a status, manual first (the orders
// page's default); the overdue case is the sweep's.
func CaseReasons(from orders.Status) []string {
	var out []string
	for _, r := range append([]string{"manual"}, Reasons...) {
		if r != "overdue" && contains(ReasonsFrom[r], from) && !contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Reasons a case opens for, in the order the desk lists them.
var Reasons = []string{"overdue", "client_cancel_after_pickup", "courier_cancel_before_pickup", "courier_cancel_after_pickup", "weight_dispute", "manual"}

// Outcome is one line of a case's decision: an outcome for an order that was in From when its case
// opened (for Reasons, or any reason when nil), where the order goes, and the money rule. Only
// staff with moderation:work decide. The first line that fits applies.
type Outcome struct {
	Outcome string
	From    orders.Status
	Reasons []string
	To      orders.Status
	Rule    string
	// Money runs the rule; grams is the real weight for the weight outcomes, ref names the case.
	Money func(ctx context.Context, tx pgx.Tx, orderID, grams int64, ref string) error
}

// Outcomes of a case, RULES.md §3.2 row by row (§3.3: one row per decision). "Resumed" (nothing owed, the order goes back where it
// was) ends a case opened by mistake or a complaint not upheld.
var Outcomes = []Outcome{
	{"delivered_late", deal, nil, delivered, "delivered (late): as a delivery", ev(settle.Deliver)},
	{"delivered_late", pickedUp, nil, delivered, "delivered (late): as a delivery", ev(settle.Deliver)},
	{"force_majeure", created, nil, cancelled, "force majeure: no penalties; holds and deposits released", ev(settle.ForceMajeure)},
	{"force_majeure", deal, nil, cancelled, "force majeure: no penalties; holds and deposits released", ev(settle.ForceMajeure)},
	{"force_majeure", pickedUp, nil, cancelled, "force majeure: no penalties; holds and deposits released", ev(settle.ForceMajeure)},
	{"lost", deal, nil, lost, "not delivered: courier deposit V + C → client; client's hold released; commission courier → platform", ev(settle.NotDelivered)},
	{"lost", pickedUp, nil, lost, "not delivered: courier deposit V + C → client; client's hold released; commission courier → platform", ev(settle.NotDelivered)},
	{"returned", pickedUp, []string{"client_cancel_after_pickup"}, returned, "client cancels after pickup, item back: C − commission → courier, commission → platform; deposit released", ev(settle.ClientReturned)},
	{"returned", pickedUp, nil, returned, "courier cancels after pickup, item back: client hold released; 20 % of C courier → platform; deposit released", ev(settle.CourierFault)},
	{"client_fault", created, nil, cancelled, "client cancels before a deal: hold released; no fee", ev(settle.ClientCancel)},
	{"client_fault", deal, nil, cancelled, "client cancels after a deal: hold released; 20 % of C client → platform; deposit released", ev(settle.ClientCancel)},
	{"client_fault", pickedUp, nil, returned, "client cancels after pickup, item back: C − commission → courier, commission → platform; deposit released", ev(settle.ClientReturned)},
	{"courier_fault", deal, []string{"overdue"}, lost, "not delivered 24 h late, no force majeure: deposit V + C → client; hold released; commission courier → platform", ev(settle.NotDelivered)},
	{"courier_fault", pickedUp, []string{"overdue"}, lost, "not delivered 24 h late, no force majeure: deposit V + C → client; hold released; commission courier → platform", ev(settle.NotDelivered)},
	{"courier_fault", deal, nil, cancelled, "courier cancels after a deal, no force majeure: client hold released; 20 % of C courier → platform; deposit released", ev(settle.CourierFault)},
	{"courier_fault", pickedUp, nil, returned, "courier cancels after pickup, item back: client hold released; 20 % of C courier → platform; deposit released", ev(settle.CourierFault)},
	{"weight_accepted", created, weight, created, "weight beyond ±20 %: the recomputed cost replaces the client's hold", reweigh},
	{"weight_accepted", deal, weight, deal, "weight beyond ±20 %: the recomputed cost replaces the client's hold; deposit becomes V + new cost", reweigh},
	{"weight_accepted", pickedUp, weight, pickedUp, "weight beyond ±20 %: the recomputed cost replaces the client's hold; deposit becomes V + new cost", reweigh},
	{"weight_accepted", delivered, weight, delivered, "weight beyond ±20 % after delivery: the difference client → courier less commission on it, commission → platform", reweighDelivered},
	{"weight_refused", deal, weight, cancelled, "weight beyond ±20 %, client refuses: 100 forfeit client → courier; holds and deposit released", settle.WeightRefused},
	{"weight_refused", pickedUp, weight, returned, "weight beyond ±20 %, client refuses: 100 forfeit client → courier; holds and deposit released", settle.WeightRefused},
	{"weight_refused", delivered, weight, delivered, "weight beyond ±20 % after delivery, client refuses: 100 forfeit client → courier instead of the difference", settle.WeightRefused},
	{"resumed", created, nil, created, "nothing owed: the order goes back where it was, its money as it was", nil},
	{"resumed", deal, nil, deal, "nothing owed: the order goes back where it was, its money as it was", nil},
	{"resumed", pickedUp, nil, pickedUp, "nothing owed: the order goes back where it was, its money as it was", nil},
	{"resumed", delivered, nil, delivered, "nothing owed: the order stays delivered", nil},
}

// OutcomeNames lists the outcomes in the order the case page offers them.
var OutcomeNames = []string{"delivered_late", "force_majeure", "lost", "returned", "client_fault", "courier_fault",
	"weight_accepted", "weight_refused", "resumed"}

var weight = []string{"weight_dispute"}

func ev(e Event) func(context.Context, pgx.Tx, int64, int64, string) error {
	return func(ctx context.Context, tx pgx.Tx, id, _ int64, _ string) error { return e(ctx, tx, id) }
}

func place(ctx context.Context, tx pgx.Tx, id int64) error { return settle.Place(ctx, tx, id) }

func reweigh(ctx context.Context, tx pgx.Tx, id, grams int64, _ string) error {
	_, err := settle.Reweigh(ctx, tx, id, grams)
	return err
}

func reweighDelivered(ctx context.Context, tx pgx.Tx, id, grams int64, ref string) error {
	_, err := settle.ReweighDelivered(ctx, tx, id, grams, ref)
	return err
}

// find is the row of action from a status.
func find(action Action, from orders.Status) (Row, bool) {
	for _, r := range Table {
		if r.Action == action && r.From == from {
			return r, true
		}
	}
	return Row{}, false
}

// outcome is the line of an outcome for a case opened from a status for a reason.
func outcome(name string, from orders.Status, reason string) (Outcome, bool) {
	for _, o := range Outcomes {
		if o.Outcome == name && o.From == from && (o.Reasons == nil || contains(o.Reasons, reason)) {
			return o, true
		}
	}
	return Outcome{}, false
}

// OutcomesFor lists the outcomes a case opened from a status for a reason may have.
func OutcomesFor(from orders.Status, reason string) []string {
	var out []string
	for _, name := range OutcomeNames {
		if _, ok := outcome(name, from, reason); ok {
			out = append(out, name)
		}
	}
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
