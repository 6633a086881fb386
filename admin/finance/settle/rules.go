// Package settle applies RULES.md §3.2's order money rules: one function per event of the money
// table, each called inside the transaction that changes the order's status, moving money only
// through admin/finance/ledger. rules.go is the arithmetic; settle.go loads an order's money state;
// events.go holds the events.
package settle

import "github.com/postdesk/postdesk/admin/finance/ledger"

const (
	// PenaltyPercent of the order's cost is what a cancellation after a deal costs the one who
	// cancels.
	PenaltyPercent = 20
	// Forfeit is what a client who refuses a recomputed cost pays the courier: 100 units.
	Forfeit ledger.Minor = 100 * 100
	// WeightTolerancePercent: a declared weight within this of the real one counts as correct.
	WeightTolerancePercent = 20
	// DefaultCommissionBP is used when the setting is missing: 10 %.
	DefaultCommissionBP = 1000
)

// Penalty is 20 % of the cost, rounded half up to a minor unit.
func Penalty(cost ledger.Minor) ledger.Minor { return (cost*PenaltyPercent + 50) / 100 }

// Commission is the platform's share of the cost at bp basis points, rounded half up; never more
// than the cost.
func Commission(cost ledger.Minor, bp int) ledger.Minor {
	return min(cost, (cost*ledger.Minor(bp)+5000)/10000)
}

// WeightDisputed tells whether the real weight is beyond the tolerance of the declared one, so
// the cost must be recomputed.
func WeightDisputed(declaredGrams, realGrams int64) bool {
	d := declaredGrams - realGrams
	if d < 0 {
		d = -d
	}
	return d*100 > declaredGrams*WeightTolerancePercent
}
