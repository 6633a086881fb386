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
}

const selectStaff = `
	SELECT s.id, s.email, s.name, s.lang, s.active, s.must_change_password, s.failed_logins, s.locked_until,
	       s.last_login_at, s.created_at,
	       coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.id IS NOT NULL), '{}') AS groups,
	       coalesce(array_agg(DISTINCT g.role) FILTER (WHERE g.id IS NOT NULL), '{}') AS roles
	FROM staff s
	LEFT JOIN staff_group_members m ON m.staff_id = s.id
	LEFT JOIN staff_groups g ON g.id = m.group_id`

// ByID loads a staff member with groups and roles.
func ByID(ctx context.Context, q db.Querier, id ID) (Staff, error) {
	return one(ctx, q, selectStaff+` WHERE s.id = $1 GROUP BY s.id`, id)
}

// ByEmail loads a staff member by e-mail (case-insensitive).
func ByEmail(ctx context.Context, q db.Querier, email string) (Staff, error) {
	return one(ctx, q, selectStaff+` WHERE s.email = $1 GROUP BY s.id`, NormalizeEmail(email))
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
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

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
	return ValidatePassword(n.Password)
}

// ValidatePassword checks a new password's strength.
func ValidatePassword(pw string) error {
	if len([]rune(pw)) < MinPasswordLen {
		return apperr.InvalidField("password", "staff.password_short")
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
	err = tx.QueryRow(ctx, `INSERT INTO staff (email, name, lang, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`,
		n.Email, n.Name, n.Lang, hash).Scan(&id)
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
		map[string]any{"email": n.Email, "name": n.Name, "lang": n.Lang, "groups": n.GroupIDs})
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

// SetActive activates or deactivates an account. Deactivated staff cannot log in and their sessions end.
func SetActive(ctx context.Context, tx pgx.Tx, id ID, active bool) error {
	tag, err := tx.Exec(ctx, `UPDATE staff SET active = $2, updated_at = now() WHERE id = $1`, id, active)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.NotFound, "staff.not_found")
	}
	return audit.Record(ctx, tx, "staff.set_active", "staff", id, map[string]any{"active": !active}, map[string]any{"active": active})
}

// ResetPassword sets a generated one-time password that must be changed at the next log-in and
// returns it, to be shown once to the administrator. It also lifts a lockout.
func ResetPassword(ctx context.Context, tx pgx.Tx, id ID) (string, error) {
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return "", err
	}
	tag, err := tx.Exec(ctx, `UPDATE staff SET password_hash = $2, must_change_password = true, failed_logins = 0,
		locked_until = NULL, updated_at = now() WHERE id = $1`, id, hash)
	if err != nil {
		return "", err
	}
	if tag.RowsAffected() == 0 {
		return "", apperr.New(apperr.NotFound, "staff.not_found")
	}
	return pw, audit.Record(ctx, tx, "staff.reset_password", "staff", id, nil, nil)
}

// ChangePassword replaces the user's own password after checking the current one.
func ChangePassword(ctx context.Context, tx pgx.Tx, id ID, current, next string) error {
	var hash string
	if err := tx.QueryRow(ctx, `SELECT password_hash FROM staff WHERE id = $1 FOR UPDATE`, id).Scan(&hash); err != nil {
		return err
	}
	if ok, err := argon2id.ComparePasswordAndHash(current, hash); err != nil || !ok {
		return apperr.InvalidField("current", "staff.password_wrong")
	}
	if err := ValidatePassword(next); err != nil {
		return apperr.InvalidField("next", "staff.password_short")
	}
	if current == next {
		return apperr.InvalidField("next", "staff.password_same")
	}
	newHash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE staff SET password_hash = $2, must_change_password = false, updated_at = now() WHERE id = $1`, id, newHash); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "staff.change_password", "staff", id, nil, nil)
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
