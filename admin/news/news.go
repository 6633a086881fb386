// Package news is the news desk (RULES.md §6): editors write items in Markdown (kept as written
// and rendered to sanitised HTML when saved), choose the audience, publish now or at a time (a
// River job), pin and archive. Publishing to clients or couriers notifies the users who consented
// to such messages through the outbox, in batches, with progress the page shows.
package news

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/microcosm-cc/bluemonday"
	"github.com/riverqueue/river"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/notify"
)

// Audiences an item can be for.
var Audiences = []string{"clients", "couriers", "everyone", "staff"}

// States of an item.
const (
	Draft     = "draft"
	Scheduled = "scheduled"
	Published = "published"
	Archived  = "archived"
)

// Limits on what editors write.
const (
	MaxTitle = 200
	MaxBody  = 100_000
)

var (
	md     = goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// RenderMarkdown turns an item's Markdown into HTML safe to show anywhere: goldmark drops raw
// HTML, and bluemonday's user-content policy removes whatever could still run (scripts, event
// handlers, javascript: links).
func RenderMarkdown(src string) (string, error) {
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		return "", err
	}
	return policy.Sanitize(b.String()), nil
}

// Item is a news item.
type Item struct {
	ID             int64
	Title          string
	BodyMD         string
	BodyHTML       string
	Audience       string
	State          string
	PublishAt      *time.Time
	PublishedAt    *time.Time
	Pinned         bool
	Notify         bool
	NoticeTotal    int
	NoticeEnqueued int
	NoticeDoneAt   *time.Time
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// NotifiesUsers tells whether publishing the item sends notices: only clients and couriers are
// platform users with consents.
func (i Item) NotifiesUsers() bool { return i.Notify && i.Audience != "staff" }

// Input is what the editor's form sends.
type Input struct {
	Title    string
	Body     string
	Audience string
	Notify   bool
}

// Validate checks and tidies the input.
func (in *Input) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > MaxTitle {
		return apperr.InvalidField("title", "news.title_required")
	}
	if len(in.Body) > MaxBody {
		return apperr.InvalidField("body", "news.body_long")
	}
	if !slices.Contains(Audiences, in.Audience) {
		return apperr.InvalidField("audience", "news.audience_required")
	}
	return nil
}

const itemColumns = `n.id, n.title, n.body_md, n.body_html, n.audience, n.state, n.publish_at, n.published_at, n.pinned, n.notify,
	n.notice_total, n.notice_enqueued, n.notice_done_at, coalesce(s.name, ''), n.created_at, n.updated_at`

const itemFrom = ` FROM news n LEFT JOIN staff s ON s.id = n.created_by `

func scanItem(row pgx.CollectableRow) (Item, error) {
	var i Item
	err := row.Scan(&i.ID, &i.Title, &i.BodyMD, &i.BodyHTML, &i.Audience, &i.State, &i.PublishAt, &i.PublishedAt, &i.Pinned, &i.Notify,
		&i.NoticeTotal, &i.NoticeEnqueued, &i.NoticeDoneAt, &i.CreatedBy, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

// Get loads one item.
func Get(ctx context.Context, q db.Querier, id int64) (Item, error) {
	rows, err := q.Query(ctx, `SELECT `+itemColumns+itemFrom+`WHERE n.id = $1`, id)
	if err != nil {
		return Item{}, err
	}
	i, err := pgx.CollectExactlyOneRow(rows, scanItem)
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, apperr.New(apperr.NotFound, "error.not_found")
	}
	return i, err
}

// List returns items in a state ("" for all but archived), pinned and newest first.
func List(ctx context.Context, q db.Querier, state string, limit int) ([]Item, error) {
	if limit <= 0 || limit > 200 {
		limit = 100
	}
	where := "n.state <> 'archived'"
	if slices.Contains([]string{Draft, Scheduled, Published, Archived}, state) {
		where = "n.state = @state"
	}
	rows, err := q.Query(ctx, `SELECT `+itemColumns+itemFrom+`WHERE `+where+
		` ORDER BY n.pinned DESC, coalesce(n.published_at, n.publish_at, n.created_at) DESC, n.id DESC LIMIT @limit`,
		pgx.NamedArgs{"state": state, "limit": limit})
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanItem)
}

