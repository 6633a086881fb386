// Package groups is where administrators manage employee groups, the field-visibility matrix
// (fields × groups) and the role permission matrix (permissions × roles).
package groups

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/groupsv"
)

// Group is an employee group.
type Group struct {
	ID          int64  `db:"id"`
	Name        string `db:"name"`
	Role        string `db:"role"`
	Description string `db:"description"`
	Members     int    `db:"members"`
	// Names are its names by UI language (uk, ru, en); Label picks one.
	Names map[string]string `db:"names"`
}

// Label is the group's name in lang, or the name it was created with.
func (g Group) Label(lang string) string {
	if n := g.Names[lang]; n != "" {
		return n
	}
	return g.Name
}

// List returns every group with its member count.
func List(ctx context.Context, q db.Querier) ([]Group, error) {
	rows, err := q.Query(ctx, `SELECT g.id, g.name, g.role, g.description, count(m.staff_id)::int AS members, g.names
		FROM staff_groups g LEFT JOIN staff_group_members m ON m.group_id = g.id GROUP BY g.id ORDER BY g.name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Group])
}

// CreateTx adds a group, audited.
func CreateTx(ctx context.Context, tx pgx.Tx, name, role, description string) (int64, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, apperr.InvalidField("name", "groups.name_required")
	}
	if !validRole(role) {
		return 0, apperr.InvalidField("role", "groups.role_invalid")
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO staff_groups (name, role, description) VALUES ($1, $2, $3) RETURNING id`, name, role, description).Scan(&id)
	if db.IsUniqueViolation(err, "") {
		return 0, apperr.InvalidField("name", "groups.name_taken")
	}
	if err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, "groups.create", "group", id, nil, map[string]any{"name": name, "role": role})
}

func validRole(role string) bool {
	for _, r := range rbac.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// rules returns every group's explicit field modes: group id → "record.field" → mode.
func rules(ctx context.Context, q db.Querier) (map[int64]map[string]rbac.Mode, error) {
	rows, err := q.Query(ctx, `SELECT group_id, record || '.' || field, mode FROM field_rules`)
	if err != nil {
		return nil, err
	}
	out := map[int64]map[string]rbac.Mode{}
	var gid int64
	var key, mode string
	_, err = pgx.ForEachRow(rows, []any{&gid, &key, &mode}, func() error {
		m, err := rbac.ParseMode(mode)
		if err != nil {
			return err
		}
		if out[gid] == nil {
			out[gid] = map[string]rbac.Mode{}
		}
		out[gid][key] = m
		return nil
	})
	return out, err
}

// Handlers serve /admin/groups and /admin/roles.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
}

