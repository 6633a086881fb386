package news

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/notify"
)

// FanOutBatch is how many recipients one fan-out transaction writes.
const FanOutBatch = 5000

// audienceKinds are the account kinds an audience reaches.
func audienceKinds(audience string) []string {
	switch audience {
	case "clients":
		return []string{"client"}
	case "couriers":
		return []string{"courier"}
	case "everyone":
		return []string{"client", "courier"}
	}
	return nil
}

// noticeData is what the news template gets: the title and the text, kept short (the outbox
// holds one copy per recipient; the full item is on the platform).
func noticeData(i Item) []byte {
	text := strings.TrimSpace(i.BodyMD)
	if utf8.RuneCountInString(text) > 1000 {
		text = string([]rune(text)[:1000]) + "…"
	}
	b, _ := json.Marshal(map[string]any{"title": i.Title, "text": text})
	return b
}

// FanOut writes the item's notices to the outbox: for every active account of the audience, one
// row per channel the user consented to (news is advertising: RULES.md §6), and the delivery jobs
// for them, FanOutBatch accounts per transaction. Progress is kept on the item, and the cursor
// too, so a fan-out interrupted half-way resumes where it stopped and writes nobody twice.
func FanOut(ctx context.Context, pool *pgxpool.Pool, id int64) error {
	i, err := Get(ctx, pool, id)
	if err != nil {
		return err
	}
	kinds := audienceKinds(i.Audience)
	if !i.NotifiesUsers() || len(kinds) == 0 || i.NoticeDoneAt != nil {
		return nil
	}
	if i.NoticeTotal == 0 && i.NoticeEnqueued == 0 {
		if _, err := pool.Exec(ctx, `UPDATE news SET notice_total = (
			SELECT count(*) FILTER (WHERE consent_email AND email IS NOT NULL) + count(*) FILTER (WHERE consent_sms)
			FROM accounts WHERE kind = ANY ($2) AND status = 'active' AND (consent_email OR consent_sms)) WHERE id = $1`, id, kinds); err != nil {
			return err
		}
	}
	data := noticeData(i)
	cause := "news:" + strconv.FormatInt(id, 10)
	for {
		done := false
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			// The cursor is the highest account already written for this item.
			var after int64
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(account_id), 0) FROM notifications WHERE news_id = $1`, id).Scan(&after); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `SELECT 1 FROM news WHERE id = $1 FOR UPDATE`, id); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, `
				WITH r AS (
					SELECT id, email, phone, lang, consent_email, consent_sms FROM accounts
					WHERE kind = ANY ($2) AND status = 'active' AND (consent_email OR consent_sms) AND id > $3
					ORDER BY id LIMIT $4)
				INSERT INTO notifications (account_id, channel, address, template, data, lang, kind, cause, news_id)
				SELECT id, 'email', email, 'news', $5::jsonb, lang, 'advertising', $6, $1::bigint FROM r WHERE consent_email AND email IS NOT NULL
				UNION ALL
				SELECT id, 'sms', phone, 'news', $5::jsonb, lang, 'advertising', $6, $1::bigint FROM r WHERE consent_sms
				ORDER BY 1
				RETURNING id`, id, kinds, after, FanOutBatch, string(data), cause)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[notify.ID])
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				done = true
				_, err := tx.Exec(ctx, `UPDATE news SET notice_done_at = now(), notice_total = notice_enqueued WHERE id = $1`, id)
				return err
			}
			if err := notify.QueueSendTx(ctx, tx, ids, notify.QueueBulk); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE news SET notice_enqueued = notice_enqueued + $2, notice_total = greatest(notice_total, notice_enqueued + $2) WHERE id = $1`, id, len(ids))
			return err
		})
		if err != nil || done {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Progress is how far an item's notices have got.
type Progress struct {
	Total, Enqueued                       int
	Pending, Sent, Failed, Skipped, Retry int
	Done                                  bool
	StartedAt                             *time.Time
}

// ProgressOf counts the item's notices by status.
func ProgressOf(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id int64) (Progress, error) {
	var p Progress
	var doneAt *time.Time
	err := q.QueryRow(ctx, `SELECT n.notice_total, n.notice_enqueued, n.notice_done_at,
		count(o.id) FILTER (WHERE o.status IN ('pending', 'sending')), count(o.id) FILTER (WHERE o.status = 'sent'),
		count(o.id) FILTER (WHERE o.status = 'failed'), count(o.id) FILTER (WHERE o.status = 'skipped'), count(o.id) FILTER (WHERE o.status = 'retry')
		FROM news n LEFT JOIN notifications o ON o.news_id = n.id WHERE n.id = $1 GROUP BY n.id`, id).
		Scan(&p.Total, &p.Enqueued, &doneAt, &p.Pending, &p.Sent, &p.Failed, &p.Skipped, &p.Retry)
	p.Done = doneAt != nil && p.Pending == 0 && p.Retry == 0
	return p, err
}
