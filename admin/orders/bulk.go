package orders

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/ordersv"
)

// MoveMany is the list's bulk action: the picked orders take one move (admin/lifecycle.MoveMany),
// each as its own page would move it, and the answer says how many moved and why the others did
// not. The list refreshes itself (the orders-moved event).
func (h *Handlers) MoveMany(c *fiber.Ctx) error {
	var numbers []string
	seen := map[string]bool{}
	for _, n := range c.Request().PostArgs().PeekMulti("n") {
		if s := normalizeNumber(string(n)); s != "" && !seen[s] {
			seen[s] = true
			numbers = append(numbers, s)
		}
	}
	to := Status(c.FormValue("to"))
	errs, err := h.Lifecycle.MoveMany(web.Ctx(c), numbers, to, c.FormValue("note"), h.nowUTC())
	if err != nil {
		return err
	}
	d := ordersv.BulkResult{To: web.T(c, "orders.status."+string(to))}
	for i, e := range errs {
		if e == nil {
			d.Moved++
			continue
		}
		d.Refused = append(d.Refused, ordersv.Refusal{Number: numbers[i], Reason: h.reason(c, e)})
	}
	switch {
	case d.Moved == 0:
		web.Toast(c, "error", "orders.bulk_none_moved")
	case len(d.Refused) > 0:
		web.Toast(c, "warning", "orders.bulk_some_moved", "Moved", d.Moved, "Refused", len(d.Refused))
	default:
		web.Toast(c, "success", "orders.bulk_moved", "Moved", d.Moved, "To", d.To)
	}
	web.Trigger(c, "orders-moved")
	return web.Fragment(c, fiber.StatusOK, ordersv.Bulk(d))
}

// reason says in the user's words why an order did not move.
func (h *Handlers) reason(c *fiber.Ctx, err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return web.T(c, ae.Message, argsOf(ae)...)
	}
	slog.ErrorContext(web.Ctx(c), "bulk move", "err", err)
	return web.T(c, "orders.bulk_failed")
}
