package rbac

// The orders desk's permissions; migrations/004_orders.sql grants them to roles.
const (
	OrdersRead Perm = "orders:read" // list, open, print and export orders
	OrdersEdit Perm = "orders:edit" // enter, import, change status, attach files
)
