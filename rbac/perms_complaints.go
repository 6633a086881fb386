package rbac

// The complaints desk's permissions; migrations/006_complaints.sql grants them to roles.
const (
	ComplaintsRead   Perm = "complaints:read"   // queues, complaint pages, evidence and letters
	ComplaintsWrite  Perm = "complaints:write"  // register, notes, evidence, explanations, withdrawal
	ComplaintsDecide Perm = "complaints:decide" // take the decision and its actions
	ComplaintsAssign Perm = "complaints:assign" // assign and reassign (leads)
	ComplaintsExtend Perm = "complaints:extend" // approve the one extension (leads)
	ComplaintsBoard  Perm = "complaints:board"  // the SLA board and its export (leads)
)
