// Package accounts is the registry of the platform's clients and couriers: the records every other
// desk refers to. Field rules are applied here, where records are loaded, so every surface gets
// already-filtered records and nobody can search by a field they cannot read.
package accounts

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/rbac"
)

// ID is an account's id.
type ID = int64

// Record is the field-rules name of an account.
const Record = "account"

// Its governed fields are listed with every other in rbac/fields_list.go.

// Account is an account as the viewer may see it: hidden fields are empty, masked ones masked.
type Account struct {
	ID         ID
	Kind       string
	Business   bool
	Name       string
	Phone      string
	Email      string
	BirthDate  string // YYYY-MM-DD
	Passport   string
	CardLast4  string
	CardHolder string
	Lang       string
	Status     string
	CreatedAt  time.Time
}

// governed lists the columns field rules apply to, in select order, with how to read them as text.
var governed = []struct{ field, expr string }{
	{"name", "name"},
	{"phone", "phone"},
	{"email", "coalesce(email, '')"},
	{"birth_date", "coalesce(to_char(birth_date, 'YYYY-MM-DD'), '')"},
	{"passport", "coalesce(passport, '')"},
	{"card_last4", "coalesce(card_last4, '')"},
	{"card_holder", "coalesce(card_holder, '')"},
}

// selectList builds the column list for a viewer: a hidden field is never read from the table.
// partlyBlocked holds for an account with a block in force on some of its functions.
const partlyBlocked = `EXISTS (SELECT 1 FROM account_blocks ab WHERE ab.account_id = accounts.id
	AND ab.lifted_at IS NULL AND ab.functions <> '{}')`

// statusExpr is the status shown and filtered on: active, partly_blocked, blocked or deleted.
const statusExpr = "CASE WHEN status = 'active' AND " + partlyBlocked + " THEN 'partly_blocked' ELSE status END"

func selectList(v rbac.View) string {
	var b strings.Builder
	// A live account with a block on some functions (log-in, orders, payouts) reads "partly_blocked".
	b.WriteString("id, kind, business, lang, " + statusExpr + ", created_at")
	for _, g := range governed {
		b.WriteString(", ")
		if v.Sees(Record, g.field) {
			b.WriteString(g.expr)
		} else {
			b.WriteString("''")
		}
	}
	return b.String()
}

func scan(rows pgx.Rows, v rbac.View) ([]Account, error) {
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.ID, &a.Kind, &a.Business, &a.Lang, &a.Status, &a.CreatedAt,
			&a.Name, &a.Phone, &a.Email, &a.BirthDate, &a.Passport, &a.CardLast4, &a.CardHolder); err != nil {
			return nil, err
		}
		a.Name = v.Apply(Record, "name", a.Name)
		a.Phone = v.Apply(Record, "phone", a.Phone)
		a.Email = v.Apply(Record, "email", a.Email)
		a.BirthDate = v.Apply(Record, "birth_date", a.BirthDate)
		a.Passport = v.Apply(Record, "passport", a.Passport)
		a.CardLast4 = v.Apply(Record, "card_last4", a.CardLast4)
		a.CardHolder = v.Apply(Record, "card_holder", a.CardHolder)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Get loads one account as the actor in ctx may see it.
func Get(ctx context.Context, q db.Querier, id ID) (Account, error) {
	v := actor.ViewOf(ctx)
	rows, err := q.Query(ctx, "SELECT "+selectList(v)+" FROM accounts WHERE id = $1", id)
	if err != nil {
		return Account{}, err
	}
	list, err := scan(rows, v)
	if err != nil {
		return Account{}, err
	}
	if len(list) == 0 {
		return Account{}, apperr.New(apperr.NotFound, "accounts.not_found")
	}
	return list[0], nil
}

// Filter narrows the list. Search is one box: a phone, an e-mail, an id or a name.
type Filter struct {
	Search string
	Kind   string // client, courier or ""
	Status string // active, blocked, deleted or ""
	Before ID     // keyset: accounts with id < Before
	Limit  int
}

var phoneLike = regexp.MustCompile(`^(\+[0-9 ()-]{2,}|[0-9 ()-]{5,})$`)

