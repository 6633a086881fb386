package accounts

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/rbac"
)

// DupGroup is a set of accounts of one kind that share a phone, an e-mail, a passport or a card
// (RULES.md §1.3: one person holds at most one active account of a kind). Value is shown as the
// viewer may see the field; card groups show the card's last four digits, never its token.
type DupGroup struct {
	Field string // phone, email, passport, card
	Kind  string
	Value string
	IDs   []ID
}

// dupFields maps a duplicate key to its column and the governed field that decides who sees it.
var dupFields = []struct{ key, column, shown, governs string }{
	{"phone", "phone", "phone", "phone"},
	{"email", "email", "email", "email"},
	{"passport", "passport", "passport", "passport"},
	{"card", "card_token", "card_last4", "card_last4"},
}

// visibleDupFields are the keys the viewer may group by: grouping by a field one cannot see would
// tell which accounts share it.
func visibleDupFields(v rbac.View) []int {
	var out []int
	for i, f := range dupFields {
		if v.Sees(Record, f.governs) {
			out = append(out, i)
		}
	}
	return out
}

// Duplicates lists the groups of duplicate accounts (not deleted), newest group first.
func Duplicates(ctx context.Context, q db.Querier, limit int) ([]DupGroup, error) {
	v := actor.ViewOf(ctx)
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var parts []string
	for _, i := range visibleDupFields(v) {
		f := dupFields[i]
		parts = append(parts, `SELECT '`+f.key+`' AS field, kind, min(`+f.shown+`) AS value, array_agg(id ORDER BY id) AS ids
			FROM accounts WHERE status <> 'deleted' AND `+f.column+` IS NOT NULL GROUP BY kind, `+f.column+` HAVING count(*) > 1`)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT field, kind, coalesce(value, ''), ids FROM (`+strings.Join(parts, " UNION ALL ")+
		`) d ORDER BY ids[cardinality(ids)] DESC, field LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return collectDups(rows, v)
}

// DuplicatesOf lists the accounts that share a key with this one, grouped by the key.
func DuplicatesOf(ctx context.Context, q db.Querier, account ID) ([]DupGroup, error) {
	v := actor.ViewOf(ctx)
	var parts []string
	for _, i := range visibleDupFields(v) {
		f := dupFields[i]
		parts = append(parts, `SELECT '`+f.key+`' AS field, a.kind, min(a.`+f.shown+`) AS value, array_agg(a.id ORDER BY a.id) AS ids
			FROM accounts a JOIN accounts me ON me.id = $1
			WHERE a.kind = me.kind AND a.`+f.column+` = me.`+f.column+` AND a.id <> me.id AND a.status <> 'deleted'
			GROUP BY a.kind HAVING count(*) > 0`)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT field, kind, coalesce(value, ''), ids FROM (`+strings.Join(parts, " UNION ALL ")+`) d`, account)
	if err != nil {
		return nil, err
	}
	return collectDups(rows, v)
}

func collectDups(rows pgx.Rows, v rbac.View) ([]DupGroup, error) {
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (DupGroup, error) {
		var g DupGroup
		err := row.Scan(&g.Field, &g.Kind, &g.Value, &g.IDs)
		return g, err
	})
	for i := range list {
		for _, f := range dupFields {
			if f.key == list[i].Field {
				list[i].Value = v.Apply(Record, f.shown, list[i].Value)
			}
		}
	}
	return list, err
}