// Matrix shows the groups and the fields × groups matrix of modes.
func (h *Handlers) Matrix(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	groups, err := List(ctx, h.Pool)
	if err != nil {
		return err
	}
	ruleMap, err := rules(ctx, h.Pool)
	if err != nil {
		return err
	}
	d := groupsv.MatrixData{Roles: rbac.Roles, Langs: i18n.Langs}
	lang := i18n.Lang(ctx)
	for _, g := range groups {
		d.Groups = append(d.Groups, groupsv.Group{ID: g.ID, Name: g.Label(lang), Original: g.Name, Names: g.Names, Role: g.Role, Members: g.Members})
	}
	for _, f := range rbac.Fields("") {
		row := groupsv.FieldRow{Key: f.Key(), Record: f.Record, Field: f.Name}
		for _, g := range groups {
			m, ok := ruleMap[g.ID][f.Key()]
			if !ok {
				m = f.Default
			}
			row.Modes = append(row.Modes, m.String())
		}
		d.Fields = append(d.Fields, row)
	}
	for _, m := range rbac.Modes() {
		d.ModeNames = append(d.ModeNames, m.String())
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.groups"), groupsv.Matrix(d))
}

// SaveNames sets a group's name in each UI language (empty: the name it was created with), audited.
func (h *Handlers) SaveNames(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, l := range i18n.Langs {
		if n := strings.TrimSpace(c.FormValue("name_" + l)); n != "" {
			if len([]rune(n)) > 100 {
				return apperr.InvalidField("name_"+l, "groups.name_too_long")
			}
			names[l] = n
		}
	}
	ctx := web.Ctx(c)
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		var before map[string]string
		if err := tx.QueryRow(ctx, `SELECT names FROM staff_groups WHERE id = $1 FOR UPDATE`, id).Scan(&before); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.New(apperr.NotFound, "error.not_found")
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_groups SET names = $2 WHERE id = $1`, id, names); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "groups.names", "group", id, before, names)
	})
	if err != nil {
		return err
	}
	web.Toast(c, "success", "groups.names_saved")
	return web.Redirect(c, "/admin/groups")
}

// Create adds a group.
func (h *Handlers) Create(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		_, err := CreateTx(ctx, tx, c.FormValue("name"), c.FormValue("role"), c.FormValue("description"))
		return err
	})
	if err != nil {
		return err
	}
	web.Toast(c, "success", "groups.created")
	return web.Redirect(c, "/admin/groups")
}

// SaveRules stores the whole matrix. Form fields are named rule:<group id>:<record.field>.
func (h *Handlers) SaveRules(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	known := map[string]rbac.Field{}
	for _, f := range rbac.Fields("") {
		known[f.Key()] = f
	}
	type change struct {
		group         int64
		record, field string
		mode          rbac.Mode
	}
	var changes []change
	var bad error
	c.Context().PostArgs().VisitAll(func(k, v []byte) {
		name, ok := strings.CutPrefix(string(k), "rule:")
		if !ok {
			return
		}
		gid, key, _ := strings.Cut(name, ":")
		id, err := strconv.ParseInt(gid, 10, 64)
		f, known := known[key]
		mode, merr := rbac.ParseMode(string(v))
		if err != nil || !known || merr != nil {
			bad = apperr.New(apperr.Invalid, "groups.bad_rule")
			return
		}
		changes = append(changes, change{id, f.Record, f.Name, mode})
	})
	if bad != nil {
		return bad
	}
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		before, err := rules(ctx, tx)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			old, had := before[ch.group][ch.record+"."+ch.field]
			if had && old == ch.mode {
				continue
			}
			if _, err := rbac.SetRuleTx(ctx, tx, ch.group, ch.record, ch.field, ch.mode); err != nil {
				return err
			}
			var was any
			if had {
				was = old.String()
			}
			if err := audit.Record(ctx, tx, "groups.field_rule", "group", ch.group,
				map[string]any{"field": ch.record + "." + ch.field, "mode": was},
				map[string]any{"field": ch.record + "." + ch.field, "mode": ch.mode.String()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	web.Toast(c, "success", "common.saved")
	return web.Redirect(c, "/admin/groups")
}

// Roles shows the permissions × roles matrix.
func (h *Handlers) Roles(c *fiber.Ctx) error {
	d := groupsv.RolesData{Roles: rbac.Roles}
	for _, p := range rbac.AllPerms() {
		row := groupsv.PermRow{Perm: string(p)}
		for _, r := range rbac.Roles {
			row.Allowed = append(row.Allowed, h.Enforcer.Can([]string{r}, p))
		}
		d.Perms = append(d.Perms, row)
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.roles"), groupsv.Roles(d))
}

// SaveRoles grants and revokes permissions so the matrix matches the form. The admin role keeps
// everything: an administrator cannot lock everyone out.
func (h *Handlers) SaveRoles(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	want := map[string]bool{}
	c.Context().PostArgs().VisitAll(func(k, _ []byte) {
		if key, ok := strings.CutPrefix(string(k), "perm:"); ok {
			want[key] = true
		}
	})
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		for _, r := range rbac.Roles {
			if r == "admin" {
				continue
			}
			for _, p := range rbac.AllPerms() {
				has := h.Enforcer.Can([]string{r}, p)
				wants := want[r+"|"+string(p)]
				if has == wants {
					continue
				}
				var err error
				if wants {
					err = rbac.GrantTx(ctx, tx, r, p)
				} else {
					err = rbac.RevokeTx(ctx, tx, r, p)
				}
				if err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, "roles.permission", "role", r, map[string]any{string(p): has}, map[string]any{string(p): wants}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// This process reloads now; the others on the change notice.
	if err := h.Enforcer.Reload(); err != nil {
		return err
	}
	web.Toast(c, "success", "common.saved")
	return web.Redirect(c, "/admin/roles")
}