// List returns one page of accounts, newest first, and the cursor of the next page (0 at the end).
// It refuses to search by a field the viewer cannot read in full.
func List(ctx context.Context, q db.Querier, f Filter) ([]Account, ID, error) {
	v := actor.ViewOf(ctx)
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args := pgx.NamedArgs{"limit": f.Limit + 1}
	where := []string{"true"}
	if f.Kind == "client" || f.Kind == "courier" {
		where = append(where, "kind = @kind")
		args["kind"] = f.Kind
	}
	switch f.Status {
	case "active", "deleted":
		where = append(where, "status = @status")
		args["status"] = f.Status
		if f.Status == "active" {
			where = append(where, "NOT "+partlyBlocked)
		}
	case "blocked": // every kind of block: the whole account or some of its functions
		where = append(where, "(status = 'blocked' OR (status = 'active' AND "+partlyBlocked+"))")
	}
	if f.Before > 0 {
		where = append(where, "id < @before")
		args["before"] = f.Before
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		cond, err := searchCondition(v, s, args)
		if err != nil {
			return nil, 0, err
		}
		where = append(where, cond)
	}
	rows, err := q.Query(ctx, "SELECT "+selectList(v)+" FROM accounts WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id DESC LIMIT @limit", args)
	if err != nil {
		return nil, 0, err
	}
	list, err := scan(rows, v)
	if err != nil {
		return nil, 0, err
	}
	var next ID
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

// searchCondition decides what the search box means and checks the viewer may search that field.
func searchCondition(v rbac.View, s string, args pgx.NamedArgs) (string, error) {
	refuse := func(field string) error {
		return &apperr.Error{Code: apperr.Forbidden, Message: "accounts.search_refused", Field: field,
			Args: map[string]any{"Field": field}}
	}
	switch {
	case strings.Contains(s, "@"):
		if !v.Reads(Record, "email") {
			return "", refuse("email")
		}
		args["email"] = escapeLike(strings.ToLower(s))
		return "email LIKE @email || '%'", nil
	case phoneLike.MatchString(s):
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		// A short number is an account id; a long one is part of a phone number.
		if id, err := strconv.ParseInt(digits, 10, 64); err == nil && len(digits) <= 7 && !strings.HasPrefix(s, "+") {
			if !v.Reads(Record, "phone") {
				args["id"] = id
				return "id = @id", nil
			}
			args["id"], args["phone"] = id, digits
			return "(id = @id OR phone LIKE '%' || @phone || '%')", nil
		}
		if !v.Reads(Record, "phone") {
			return "", refuse("phone")
		}
		args["phone"] = digits
		return "phone LIKE '%' || @phone || '%'", nil
	default:
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			args["id"] = id
			return "id = @id", nil
		}
		if !v.Reads(Record, "name") {
			return "", refuse("name")
		}
		if len([]rune(s)) < 2 {
			return "", apperr.InvalidField("q", "accounts.search_short")
		}
		args["name"] = escapeLike(strings.ToLower(s))
		return "lower(name) LIKE '%' || @name || '%'", nil
	}
}

// escapeLike makes user input match literally inside a LIKE pattern.
var escapeLike = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace

// Counts gives the registry's clients, couriers and blocked accounts (every kind of block: the
// whole account or some of its functions), for the dashboard.
func Counts(ctx context.Context, q db.Querier) (clients, couriers, blocked int64, err error) {
	// Kinds from their index, the partly blocked from the (small) set of open function blocks:
	// testing every account for a block took 60 ms with 25,000 accounts on every dashboard.
	err = q.QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts WHERE kind = 'client'), (SELECT count(*) FROM accounts WHERE kind = 'courier'),
		(SELECT count(*) FROM accounts WHERE status = 'blocked') +
		(SELECT count(DISTINCT ab.account_id) FROM account_blocks ab JOIN accounts a ON a.id = ab.account_id
			WHERE a.status = 'active' AND ab.lifted_at IS NULL AND ab.functions <> '{}')`).
		Scan(&clients, &couriers, &blocked)
	return
}
