// Package staff keeps the platform's own people: their accounts, passwords and group membership.
// Log-in lives in admin/auth; the screens administrators use live here.
package staff

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"net/mail"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
)

// ID is a staff member's id.
type ID = int64

// Staff is a staff account. The password hash never leaves this package's store functions.
type Staff struct {
	ID                 ID         `db:"id" json:"id"`
	Email              string     `db:"email" json:"email"`
	Name               string     `db:"name" json:"name"`
	Lang               string     `db:"lang" json:"lang"`
	Active             bool       `db:"active" json:"active"`
	MustChangePassword bool       `db:"must_change_password" json:"must_change_password"`
	FailedLogins       int        `db:"failed_logins" json:"-"`
	LockedUntil        *time.Time `db:"locked_until" json:"locked_until,omitempty"`
	LastLoginAt        *time.Time `db:"last_login_at" json:"last_login_at,omitempty"`
	CreatedAt          time.Time  `db:"created_at" json:"created_at"`
	Groups             []string   `db:"groups" json:"groups"`
	Roles              []string   `db:"roles" json:"-"`
	// SessionEpoch moves on when every session of the member must end (see auth).
	SessionEpoch int `db:"session_epoch" json:"-"`
	// TwoFactor: enrolled in TOTP; RequireTwoFactor: one of their groups requires it.
	TwoFactor        bool `db:"two_factor" json:"two_factor"`
	RequireTwoFactor bool `db:"require_two_factor" json:"require_two_factor"`
}

const selectStaff = `
	SELECT s.id, s.email, s.name, s.lang, s.active, s.must_change_password, s.failed_logins, s.locked_until,
	       s.last_login_at, s.created_at, s.session_epoch, s.totp_enabled_at IS NOT NULL AS two_factor,
	       coalesce(bool_or(g.require_two_factor), false) AS require_two_factor,
	       coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.id IS NOT NULL), '{}') AS groups,
	       coalesce(array_agg(DISTINCT g.role) FILTER (WHERE g.id IS NOT NULL), '{}') AS roles
	FROM staff s
	LEFT JOIN staff_group_members m ON m.staff_id = s.id
	LEFT JOIN staff_groups g ON g.id = m.group_id`

// ByID loads a staff member with groups and roles.
func ByID(ctx context.Context, q db.Querier, id ID) (Staff, error) {
	return one(ctx, q, selectStaff+` WHERE s.id = $1 GROUP BY s.id`, id)
}

func one(ctx context.Context, q db.Querier, sql string, arg any) (Staff, error) {
	rows, err := q.Query(ctx, sql, arg)
	if err != nil {
		return Staff{}, err
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Staff])
	if errors.Is(err, pgx.ErrNoRows) {
		return Staff{}, apperr.New(apperr.NotFound, "staff.not_found")
	}
	return s, err
}

// List returns every staff member, by name. The platform has dozens of staff, not millions.
func List(ctx context.Context, q db.Querier) ([]Staff, error) {
	rows, err := q.Query(ctx, selectStaff+` GROUP BY s.id ORDER BY s.name, s.id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Staff])
}

// NormalizeEmail lower-cases and trims an address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// New is what an administrator fills in to create a staff account.
type New struct {
	Email    string
	Name     string
	Lang     string
	Password string
	GroupIDs []int64
	// MustChange: the password was chosen by an administrator, so the member replaces it at the
	// first log-in.
	MustChange bool
}

// Validate says what is wrong with the form, field by field.
func (n *New) Validate() error {
	n.Email = NormalizeEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	if a, err := mail.ParseAddress(n.Email); err != nil || a.Address != n.Email {
		return apperr.InvalidField("email", "staff.email_invalid")
	}
	if n.Name == "" {
		return apperr.InvalidField("name", "staff.name_required")
	}
	switch n.Lang {
	case "uk", "ru", "en":
	default:
		n.Lang = "uk"
	}
	// Only the length here: the demo data's shared, documented password is made by the system.
	// Passwords people choose go through ValidatePassword (the staff form, /me).
	if msg := passwordProblem(n.Password, "", ""); msg == "staff.password_short" || msg == "staff.password_long" {
		return apperr.InvalidField("password", msg)
	}
	return nil
}

// HashParams are argon2id's costs: RFC 9106's second recommendation, lighter on memory.
var HashParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword hashes with argon2id.
func HashPassword(pw string) (string, error) { return argon2id.CreateHash(pw, HashParams) }

// Create adds a staff account and its group membership, audited, in tx.
func Create(ctx context.Context, tx pgx.Tx, n New) (ID, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return 0, err
	}
	var id ID
	err = tx.QueryRow(ctx, `INSERT INTO staff (email, name, lang, password_hash, must_change_password) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		n.Email, n.Name, n.Lang, hash, n.MustChange).Scan(&id)
	if db.IsUniqueViolation(err, "") {
		return 0, apperr.InvalidField("email", "staff.email_taken")
	}
	if err != nil {
		return 0, err
	}
	if err := setGroups(ctx, tx, id, n.GroupIDs); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, "staff.create", "staff", id, nil,
		map[string]any{"email": n.Email, "name": n.Name, "lang": n.Lang, "groups": n.GroupIDs, "must_change_password": n.MustChange})
}

