// Package dashboard is the landing page: what the user's desks need now, at a glance.
package dashboard

import (
	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/news"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views"
	"github.com/postdesk/postdesk/views/dashv"
	"github.com/postdesk/postdesk/views/newsv"
)

// Handlers serve /.
type Handlers struct {
	Pool *pgxpool.Pool
}

// Show counts the registry and greets the user. Later desks add their own tiles.
func (h *Handlers) Show(c *fiber.Ctx) error {
	var d dashv.Data
	var err error
	d.Clients, d.Couriers, d.Blocked, err = accounts.Counts(web.Ctx(c), h.Pool)
	if err != nil {
		return err
	}
	nav, _ := c.Locals(web.LocalNav).([]views.NavItem)
	for _, n := range nav {
		d.Links = d.Links || n.Href == "/accounts"
	}
	d.Name = web.Actor(c).Name
	feed, err := news.Feed(web.Ctx(c), h.Pool, 5)
	if err != nil {
		return err
	}
	items := make([]newsv.Item, len(feed))
	for i, n := range feed {
		items[i] = news.ViewItem(n)
	}
	d.Feed = newsv.Feed(items)
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.dashboard"), dashv.Dashboard(d))
}
