// Package financeweb gathers Finance desk II's pages (payouts and reconciliation) into one route
// list, so admin/server.go registers them with one line.
package financeweb

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
)

// Deps are what the pages need; River may be nil (a web-only process cannot queue payments).
type Deps struct {
	Pool     *pgxpool.Pool
	River    *jobs.Client
	Enforcer *rbac.Enforcer
	Loc      *time.Location
	Currency string
}

// Routes are the payouts and reconciliation pages.
func Routes(d Deps) []web.Route {
	p := &payouts.Handlers{Pool: d.Pool, Jobs: payouts.JobsOf(d.River), Enforcer: d.Enforcer}
	r := &recon.Handlers{Pool: d.Pool, Jobs: recon.JobsOf(d.River), Loc: d.Loc, Currency: d.Currency, Enforcer: d.Enforcer}
	return append(payouts.Routes(p), recon.Routes(r)...)
}
