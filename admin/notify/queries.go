package notify

import (
	"bytes"
	"context"
	"net/mail"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/views/notifyv"
)

// The outbox pages' and the mail catcher's reads (handlers hold no SQL).

// StatusCounts counts the outbox's rows by status.
func StatusCounts(ctx context.Context, q db.Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT status, count(*) FROM notifications GROUP BY status`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var s string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&s, &n}, func() error { out[s] = n; return nil })
	return out, err
}

// caughtMessages reads caught messages; where is a fixed clause with its bound arguments.
func caughtMessages(ctx context.Context, q db.Querier, where string, args ...any) ([]notifyv.Caught, error) {
	rows, err := q.Query(ctx, `SELECT id, channel, sender, recipients, subject, body, received_at FROM caught_messages `+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (notifyv.Caught, error) {
		var m notifyv.Caught
		err := row.Scan(&m.ID, &m.Channel, &m.Sender, &m.Recipients, &m.Subject, &m.Body, &m.At)
		return m, err
	})
}

// caughtData finds the notice each caught message was sent for (by the provider id its delivery
// recorded: the mail's Message-ID, or the SMS sink's id) and returns the notices' data by message.
func caughtData(ctx context.Context, q db.Querier, list []notifyv.Caught) (map[int64]map[string]any, error) {
	ids := make([]int64, len(list))
	for i, m := range list {
		ids[i] = m.ID
	}
	// The headers are at the top: the attachments after them need not be read.
	rows, err := q.Query(ctx, `SELECT id, channel, substring(raw from 1 for 16384) FROM caught_messages WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	byProvider := map[string]int64{}
	var id int64
	var channel string
	var raw []byte
	if _, err := pgx.ForEachRow(rows, []any{&id, &channel, &raw}, func() error {
		if channel == string(SMS) {
			byProvider["sink-"+strconv.FormatInt(id, 10)] = id
		} else if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
			mid := strings.Trim(m.Header.Get("Message-Id"), "<> ")
			byProvider[mid], byProvider["<"+mid+">"] = id, id
		}
		return nil
	}); err != nil {
		return nil, err
	}
	providers := make([]string, 0, len(byProvider))
	for p := range byProvider {
		providers = append(providers, p)
	}
	rows, err = q.Query(ctx, `SELECT provider_id, data FROM notifications WHERE provider_id = ANY($1)`, providers)
	if err != nil {
		return nil, err
	}
	out := map[int64]map[string]any{}
	var provider string
	var data map[string]any
	_, err = pgx.ForEachRow(rows, []any{&provider, &data}, func() error {
		out[byProvider[provider]] = data
		return nil
	})
	return out, err
}