// Feed is the dashboard's news: published items, pinned first, then the newest.
func Feed(ctx context.Context, q db.Querier, limit int) ([]Item, error) {
	rows, err := q.Query(ctx, `SELECT `+itemColumns+itemFrom+`WHERE n.state = 'published' ORDER BY n.pinned DESC, n.published_at DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanItem)
}

// Create saves a new draft.
func Create(ctx context.Context, tx pgx.Tx, in Input) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	html, err := RenderMarkdown(in.Body)
	if err != nil {
		return 0, err
	}
	var id int64
	by := actor.StaffID(ctx)
	if err := tx.QueryRow(ctx, `INSERT INTO news (title, body_md, body_html, audience, notify, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.Title, in.Body, html, in.Audience, in.Notify, by).Scan(&id); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, "news.create", "news", id, nil, map[string]any{"title": in.Title, "audience": in.Audience})
}

// Update changes a draft or scheduled item (a published one keeps what users have seen; archive
// it and write a new one).
func Update(ctx context.Context, tx pgx.Tx, id int64, in Input) error {
	if err := in.Validate(); err != nil {
		return err
	}
	before, err := lock(ctx, tx, id)
	if err != nil {
		return err
	}
	if before.State != Draft && before.State != Scheduled {
		return apperr.New(apperr.Conflict, "news.not_editable")
	}
	html, err := RenderMarkdown(in.Body)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE news SET title = $2, body_md = $3, body_html = $4, audience = $5, notify = $6, updated_by = $7, updated_at = now() WHERE id = $1`,
		id, in.Title, in.Body, html, in.Audience, in.Notify, actor.StaffID(ctx)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "news.update", "news", id, map[string]any{"title": before.Title, "audience": before.Audience},
		map[string]any{"title": in.Title, "audience": in.Audience})
}

func lock(ctx context.Context, tx pgx.Tx, id int64) (Item, error) {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM news WHERE id = $1 FOR UPDATE`, id); err != nil {
		return Item{}, err
	}
	return Get(ctx, tx, id)
}

// PublishArgs publishes scheduled items that are due; inserted for each item at its time.
type PublishArgs struct {
	NewsID int64 `json:"news_id"`
}

func (PublishArgs) Kind() string { return "news_publish" }

// NotifyArgs writes an item's notices to the outbox (the fan-out).
type NotifyArgs struct {
	NewsID int64 `json:"news_id"`
}

func (NotifyArgs) Kind() string { return "news_notify" }

// PublishNow publishes a draft or scheduled item at once.
func PublishNow(ctx context.Context, tx pgx.Tx, id int64) error {
	i, err := lock(ctx, tx, id)
	if err != nil {
		return err
	}
	if i.State != Draft && i.State != Scheduled {
		return apperr.New(apperr.Conflict, "news.already_published")
	}
	if _, err := tx.Exec(ctx, `UPDATE news SET state = 'published', published_at = now(), publish_at = NULL, updated_by = $2, updated_at = now() WHERE id = $1`,
		id, actor.StaffID(ctx)); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "news.publish", "news", id, map[string]any{"state": i.State}, map[string]any{"state": Published}); err != nil {
		return err
	}
	return afterPublish(ctx, tx, i)
}

// afterPublish queues the notices, in the publishing transaction.
func afterPublish(ctx context.Context, tx pgx.Tx, i Item) error {
	if !i.NotifiesUsers() {
		return nil
	}
	return notify.QueueJobTx(ctx, tx, NotifyArgs{NewsID: i.ID}, &river.InsertOpts{Queue: notify.QueueBulk,
		UniqueOpts: river.UniqueOpts{ByArgs: true}})
}

// Schedule sets the item to publish at a time in the future; the news_publish job does it.
func Schedule(ctx context.Context, tx pgx.Tx, id int64, at, now time.Time) error {
	if !at.After(now) {
		return apperr.InvalidField("publish_at", "news.schedule_past")
	}
	i, err := lock(ctx, tx, id)
	if err != nil {
		return err
	}
	if i.State != Draft && i.State != Scheduled {
		return apperr.New(apperr.Conflict, "news.already_published")
	}
	if _, err := tx.Exec(ctx, `UPDATE news SET state = 'scheduled', publish_at = $2, updated_by = $3, updated_at = now() WHERE id = $1`,
		id, at, actor.StaffID(ctx)); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "news.schedule", "news", id, map[string]any{"state": i.State, "publish_at": i.PublishAt},
		map[string]any{"state": Scheduled, "publish_at": at}); err != nil {
		return err
	}
	return notify.QueueJobTx(ctx, tx, PublishArgs{NewsID: id}, &river.InsertOpts{ScheduledAt: at})
}

