package rbac

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Mode is how much of a field a group's members see. Larger is more.
type Mode int

const (
	Hidden Mode = iota // not loaded, not shown, not searchable, not sortable
	Masked             // shown partly (+380 •• ••• •• 67); not searchable, not sortable
	Read               // shown whole
	Edit               // shown and changeable
)

var modeNames = []string{"hidden", "masked", "read", "edit"}

func (m Mode) String() string { return modeNames[m] }

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return Hidden, fmt.Errorf("unknown field mode %q", s)
}

// Modes lists every mode, least visible first.
func Modes() []Mode { return []Mode{Hidden, Masked, Read, Edit} }

// Field is a field that field rules can govern.
type Field struct {
	Record string
	Name   string
	// Default applies to a group with no rule for the field. Personal data defaults to Hidden.
	Default Mode
	// Mask renders the masked form; nil masks all but the last two characters.
	Mask func(string) string
}

// Key is "record.field".
func (f Field) Key() string { return f.Record + "." + f.Name }

// fields indexes the governed fields (fields_list.go) by key; built once, never changed.
var fields = func() map[string]Field {
	m := make(map[string]Field, len(governedFields))
	for _, f := range governedFields {
		m[f.Key()] = f
	}
	return m
}()

// Fields returns the registered fields of record (all records when record is ""), sorted.
func Fields(record string) []Field {
	var out []Field
	for _, f := range fields {
		if record == "" || f.Record == record {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// View is what one staff member may see of each governed field: the most permissive mode among
// their groups' rules, or the field's default. Stores take a View and return already-filtered
// records, so pages, exports, PDFs and search all get the same answer.
//
// The zero View is a person whose rules were never loaded: it sees only the fields' defaults
// (personal data hidden), so a job or a context that forgets to load a staff member's view fails
// closed rather than printing everything.
type View struct {
	modes map[string]Mode
	full  bool
}

// FullView sees everything; for system jobs acting on their own, never for a person.
func FullView() View { return View{full: true} }

// PartyView is what one party of a case (a complainant, a respondent, a third party) may learn of
// the others from what the platform sends them: names only; log-ins, phones, e-mails and every
// other personal field hidden. (A document sent to parties is also opened by staff, whose own
// rules may hide even a masked phone.)
func PartyView() View {
	return View{modes: map[string]Mode{"account.name": Read, "account.phone": Hidden, "account.email": Hidden}}
}

// ViewOf builds a view from explicit modes ("record.field" → mode); fields not named get their
// registered default. For tests and for views made in code.
func ViewOf(modes map[string]Mode) View {
	v := View{modes: map[string]Mode{}}
	for k, m := range modes {
		v.modes[k] = m
	}
	return v
}

// Mode returns the viewer's mode for record.field.
func (v View) Mode(record, field string) Mode {
	if v.full {
		return Edit
	}
	if m, ok := v.modes[record+"."+field]; ok {
		return m
	}
	if f, ok := fields[record+"."+field]; ok {
		return f.Default
	}
	return Read // a field nobody registered is not personal data
}

// Sees tells whether the field is shown at all (masked or better).
func (v View) Sees(record, field string) bool { return v.Mode(record, field) >= Masked }

// Reads tells whether the field is shown whole, so it may be searched, filtered and sorted on.
func (v View) Reads(record, field string) bool { return v.Mode(record, field) >= Read }

// Apply returns what the viewer may see of value: itself, its masked form, or "".
func (v View) Apply(record, field, value string) string {
	switch v.Mode(record, field) {
	case Hidden:
		return ""
	case Masked:
		if f, ok := fields[record+"."+field]; ok && f.Mask != nil {
			return f.Mask(value)
		}
		return MaskTail(value, 2)
	default:
		return value
	}
}

// Login shows a log-in — an account's phone or e-mail, wherever it is written (a complaint's
// parties, a notice's address, a mail's sender) — as the viewer may see that field of an account.
func (v View) Login(login string) string {
	if strings.Contains(login, "@") {
		return v.Apply("account", "email", login)
	}
	return v.Apply("account", "phone", login)
}

// Strictest shows a value that more than one rule governs (each key "record.field") as the least
// visible of them allows: a complainant's contact e-mail is also the address a notice went to.
func (v View) Strictest(value string, keys ...string) string {
	if len(keys) == 0 {
		return value
	}
	least := keys[0]
	for _, k := range keys[1:] {
		r, f, _ := strings.Cut(k, ".")
		lr, lf, _ := strings.Cut(least, ".")
		if v.Mode(r, f) < v.Mode(lr, lf) {
			least = k
		}
	}
	r, f, _ := strings.Cut(least, ".")
	return v.Apply(r, f, value)
}

// Redact shows text that was written with value in it (a mail as it was sent) as the viewer may
// see that value of record.field.
func (v View) Redact(text, record, field, value string) string {
	if value == "" {
		return text
	}
	if shown := v.Apply(record, field, value); shown != value {
		return strings.ReplaceAll(text, value, shown)
	}
	return text
}

// LoginField names the account field a log-in is governed by: "email" or "phone".
func LoginField(login string) string {
	if strings.Contains(login, "@") {
		return "email"
	}
	return "phone"
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// LoadView builds a staff member's view from the rules of all their groups.
func LoadView(ctx context.Context, q queryer, staffID int64) (View, error) {
	rows, err := q.Query(ctx, `
		SELECT r.record || '.' || r.field, max(CASE r.mode WHEN 'hidden' THEN 0 WHEN 'masked' THEN 1 WHEN 'read' THEN 2 ELSE 3 END)
		FROM field_rules r JOIN staff_group_members m ON m.group_id = r.group_id
		WHERE m.staff_id = $1
		GROUP BY 1`, staffID)
	if err != nil {
		return View{}, err
	}
	v := View{modes: map[string]Mode{}}
	var key string
	var mode int
	_, err = pgx.ForEachRow(rows, []any{&key, &mode}, func() error {
		v.modes[key] = Mode(mode)
		return nil
	})
	return v, err
}

// SetRuleTx sets one group's mode for a field.
func SetRuleTx(ctx context.Context, tx pgx.Tx, groupID int64, record, field string, mode Mode) (pgconn.CommandTag, error) {
	return tx.Exec(ctx, `
		INSERT INTO field_rules (group_id, record, field, mode) VALUES ($1, $2, $3, $4)
		ON CONFLICT (group_id, record, field) DO UPDATE SET mode = EXCLUDED.mode`,
		groupID, record, field, mode.String())
}

// MaskTail keeps the last n characters and replaces the rest with dots.
func MaskTail(s string, n int) string {
	count := utf8.RuneCountInString(s)
	if count <= n {
		return strings.Repeat("•", count)
	}
	r := []rune(s)
	return strings.Repeat("•", count-n) + string(r[count-n:])
}

// MaskPhone shows the country code and the last two digits: +380 •• ••• •• 67, +7 ••• ••• •• 67.
func MaskPhone(phone string) string {
	digits := strings.TrimPrefix(phone, "+")
	if len(digits) < 10 {
		return MaskTail(phone, 2)
	}
	// Kazakhstan and Russia share +7 with ten national digits; elsewhere assume nine (Ukraine's +380).
	cc, group := digits[:len(digits)-9], "••"
	if strings.HasPrefix(digits, "7") && len(digits) == 11 {
		cc, group = "7", "•••"
	}
	return "+" + cc + " " + group + " ••• •• " + digits[len(digits)-2:]
}

// MaskEmail shows the first letter and the domain: i•••@example.com.
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return MaskTail(email, 0)
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "•••@" + domain
}

// MaskContacts masks a list of phones and e-mails, one a line, each by its kind.
func MaskContacts(list string) string {
	lines := strings.Split(list, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.Contains(l, "@"):
			lines[i] = MaskEmail(l)
		default:
			lines[i] = MaskPhone(l)
		}
	}
	return strings.Join(lines, "\n")
}

// LoginKey in a key table of ApplyJSON marks a log-in (an account's phone or e-mail, see Login).
const LoginKey = "login"

// ApplyJSON shows a JSON document that records personal data (an audit entry's before and after)
// as the viewer may see it: every string under a key that keys names ("record.field", or
// LoginKey), at any depth, goes through Apply. A document that is not JSON is returned as it is.
func (v View) ApplyJSON(raw []byte, keys map[string]string) []byte {
	if len(raw) == 0 || v.full {
		return raw
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return raw
	}
	changed := false
	var walk func(x any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, val := range t {
				if key, ok := keys[k]; ok {
					if s, ok := val.(string); ok {
						shown := v.Login(s)
						if key != LoginKey {
							r, f, _ := strings.Cut(key, ".")
							shown = v.Apply(r, f, s)
						}
						changed = changed || shown != s
						t[k] = shown
						continue
					}
				}
				t[k] = walk(val)
			}
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		}
		return x
	}
	doc = walk(doc)
	if !changed {
		return raw // shown as it was written
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw
	}
	return out
}
