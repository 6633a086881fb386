// Package model is a reference model of RULES.md §3.2 and §3.3 — the money of orders, moderation outcomes,
// weight disputes and complaint decisions — written from the rule book alone, as plain Go maps of
// balances. It shares no code with admin/lifecycle or admin/finance/settle (a test checks it does
// not import them): the model-based test in admin/lifecycle runs the portal and this model side by
// side and compares every balance afterwards.
//
// The model answers two questions for each action: is it allowed (and if not, nothing changes),
// and what does it do to the balances. It is not safe for concurrent use; the driver serialises
// the actions on one party's accounts.
package model

import "fmt"

// Account is a user's balances in minor units.
type Account struct {
	Available, Held, Deposit, Promo int64
}

// Order is what the rule book says an order holds: the client's hold of the cost and at most one
// deposit of V + C, from the courier currently assigned (part promo credit, part money).
type Order struct {
	Status          string
	Client, Courier int64
	Cost, Declared  int64
	Grams           int64
	NoPromo         bool
	ClientHeld      int64 // the client's hold of C (0: none)
	DepositMoney    int64 // the courier's deposit from available money
	DepositPromo    int64 // ... and from promo credit
	// The open case: where the order was when it opened and why ("" when none).
	CaseFrom, CaseReason string
	Overdue              bool // the overdue case has been opened once already
	Expected             bool // has an expected delivery time (the sweep looks at it)
}

// Model is the platform's money by the rule book.
type Model struct {
	Accounts     map[int64]*Account
	Revenue      int64 // the platform's revenue (commissions and penalties less compensations)
	Orders       map[string]*Order
	CommissionBP int64      // the commission, basis points of the cost
	Tariff       [][2]int64 // weight bands: up to grams, price
}

// New is a model with the given commission and tariff.
func New(commissionBP int64, tariff [][2]int64) *Model {
	return &Model{Accounts: map[int64]*Account{}, Orders: map[string]*Order{}, CommissionBP: commissionBP, Tariff: tariff}
}

// Refused is an action the rule book does not allow now; Why says which rule.
type Refused struct{ Why string }

func (r Refused) Error() string { return "refused: " + r.Why }

func refuse(format string, args ...any) error { return Refused{Why: fmt.Sprintf(format, args...)} }

// Rules of §3.
const (
	PenaltyPercent   = 20
	Forfeit          = 100_00
	TolerancePercent = 20
)

// Commission is the platform's share of an amount, rounded half up, never more than it.
func (m *Model) Commission(amount int64) int64 {
	return min(amount, (amount*m.CommissionBP+5000)/10000)
}

// Penalty is 20 % of the cost, rounded half up.
func Penalty(cost int64) int64 { return (cost*PenaltyPercent + 50) / 100 }

// Beyond tells whether a real weight is beyond ±20 % of the declared one.
func Beyond(declared, real int64) bool {
	d := declared - real
	if d < 0 {
		d = -d
	}
	return d*100 > declared*TolerancePercent
}

// Price is the tariff's cost of a weight (false when the tariff has no band for it).
func (m *Model) Price(grams int64) (int64, bool) {
	best := [2]int64{}
	for _, b := range m.Tariff {
		if grams > 0 && grams <= b[0] && (best[0] == 0 || b[0] < best[0]) {
			best = b
		}
	}
	return best[1], best[0] != 0
}

func (m *Model) acc(id int64) *Account {
	a := m.Accounts[id]
	if a == nil {
		a = &Account{}
		m.Accounts[id] = a
	}
	return a
}

// Fund brings money in (a top-up) or grants promo credit.
func (m *Model) Fund(user, money, promo int64) {
	m.acc(user).Available += money
	m.acc(user).Promo += promo
}

// Place enters an order: the client's available money → held, the cost C; refused when short.
func (m *Model) Place(number string, client, grams, declared int64, noPromo, expected bool) error {
	cost, ok := m.Price(grams)
	if !ok {
		return refuse("no tariff band for %d g", grams)
	}
	c := m.acc(client)
	if c.Available < cost {
		return refuse("client short")
	}
	c.Available -= cost
	c.Held += cost
	m.Orders[number] = &Order{Status: "created", Client: client, Cost: cost, Declared: declared, Grams: grams,
		NoPromo: noPromo, ClientHeld: cost, Expected: expected}
	return nil
}

