package admin

import (
	"context"

	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// ordersRoutes are the orders desk's routes and the generated files' routes (downloads, progress,
// notices), which any desk's jobs use.
func (s *Server) ordersRoutes(ctx context.Context) ([]Route, error) {
	d := s.deps
	store, err := files.Open(ctx, d.Pool, d.Config.DataDir)
	if err != nil {
		return nil, err
	}
	h := &orders.Handlers{Pool: d.Pool, Files: store, Can: d.Enforcer.Can, TZ: d.Config.TZ, Currency: d.Config.Currency,
		Lifecycle: lifecycle.Service{Pool: d.Pool}}
	if d.River != nil {
		h.Jobs = d.River
	}
	routes := files.Routes(&files.Handlers{Store: store})
	return append(routes, orders.Routes(h)...), nil
}