// SetGroups replaces a staff member's group membership, audited.
func SetGroups(ctx context.Context, tx pgx.Tx, id ID, groupIDs []int64) error {
	before, err := ByID(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := setGroups(ctx, tx, id, groupIDs); err != nil {
		return err
	}
	after, err := ByID(ctx, tx, id)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, "staff.groups", "staff", id, map[string]any{"groups": before.Groups}, map[string]any{"groups": after.Groups})
}

func setGroups(ctx context.Context, tx pgx.Tx, id ID, groupIDs []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM staff_group_members WHERE staff_id = $1`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO staff_group_members (group_id, staff_id) SELECT unnest($1::bigint[]), $2`, groupIDs, id)
	return err
}

// SetActive activates or deactivates an account. Deactivated staff cannot log in and all their
// sessions end (the epoch moves on, so reactivating the account does not bring them back).
func SetActive(ctx context.Context, tx pgx.Tx, id ID, active bool) error {
	tag, err := tx.Exec(ctx, `UPDATE staff SET active = $2, updated_at = now(),
		session_epoch = session_epoch + CASE WHEN $2 THEN 0 ELSE 1 END WHERE id = $1`, id, active)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.NotFound, "staff.not_found")
	}
	return audit.Record(ctx, tx, "staff.set_active", "staff", id, map[string]any{"active": !active}, map[string]any{"active": active})
}

// ResetPassword sets a generated one-time password that must be changed at the next log-in and
// returns it, to be shown once to the administrator. It also lifts a lockout and ends every
// session of the member.
func ResetPassword(ctx context.Context, tx pgx.Tx, id ID) (string, error) {
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return "", err
	}
	tag, err := tx.Exec(ctx, `UPDATE staff SET password_hash = $2, must_change_password = true, failed_logins = 0,
		locked_until = NULL, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1`, id, hash)
	if err != nil {
		return "", err
	}
	if tag.RowsAffected() == 0 {
		return "", apperr.New(apperr.NotFound, "staff.not_found")
	}
	return pw, audit.Record(ctx, tx, "staff.reset_password", "staff", id, nil, nil)
}

// ChangePassword replaces the user's own password after checking the current one. Every session
// of theirs ends: it returns the new session epoch, for the session the change was made in to
// carry on under.
func ChangePassword(ctx context.Context, tx pgx.Tx, id ID, current, next string) (epoch int, err error) {
	var hash, email, name string
	if err := tx.QueryRow(ctx, `SELECT password_hash, email, name FROM staff WHERE id = $1 FOR UPDATE`, id).Scan(&hash, &email, &name); err != nil {
		return 0, err
	}
	if ok, err := argon2id.ComparePasswordAndHash(current, hash); err != nil || !ok {
		return 0, apperr.InvalidField("current", "staff.password_wrong")
	}
	if current == next {
		return 0, apperr.InvalidField("next", "staff.password_same")
	}
	if msg := passwordProblem(next, email, name); msg != "" {
		return 0, apperr.InvalidField("next", msg)
	}
	newHash, err := HashPassword(next)
	if err != nil {
		return 0, err
	}
	if err := tx.QueryRow(ctx, `UPDATE staff SET password_hash = $2, must_change_password = false, updated_at = now(),
		session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch`, id, newHash).Scan(&epoch); err != nil {
		return 0, err
	}
	return epoch, audit.Record(ctx, tx, "staff.change_password", "staff", id, nil, nil)
}

