package accounts

import (
	"errors"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views"
)

// lookupTarget is the id of the form's input a lookup fills (it names the listbox too).
var lookupTarget = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,40}$`)

// Lookup answers a form's active search for a client, courier or any account — by name, phone or
// id, through the accounts list's own search (field rules decide what may be searched and what is
// shown) — as a listbox of at most ten options; choosing one puts its id into the form's input
// (static/js/app.js). Without JavaScript the input takes a typed id as before.
func (h *Handlers) Lookup(c *fiber.Ctx) error {
	target := c.Query("target")
	if !lookupTarget.MatchString(target) {
		return apperr.InvalidField("target", "error.invalid")
	}
	box := views.LookupBox{Target: target}
	q := strings.TrimSpace(c.Query("q"))
	if q == "" {
		return web.Fragment(c, fiber.StatusOK, views.LookupOptions(box))
	}
	kind := c.Query("kind")
	if kind != "client" && kind != "courier" {
		kind = ""
	}
	list, _, err := List(web.Ctx(c), h.Pool, Filter{Search: q, Kind: kind, Limit: 10})
	var ae *apperr.Error
	switch {
	case errors.As(err, &ae) && (ae.Code == apperr.Invalid || ae.Code == apperr.Forbidden):
		box.Message = web.T(c, ae.Message) // too short a name, a field the viewer may not search by
	case err != nil:
		return err
	case len(list) == 0:
		box.Message = web.T(c, "lookup.none")
	}
	for _, a := range list {
		box.Options = append(box.Options, views.LookupOption{ID: a.ID, Label: a.Name, Detail: a.Phone, Kind: web.T(c, "accounts.kind."+a.Kind)})
	}
	return web.Fragment(c, fiber.StatusOK, views.LookupOptions(box))
}
