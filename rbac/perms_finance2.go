package rbac

// Finance desk II's permissions: payouts and reconciliation; migrations/007_payouts.sql grants
// them to the finance role.
const (
	PayoutsRead     Perm = "payouts:read"     // list and open payouts
	PayoutsRequest  Perm = "payouts:request"  // enter a payout request for a user
	PayoutsApprove  Perm = "payouts:approve"  // approve or refuse another officer's request
	PayoutsOverride Perm = "payouts:override" // pay to a card whose holder name differs, with a reason
	ReconRead       Perm = "recon:read"       // periods, statements, results, exports
	ReconEdit       Perm = "recon:edit"       // open periods, load statements, resolve exceptions
	ReconClose      Perm = "recon:close"      // close a period
	// ReconApprove approves or refuses another officer's correcting entry above the threshold
	// (migrations/024_recon_corrections.sql).
	ReconApprove Perm = "recon:approve"
	// Funding (migrations/019_funding.sql): manual top-ups and couriers' promo credit.
	FundingRequest Perm = "funding:request" // record a top-up or grant promo credit, with a reason
	FundingApprove Perm = "funding:approve" // approve or refuse another officer's request above the threshold
)