// deposit sets V + C aside from a courier: promo credit first unless the order says no promo, the
// rest from available money; refused when short.
func (m *Model) deposit(o *Order, courier int64) error {
	k := m.acc(courier)
	need := o.Declared + o.Cost
	promo := int64(0)
	if !o.NoPromo {
		promo = min(need, max(k.Promo, 0))
	}
	if need > promo && k.Available < need-promo { // promo credit alone may cover it
		return refuse("courier short")
	}
	k.Promo -= promo
	k.Available -= need - promo
	k.Deposit += need
	o.Courier, o.DepositMoney, o.DepositPromo = courier, need-promo, promo
	return nil
}

// releaseDeposit returns the deposit to the courier it came from.
func (m *Model) releaseDeposit(o *Order) {
	k := m.acc(o.Courier)
	k.Deposit -= o.DepositMoney + o.DepositPromo
	k.Available += o.DepositMoney
	k.Promo += o.DepositPromo
	o.DepositMoney, o.DepositPromo = 0, 0
}

func (m *Model) releaseClient(o *Order) {
	c := m.acc(o.Client)
	c.Held -= o.ClientHeld
	c.Available += o.ClientHeld
	o.ClientHeld = 0
}

// payCourier: the client's held C → courier C − commission, commission → platform; deposit back.
func (m *Model) payCourier(o *Order) {
	fee := m.Commission(o.Cost)
	m.acc(o.Client).Held -= o.ClientHeld
	m.acc(o.Courier).Available += o.ClientHeld - fee
	m.Revenue += fee
	o.ClientHeld = 0
	m.releaseDeposit(o)
}

// penalty: from a user's available money to the platform, even below zero.
func (m *Model) penalty(user, amount int64) {
	m.acc(user).Available -= amount
	m.Revenue += amount
}

// notDelivered: the deposit V + C → client; the client's hold released; the commission from the
// courier → platform.
func (m *Model) notDelivered(o *Order) {
	k, c := m.acc(o.Courier), m.acc(o.Client)
	k.Deposit -= o.DepositMoney + o.DepositPromo
	c.Available += o.DepositMoney + o.DepositPromo
	o.DepositMoney, o.DepositPromo = 0, 0
	m.releaseClient(o)
	m.penalty(o.Courier, m.Commission(o.Cost))
}

func (m *Model) order(number string) (*Order, error) {
	o := m.Orders[number]
	if o == nil {
		return nil, refuse("no order %s", number)
	}
	return o, nil
}

// Move is an action of the orders page: to deal (with a courier: a deal, or on an order in deal a
// change of courier), picked_up, delivered, cancelled (the client's), in_moderation (opens a case).
func (m *Model) Move(number, to string, courier int64) error {
	o, err := m.order(number)
	if err != nil {
		return err
	}
	switch {
	case courier != 0 && to != "deal":
		return refuse("a courier only with a deal")
	case to == "in_moderation":
		return m.Open(number, "manual")
	case to == "deal" && o.Status == "created":
		if courier == 0 {
			courier = o.Courier
		}
		if courier == 0 {
			return refuse("a deal needs a courier")
		}
		if err := m.deposit(o, courier); err != nil {
			return err
		}
		o.Status = "deal"
	case to == "deal" && o.Status == "deal":
		if courier == 0 || courier == o.Courier {
			return refuse("a change of courier needs another courier")
		}
		// Atomic: if the new courier is short, the old deposit stays.
		snapshot, old := *m.acc(o.Courier), o.Courier
		prev := *o
		m.releaseDeposit(o)
		if err := m.deposit(o, courier); err != nil {
			*m.acc(old), *o = snapshot, prev
			return err
		}
	case to == "picked_up" && o.Status == "deal":
		o.Status = "picked_up"
	case to == "delivered" && o.Status == "picked_up":
		m.payCourier(o)
		o.Status = "delivered"
	case to == "cancelled" && o.Status == "created":
		m.releaseClient(o)
		o.Status = "cancelled"
	case to == "cancelled" && o.Status == "picked_up":
		return m.Open(number, "client_cancel_after_pickup")
	case to == "cancelled" && o.Status == "deal":
		m.releaseClient(o)
		m.releaseDeposit(o)
		m.penalty(o.Client, Penalty(o.Cost))
		o.Status = "cancelled"
	default:
		return refuse("%s → %s", o.Status, to)
	}
	return nil
}

