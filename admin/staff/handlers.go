package staff

import (
	"cmp"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/staffv"
)

// Handlers serve /admin/staff.
type Handlers struct {
	Pool *pgxpool.Pool
}

// List shows every staff member, and which groups require two factors.
func (h *Handlers) List(c *fiber.Ctx) error {
	list, err := List(web.Ctx(c), h.Pool)
	if err != nil {
		return err
	}
	names, err := GroupNames(web.Ctx(c), h.Pool, i18n.Lang(web.Ctx(c)))
	if err != nil {
		return err
	}
	rows := make([]staffv.Row, len(list))
	for i, s := range list {
		rows[i] = row(s, names)
	}
	groups, err := TwoFactorGroups(web.Ctx(c), h.Pool)
	if err != nil {
		return err
	}
	tf := make([]staffv.GroupOption, len(groups))
	for i, g := range groups {
		tf[i] = staffv.GroupOption{ID: g.ID, Name: cmp.Or(names[g.Name], g.Name), Checked: g.Required}
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.staff"), staffv.List(rows, tf))
}

// SaveTwoFactorGroups sets which groups require two factors.
func (h *Handlers) SaveTwoFactorGroups(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	ids := formIDs(c, "group")
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return SetTwoFactorGroups(ctx, tx, ids) }); err != nil {
		return err
	}
	web.Toast(c, "success", "common.saved")
	return web.Redirect(c, "/admin/staff")
}

// ResetTwoFactor removes a member's two-factor enrolment (a lost phone).
func (h *Handlers) ResetTwoFactor(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return ResetTwoFactor(ctx, tx, id) }); err != nil {
		return err
	}
	web.Toast(c, "success", "staff.two_factor_reset_done")
	return web.Redirect(c, "/admin/staff/"+strconv.FormatInt(id, 10))
}

// NewForm shows the form for a new staff account.
func (h *Handlers) NewForm(c *fiber.Ctx) error {
	groups, err := groupOptions(c, h.Pool)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "staff.new"), staffv.NewForm(staffv.Form{Groups: groups, Lang: "uk"}))
}

// Create adds a staff account.
func (h *Handlers) Create(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	// The administrator chose the password, so the member replaces it at the first log-in.
	n := New{Email: c.FormValue("email"), Name: c.FormValue("name"), Lang: c.FormValue("lang"), Password: c.FormValue("password"),
		GroupIDs: formIDs(c, "group"), MustChange: true}
	var id ID
	err := n.Validate()
	if err == nil {
		err = ValidatePassword(n.Password, n.Email, n.Name)
	}
	if err == nil {
		err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) {
			id, err = Create(ctx, tx, n)
			return err
		})
	}
	if e, ok := err.(*apperr.Error); ok && e.Field != "" {
		groups, gerr := groupOptions(c, h.Pool)
		if gerr != nil {
			return gerr
		}
		for i := range groups {
			for _, g := range n.GroupIDs {
				groups[i].Checked = groups[i].Checked || groups[i].ID == g
			}
		}
		form := staffv.Form{Email: n.Email, Name: n.Name, Lang: n.Lang, Groups: groups, Errors: map[string]string{e.Field: web.T(c, e.Message)}}
		return web.Render(c, fiber.StatusUnprocessableEntity, web.T(c, "staff.new"), staffv.NewForm(form))
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "staff.created")
	return web.Redirect(c, "/admin/staff/"+strconv.FormatInt(id, 10))
}

// Show is one staff member: groups, active flag, password reset.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderShow(c, id, "")
}

func (h *Handlers) renderShow(c *fiber.Ctx, id ID, newPassword string) error {
	s, err := ByID(web.Ctx(c), h.Pool, id)
	if err != nil {
		return err
	}
	groups, err := groupOptions(c, h.Pool)
	if err != nil {
		return err
	}
	for i := range groups {
		for _, name := range s.Groups {
			groups[i].Checked = groups[i].Checked || groups[i].Name == name
		}
	}
	self := web.Actor(c).ID == id
	names, err := GroupNames(web.Ctx(c), h.Pool, i18n.Lang(web.Ctx(c)))
	if err != nil {
		return err
	}
	for i := range groups {
		groups[i].Name = cmp.Or(names[groups[i].Name], groups[i].Name)
	}
	return web.Render(c, fiber.StatusOK, s.Name, staffv.Show(row(s, names), groups, newPassword, self))
}

// SaveGroups replaces a staff member's groups.
func (h *Handlers) SaveGroups(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	groups := formIDs(c, "group")
	if web.Actor(c).ID == id {
		// Nobody removes their own administrator role: the portal must always have someone who can fix it.
		keeps, err := AnyAdminGroup(ctx, h.Pool, groups)
		if err != nil {
			return err
		}
		if !keeps {
			return apperr.New(apperr.Conflict, "staff.cannot_drop_own_admin")
		}
	}
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return SetGroups(ctx, tx, id, groups) }); err != nil {
		return err
	}
	web.Toast(c, "success", "common.saved")
	return web.Redirect(c, "/admin/staff/"+strconv.FormatInt(id, 10))
}

// SetActive deactivates or reactivates an account. Administrators cannot deactivate themselves.
func (h *Handlers) SetActive(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	active := c.FormValue("active") == "true"
	if !active && web.Actor(c).ID == id {
		return apperr.New(apperr.Conflict, "staff.cannot_deactivate_self")
	}
	ctx := web.Ctx(c)
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return SetActive(ctx, tx, id, active) }); err != nil {
		return err
	}
	if active {
		web.Toast(c, "success", "staff.activated")
	} else {
		web.Toast(c, "success", "staff.deactivated")
	}
	return web.Redirect(c, "/admin/staff/"+strconv.FormatInt(id, 10))
}

// ResetPassword generates a one-time password and shows it once.
func (h *Handlers) ResetPassword(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	var pw string
	if err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) { pw, err = ResetPassword(ctx, tx, id); return err }); err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	return h.renderShow(c, id, pw)
}

// row is a staff member as the pages show them, group names in the viewer's language.
func row(s Staff, names map[string]string) staffv.Row {
	groups := make([]string, len(s.Groups))
	for i, g := range s.Groups {
		groups[i] = cmp.Or(names[g], g)
	}
	return staffv.Row{ID: s.ID, Email: s.Email, Name: s.Name, Lang: s.Lang, Active: s.Active, Groups: groups,
		LastLogin: s.LastLoginAt, TwoFactor: s.TwoFactor}
}

func groupOptions(c *fiber.Ctx, pool *pgxpool.Pool) ([]staffv.GroupOption, error) {
	groups, err := Groups(web.Ctx(c), pool)
	if err != nil {
		return nil, err
	}
	out := make([]staffv.GroupOption, len(groups))
	for i, g := range groups {
		out[i] = staffv.GroupOption{ID: g.ID, Name: g.Name, Role: g.Role}
	}
	return out, nil
}

// formIDs reads repeated integer form values (checkboxes).
func formIDs(c *fiber.Ctx, name string) []int64 {
	var ids []int64
	for _, v := range c.Context().PostArgs().PeekMulti(name) {
		if id, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
