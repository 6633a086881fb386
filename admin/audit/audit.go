// Package audit writes and reads the append-only log of staff actions. Entries are written in the
// same transaction as the change they record, so a change and its record exist together or not at all.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db"
)

// Entry is one recorded action.
type Entry struct {
	ID         int64           `db:"id"`
	At         time.Time       `db:"at"`
	ActorID    *int64          `db:"actor_id"`
	ActorEmail string          `db:"actor_email"`
	Action     string          `db:"action"`
	RecordType string          `db:"record_type"`
	RecordID   string          `db:"record_id"`
	Before     json.RawMessage `db:"before"`
	After      json.RawMessage `db:"after"`
	IP         string          `db:"ip"`
	RequestID  string          `db:"request_id"`
}

// Record appends an entry for the actor in ctx. before and after are marshalled to JSON (nil stays NULL).
func Record(ctx context.Context, q db.Querier, action, recordType string, recordID any, before, after any) error {
	var e Entry
	if a := actor.From(ctx); a != nil {
		if a.ID != 0 {
			e.ActorID = &a.ID
		}
		e.ActorEmail, e.IP, e.RequestID = a.Email, a.IP, a.RequestID
	}
	b, err := marshal(before)
	if err != nil {
		return err
	}
	af, err := marshal(after)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `
		INSERT INTO audit_log (actor_id, actor_email, action, record_type, record_id, before, after, ip, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ActorID, e.ActorEmail, action, recordType, fmt.Sprint(recordID), b, af, e.IP, e.RequestID)
	return err
}

func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// Filter narrows the audit list. Zero values match everything.
type Filter struct {
	Actor      string // e-mail, exact
	Action     string // prefix, e.g. "staff." or "auth.login"
	RecordType string
	RecordID   string
	From, To   time.Time
	Before     int64 // keyset: entries with id < Before
	Limit      int
}

// List returns entries newest first, one page at a time.
func List(ctx context.Context, q db.Querier, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args := pgx.NamedArgs{"limit": f.Limit}
	where := "true"
	add := func(cond, name string, v any) {
		where += " AND " + cond
		args[name] = v
	}
	if f.Actor != "" {
		add("actor_email = @actor", "actor", f.Actor)
	}
	if f.Action != "" {
		add("action LIKE @action || '%'", "action", f.Action)
	}
	if f.RecordType != "" {
		add("record_type = @rtype", "rtype", f.RecordType)
	}
	if f.RecordID != "" {
		add("record_id = @rid", "rid", f.RecordID)
	}
	if !f.From.IsZero() {
		add("at >= @from", "from", f.From)
	}
	if !f.To.IsZero() {
		add("at < @to", "to", f.To)
	}
	if f.Before > 0 {
		add("id < @before", "before", f.Before)
	}
	rows, err := q.Query(ctx, `SELECT id, at, actor_id, actor_email, action, record_type, record_id, before, after, ip, request_id
		FROM audit_log WHERE `+where+` ORDER BY id DESC LIMIT @limit`, args)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Entry])
}
