package rbac

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// The permissions routes ask for. Desk issues add theirs here and grant them in a migration.
const (
	DashboardRead Perm = "dashboard:read"
	AccountsRead  Perm = "accounts:read"
	AccountsEdit  Perm = "accounts:edit"
	StaffManage   Perm = "staff:manage"
	GroupsManage  Perm = "groups:manage"
	AuditRead     Perm = "audit:read"
	JobsManage    Perm = "jobs:manage"
	MetricsRead   Perm = "metrics:read"
)

// AllPerms lists every permission, once, in the order the role matrix shows them; the route-table
// test checks every route's permission is here. A desk that adds permissions lists them here and
// grants them in a migration.
func AllPerms() []Perm {
	return []Perm{
		DashboardRead, AccountsRead, AccountsEdit, StaffManage, GroupsManage, AuditRead, JobsManage, MetricsRead,
		AccountsBlock, AccountsDelete, AccountsDeleteOverride, APIKeysRead, APIKeysManage,
		NewsRead, NewsEdit, NotificationsRead, NotificationsResend,
		ComplaintsRead, ComplaintsWrite, ComplaintsDecide, ComplaintsAssign, ComplaintsExtend, ComplaintsBoard,
		FinanceRead, FinanceEdit, ModerationRead, ModerationWork,
		PayoutsRead, PayoutsRequest, PayoutsApprove, PayoutsOverride, ReconRead, ReconEdit, ReconClose, ReconApprove,
		FundingRequest, FundingApprove,
		OrdersRead, OrdersEdit,
	}
}

// GrantTx allows role the permission. The casbin_rule trigger tells every process to reload.
func GrantTx(ctx context.Context, tx pgx.Tx, role string, p Perm) error {
	obj, act := p.split()
	_, err := tx.Exec(ctx, `INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', $1, $2, $3) ON CONFLICT DO NOTHING`, role, obj, act)
	return err
}

// RevokeTx takes the permission from role.
func RevokeTx(ctx context.Context, tx pgx.Tx, role string, p Perm) error {
	obj, act := p.split()
	_, err := tx.Exec(ctx, `DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = $1 AND v1 = $2 AND v2 = $3`, role, obj, act)
	return err
}