// SetLang saves the user's UI language.
func SetLang(ctx context.Context, q db.Querier, id ID, lang string) error {
	_, err := q.Exec(ctx, `UPDATE staff SET lang = $2, updated_at = now() WHERE id = $1`, id, lang)
	return err
}

// GeneratePassword makes a 16-character password without look-alike characters.
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

// ResetTwoFactor removes a member's two-factor enrolment and recovery codes (they enrol again at
// their next log-in if a group requires it) and ends their sessions, audited.
func ResetTwoFactor(ctx context.Context, tx pgx.Tx, id ID) error {
	var had bool
	err := tx.QueryRow(ctx, `SELECT totp_enabled_at IS NOT NULL FROM staff WHERE id = $1 FOR UPDATE`, id).Scan(&had)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "staff.not_found")
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE staff SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0,
		session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = $1`, id); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "staff.two_factor_reset", "staff", id, map[string]any{"two_factor": had}, map[string]any{"two_factor": false})
}

// GroupTwoFactor is a group and whether it requires two factors.
type GroupTwoFactor struct {
	ID       int64
	Name     string
	Required bool
}

// TwoFactorGroups lists the groups and which of them require two factors.
func TwoFactorGroups(ctx context.Context, q db.Querier) ([]GroupTwoFactor, error) {
	rows, err := q.Query(ctx, `SELECT id, name, require_two_factor FROM staff_groups ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var out []GroupTwoFactor
	var g GroupTwoFactor
	_, err = pgx.ForEachRow(rows, []any{&g.ID, &g.Name, &g.Required}, func() error { out = append(out, g); return nil })
	return out, err
}

// SetTwoFactorGroups makes exactly the given groups require two factors, audited per change.
func SetTwoFactorGroups(ctx context.Context, tx pgx.Tx, required []int64) error {
	rows, err := tx.Query(ctx, `UPDATE staff_groups g SET require_two_factor = (g.id = ANY($1))
		FROM staff_groups o WHERE o.id = g.id AND o.require_two_factor <> (g.id = ANY($1))
		RETURNING g.id, g.name, g.require_two_factor`, required)
	if err != nil {
		return err
	}
	type change struct {
		id   int64
		name string
		on   bool
	}
	var changes []change
	var ch change
	if _, err := pgx.ForEachRow(rows, []any{&ch.id, &ch.name, &ch.on}, func() error { changes = append(changes, ch); return nil }); err != nil {
		return err
	}
	for _, ch := range changes {
		if err := audit.Record(ctx, tx, "groups.two_factor", "staff_group", ch.id,
			map[string]any{"name": ch.name, "require_two_factor": !ch.on}, map[string]any{"name": ch.name, "require_two_factor": ch.on}); err != nil {
			return err
		}
	}
	return nil
}

// GroupRef is a staff group as the forms list it.
type GroupRef struct {
	ID   int64
	Name string
	Role string
}

// Groups lists every staff group by name.
func Groups(ctx context.Context, q db.Querier) ([]GroupRef, error) {
	rows, err := q.Query(ctx, `SELECT id, name, role FROM staff_groups ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[GroupRef])
}

// AnyAdminGroup tells whether one of the groups carries the administrator role.
func AnyAdminGroup(ctx context.Context, q db.Querier, groups []int64) (bool, error) {
	var keeps bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_groups WHERE id = ANY($1) AND role = 'admin')`, groups).Scan(&keeps)
	return keeps, err
}

// GroupNames maps each group's name (as created: unique, what audits show) to its name in lang;
// a group with no name in lang keeps its own (migrations/026_group_names.sql).
func GroupNames(ctx context.Context, q db.Querier, lang string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT name, coalesce(nullif(names->>$1, ''), name) FROM staff_groups`, lang)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var name, label string
	_, err = pgx.ForEachRow(rows, []any{&name, &label}, func() error { out[name] = label; return nil })
	return out, err
}