// reasonFrom: where an order must be for a case to open for a reason.
var reasonFrom = map[string][]string{
	"overdue":                      {"deal", "picked_up"},
	"client_cancel_after_pickup":   {"picked_up"},
	"courier_cancel_before_pickup": {"deal"},
	"courier_cancel_after_pickup":  {"picked_up"},
	"weight_dispute":               {"created", "deal", "picked_up", "delivered"},
	"manual":                       {"created", "deal", "picked_up", "delivered"},
}

// Open opens a moderation case: the order goes to moderation and waits; no money moves.
func (m *Model) Open(number, reason string) error {
	o, err := m.order(number)
	if err != nil {
		return err
	}
	if !has(reasonFrom[reason], o.Status) {
		return refuse("no %s case from %s", reason, o.Status)
	}
	o.CaseFrom, o.CaseReason, o.Status = o.Status, reason, "in_moderation"
	if reason == "overdue" {
		o.Overdue = true
	}
	return nil
}

// Sweep opens the overdue case of every order on the road past its expected time (the driver
// calls it when they all are), once per order. It returns the orders it moved.
func (m *Model) Sweep() []string {
	var moved []string
	for n, o := range m.Orders {
		if o.Expected && !o.Overdue && (o.Status == "deal" || o.Status == "picked_up") {
			_ = m.Open(n, "overdue")
			moved = append(moved, n)
		}
	}
	return moved
}

// Decide is a case's outcome; grams is the real weight for the weight outcomes.
func (m *Model) Decide(number, outcome string, grams int64) error {
	o, err := m.order(number)
	if err != nil {
		return err
	}
	if o.Status != "in_moderation" {
		return refuse("no open case")
	}
	from, reason := o.CaseFrom, o.CaseReason
	weightCase := reason == "weight_dispute"
	to := ""
	switch outcome {
	case "delivered_late":
		if from != "deal" && from != "picked_up" {
			return refuse("not on the road")
		}
		m.payCourier(o)
		to = "delivered"
	case "force_majeure":
		if from == "delivered" {
			return refuse("delivered")
		}
		m.releaseClient(o)
		m.releaseDeposit(o)
		to = "cancelled"
	case "lost":
		if from != "deal" && from != "picked_up" {
			return refuse("not on the road")
		}
		m.notDelivered(o)
		to = "lost"
	case "returned":
		if from != "picked_up" {
			return refuse("not picked up")
		}
		if reason == "client_cancel_after_pickup" {
			m.payCourier(o)
		} else {
			m.courierFault(o)
		}
		to = "returned"
	case "client_fault":
		switch from {
		case "created":
			m.releaseClient(o)
			to = "cancelled"
		case "deal":
			m.releaseClient(o)
			m.releaseDeposit(o)
			m.penalty(o.Client, Penalty(o.Cost))
			to = "cancelled"
		case "picked_up":
			m.payCourier(o)
			to = "returned"
		default:
			return refuse("client fault from %s", from)
		}
	case "courier_fault":
		switch {
		case reason == "overdue" && (from == "deal" || from == "picked_up"):
			m.notDelivered(o)
			to = "lost"
		case from == "deal":
			m.courierFault(o)
			to = "cancelled"
		case from == "picked_up":
			m.courierFault(o)
			to = "returned"
		default:
			return refuse("courier fault from %s", from)
		}
	case "weight_accepted":
		if !weightCase {
			return refuse("not a weight dispute")
		}
		if err := m.reweigh(o, from, grams); err != nil {
			return err
		}
		to = from
	case "weight_refused":
		if !weightCase || from == "created" {
			return refuse("no forfeit here")
		}
		if grams <= 0 || !Beyond(o.Grams, grams) {
			return refuse("within tolerance")
		}
		m.releaseClient(o)
		m.releaseDeposit(o)
		m.acc(o.Client).Available -= Forfeit
		m.acc(o.Courier).Available += Forfeit
		to = map[string]string{"deal": "cancelled", "picked_up": "returned", "delivered": "delivered"}[from]
	case "resumed":
		to = from
	default:
		return refuse("unknown outcome %s", outcome)
	}
	o.Status, o.CaseFrom, o.CaseReason = to, "", ""
	return nil
}