// Unschedule turns a scheduled item back into a draft; its job then finds nothing to do.
func Unschedule(ctx context.Context, tx pgx.Tx, id int64) error {
	tag, err := tx.Exec(ctx, `UPDATE news SET state = 'draft', publish_at = NULL, updated_at = now() WHERE id = $1 AND state = 'scheduled'`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.Conflict, "news.not_scheduled")
	}
	return audit.Record(ctx, tx, "news.unschedule", "news", id, nil, nil)
}

// PublishDue publishes every scheduled item whose time has come, each exactly once however many
// jobs run at once (the conditional UPDATE takes each row once), and queues its notices in the
// same transaction. It returns the ids it published.
func PublishDue(ctx context.Context, tx pgx.Tx, now time.Time) ([]int64, error) {
	rows, err := tx.Query(ctx, `UPDATE news SET state = 'published', published_at = publish_at, updated_at = now()
		WHERE state = 'scheduled' AND publish_at <= $1 RETURNING id`, now)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	sys := actor.With(ctx, &actor.Actor{Email: "system"})
	for _, id := range ids {
		i, err := Get(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if err := audit.Record(sys, tx, "news.publish_scheduled", "news", id, map[string]any{"state": Scheduled}, map[string]any{"state": Published}); err != nil {
			return nil, err
		}
		if err := afterPublish(ctx, tx, i); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// SetPinned pins or unpins a published item.
func SetPinned(ctx context.Context, tx pgx.Tx, id int64, pinned bool) error {
	tag, err := tx.Exec(ctx, `UPDATE news SET pinned = $2, updated_at = now() WHERE id = $1 AND state = 'published'`, id, pinned)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.Conflict, "news.pin_published_only")
	}
	return audit.Record(ctx, tx, "news.pin", "news", id, nil, map[string]any{"pinned": pinned})
}

// Archive takes an item off the feed (it stays readable in the archive).
func Archive(ctx context.Context, tx pgx.Tx, id int64) error {
	i, err := lock(ctx, tx, id)
	if err != nil {
		return err
	}
	if i.State == Archived {
		return apperr.New(apperr.Conflict, "news.already_archived")
	}
	if _, err := tx.Exec(ctx, `UPDATE news SET state = 'archived', pinned = false, published_at = coalesce(published_at, now()), publish_at = NULL, updated_at = now() WHERE id = $1`, id); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "news.archive", "news", id, map[string]any{"state": i.State}, map[string]any{"state": Archived})
}

// ImageRef names an image uploaded for a news item.
type ImageRef struct {
	ID   int64
	Name string
}

// Images lists an item's uploaded images, oldest first.
func Images(ctx context.Context, q db.Querier, newsID int64) ([]ImageRef, error) {
	rows, err := q.Query(ctx, `SELECT id, name FROM news_images WHERE news_id = $1 ORDER BY id`, newsID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ImageRef])
}

// AddImageTx stores an image for a draft or scheduled item, audited.
func AddImageTx(ctx context.Context, tx pgx.Tx, newsID int64, name, contentType string, data []byte) error {
	i, err := lock(ctx, tx, newsID)
	if err != nil {
		return err
	}
	if i.State != Draft && i.State != Scheduled {
		return apperr.New(apperr.Conflict, "news.not_editable")
	}
	var imgID int64
	if err := tx.QueryRow(ctx, `INSERT INTO news_images (news_id, name, content_type, data) VALUES ($1, $2, $3, $4) RETURNING id`,
		newsID, name, contentType, data).Scan(&imgID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "news.image", "news", newsID, nil, map[string]any{"image_id": imgID, "name": name, "size": len(data)})
}

// ImageData reads an image's type and bytes.
func ImageData(ctx context.Context, q db.Querier, id int64) (string, []byte, error) {
	var ct string
	var data []byte
	err := q.QueryRow(ctx, `SELECT content_type, data FROM news_images WHERE id = $1`, id).Scan(&ct, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, apperr.New(apperr.NotFound, "error.not_found")
	}
	return ct, data, err
}
