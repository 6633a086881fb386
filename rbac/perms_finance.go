package rbac

// Finance desk I's permissions: the finance pages and the moderation desk; migrations/008_settlement.sql
// grants them.
const (
	FinanceRead    Perm = "finance:read"    // balances, ledger browser, revenue, trial balance, statements
	FinanceEdit    Perm = "finance:edit"    // commission rate and tariff bands
	ModerationRead Perm = "moderation:read" // the moderation queue and its cases
	ModerationWork Perm = "moderation:work" // record contacts and findings, choose outcomes
)