// courierFault: the client's hold and the deposit released; 20 % of C from the courier.
func (m *Model) courierFault(o *Order) {
	m.releaseClient(o)
	m.releaseDeposit(o)
	m.penalty(o.Courier, Penalty(o.Cost))
}

// reweigh: beyond ±20 % the cost is recomputed. Before delivery the new cost replaces the client's
// hold and the deposit becomes V + the new cost; after delivery the difference is a transfer,
// client → courier less the commission on it, commission → platform. Refused (nothing changes)
// when the client or the courier is short.
func (m *Model) reweigh(o *Order, from string, grams int64) error {
	if grams <= 0 || !Beyond(o.Grams, grams) {
		return refuse("within tolerance")
	}
	cost, ok := m.Price(grams)
	if !ok {
		return refuse("no tariff band")
	}
	c := m.acc(o.Client)
	if from == "delivered" {
		diff := cost - o.Cost
		abs, sign := diff, int64(1)
		if diff < 0 {
			abs, sign = -diff, -1
		}
		if diff > 0 && c.Available < diff {
			return refuse("client short")
		}
		fee := m.Commission(abs)
		c.Available -= sign * abs
		m.acc(o.Courier).Available += sign * (abs - fee)
		m.Revenue += sign * fee
		o.Cost, o.Grams = cost, grams
		return nil
	}
	// Before delivery: all or nothing.
	savedClient, savedOrder := *c, *o
	var savedCourier Account
	if o.Courier != 0 {
		savedCourier = *m.acc(o.Courier)
	}
	undo := func() {
		*c, *o = savedClient, savedOrder
		if o.Courier != 0 {
			*m.acc(o.Courier) = savedCourier
		}
	}
	m.releaseClient(o)
	if c.Available < cost {
		undo()
		return refuse("client short")
	}
	c.Available -= cost
	c.Held += cost
	o.ClientHeld, o.Cost, o.Grams = cost, cost, grams
	if o.DepositMoney+o.DepositPromo > 0 {
		courier := o.Courier
		m.releaseDeposit(o)
		if err := m.deposit(o, courier); err != nil {
			undo()
			return err
		}
	}
	return nil
}

// Refund, Compensation and Penalty are a complaint decision's money: the respondent pays the
// complainant back; the platform compensates the complainant; the respondent pays the platform.
// Owed whether or not the money is there.
func (m *Model) Refund(from, to, amount int64) {
	m.acc(from).Available -= amount
	m.acc(to).Available += amount
}

func (m *Model) Compensation(to, amount int64) {
	m.Revenue -= amount
	m.acc(to).Available += amount
}

func (m *Model) Penalty(from, amount int64) { m.penalty(from, amount) }

// Payout is a payout request: the user's available money → payouts pending; refused when the
// request is more than the available money.
func (m *Model) Payout(user, amount int64) error {
	if amount > m.acc(user).Available {
		return refuse("payout over the available money")
	}
	m.acc(user).Available -= amount
	return nil
}

// PayoutReturned gives a refused (or failed) payout's money back to the user's available money.
func (m *Model) PayoutReturned(user, amount int64) { m.acc(user).Available += amount }

// Finished tells whether an order has ended (it must hold nothing).
func Finished(status string) bool {
	return status == "delivered" || status == "cancelled" || status == "returned" || status == "lost"
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
