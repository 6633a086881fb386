package news_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/news"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
)

func TestMarkdownIsRenderedAndSanitised(t *testing.T) {
	html, err := news.RenderMarkdown("# Tariffs\n\n**New** prices from *May*.\n\n| kg | UAH |\n|---|---|\n| 1 | 60 |\n\n" +
		"<script>alert(1)</script>\n\n[click](javascript:alert(2)) [site](https://example.com)\n\n![map](/news/images/3)\n\n<img src=x onerror=alert(3)>")
	require.NoError(t, err)
	require.Contains(t, html, "<h1")
	require.Contains(t, html, "<strong>New</strong>")
	require.Contains(t, html, "<table>")
	require.Contains(t, html, `<img src="/news/images/3" alt="map"`)
	require.Contains(t, html, `href="https://example.com"`)
	require.Contains(t, html, `rel="nofollow noopener"`)
	for _, bad := range []string{"<script", "javascript:", "onerror", "alert(3)"} {
		require.NotContains(t, html, bad)
	}
}

type fixture struct {
	pool *pgxpool.Pool
	ctx  context.Context
}

func newFixture(t *testing.T) *fixture { return newFixtureB(t) }

func newFixtureB(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	client, err := jobs.New(pool, jobs.Options{}) // EnqueueTx and the news jobs are inserted with it
	require.NoError(t, err)
	var staff int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('ed@test', 'Ed', 'x') RETURNING id`).Scan(&staff))
	return &fixture{pool: pool, ctx: actor.With(enqueue.With(context.Background(), client), &actor.Actor{ID: staff, Email: "ed@test", View: rbac.FullView()})}
}

func (f *fixture) create(t *testing.T, in news.Input) int64 {
	t.Helper()
	var id int64
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) (err error) { id, err = news.Create(f.ctx, tx, in); return err }))
	return id
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// A scheduled item publishes at its time, once, however many jobs race for it; its notices are
// queued once, in the same transaction.
func TestScheduledPublishesOnceAtItsTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.create(t, news.Input{Title: "Holiday hours", Body: "Closed on **1 May**.", Audience: "clients", Notify: true})
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error { return news.Schedule(f.ctx, tx, id, at, time.Now()) }))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'news_publish' AND scheduled_at = $1`, at))

	var ids []int64
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) (err error) { ids, err = news.PublishDue(f.ctx, tx, time.Now()); return err }))
	require.Empty(t, ids, "not before its time")

	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
				got, err := news.PublishDue(f.ctx, tx, at.Add(time.Second))
				mu.Lock()
				total += len(got)
				mu.Unlock()
				return err
			}))
		}()
	}
	wg.Wait()
	require.Equal(t, 1, total)
	i, err := news.Get(f.ctx, f.pool, id)
	require.NoError(t, err)
	require.Equal(t, news.Published, i.State)
	require.True(t, i.PublishedAt.Equal(at), "published as of its time")
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'news.publish_scheduled' AND record_id = $1`, fmt.Sprint(id)))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'news_notify'`))
}

// The whole path through River: the job inserted by Schedule publishes the item when its time comes.
func TestScheduledJobPublishesThroughRiver(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	client, err := jobs.New(f.pool, jobs.Options{Work: true, Workers: 2})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { jobs.Stop(client, 5*time.Second, nil) })

	id := f.create(t, news.Input{Title: "Soon", Body: "x", Audience: "staff"})
	at := time.Now().Add(1500 * time.Millisecond)
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error { return news.Schedule(f.ctx, tx, id, at, time.Now()) }))
	deadline := time.Now().Add(20 * time.Second)
	for {
		i, err := news.Get(f.ctx, f.pool, id)
		require.NoError(t, err)
		if i.State == news.Published {
			require.False(t, time.Now().Before(at), "not early")
			break
		}
		require.True(t, time.Now().Before(deadline), "published in time")
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM audit_log WHERE action LIKE 'news.publish%' AND record_id = $1`, fmt.Sprint(id)))
}

// Publishing to clients writes one notice per consenting client and channel, none to those who
// did not consent or to couriers; the fan-out resumes without writing anyone twice.
func TestNewsNoticesGoToConsentingAudience(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bg := context.Background()
	add := func(kind string, ce, cs bool, n int) {
		for k := 0; k < n; k++ {
			_, err := f.pool.Exec(bg, `INSERT INTO accounts (kind, name, phone, email, consent_email, consent_sms)
				VALUES ($1, 'N', '+38099' || lpad((floor(random() * 1e7))::int::text, 7, '0'), $2, $3, $4)`,
				kind, fmt.Sprintf("%s%v%v%d@example.com", kind, ce, cs, k), ce, cs)
			require.NoError(t, err)
		}
	}
	add("client", true, false, 3)
	add("client", true, true, 2)
	add("client", false, false, 4)
	add("courier", true, true, 5)
	_, err := f.pool.Exec(bg, `UPDATE accounts SET status = 'blocked' WHERE id = (SELECT min(id) FROM accounts WHERE kind = 'client' AND consent_sms)`)
	require.NoError(t, err)

	id := f.create(t, news.Input{Title: "Prices", Body: "New tariffs.", Audience: "clients", Notify: true})
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error { return news.PublishNow(f.ctx, tx, id) }))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'news_notify' AND queue = 'notify_bulk'`))

	require.NoError(t, news.FanOut(f.ctx, f.pool, id))
	require.NoError(t, news.FanOut(f.ctx, f.pool, id), "a second run writes nothing more")
	// 3 e-mail-only + 1 (the other of the two, the blocked one excluded) × 2 channels.
	require.Equal(t, 5, f.count(t, `SELECT count(*) FROM notifications WHERE news_id = $1`, id))
	require.Equal(t, 4, f.count(t, `SELECT count(*) FROM notifications WHERE news_id = $1 AND channel = 'email'`, id))
	require.Zero(t, f.count(t, `SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE news_id = $1 AND (a.kind <> 'client' OR a.status <> 'active')`, id))
	require.Equal(t, 5, f.count(t, `SELECT count(*) FROM notifications WHERE news_id = $1 AND kind = 'advertising' AND status = 'pending'`, id))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify_send' AND queue = 'notify_bulk'`))

	p, err := news.ProgressOf(bg, f.pool, id)
	require.NoError(t, err)
	require.Equal(t, 5, p.Total)
	require.Equal(t, 5, p.Enqueued)
	require.Equal(t, 5, p.Pending)
	require.False(t, p.Done)
	_, err = f.pool.Exec(bg, `UPDATE notifications SET status = 'sent' WHERE news_id = $1`, id)
	require.NoError(t, err)
	p, err = news.ProgressOf(bg, f.pool, id)
	require.NoError(t, err)
	require.True(t, p.Done)

	// Staff news sends nothing.
	staffID := f.create(t, news.Input{Title: "Inside", Body: "x", Audience: "staff", Notify: true})
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error { return news.PublishNow(f.ctx, tx, staffID) }))
	require.Equal(t, 1, f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'news_notify'`))
}

// An editor writes, publishes, pins and archives from the pages; the dashboard shows the feed;
// an agent may read but not write.
func TestNewsPages(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	editor := env.Login("editor@demo.postdesk")
	r := editor.PostForm("/news", url.Values{"title": {""}, "body": {"x"}, "audience": {"everyone"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "Give a title")
	r = editor.PostForm("/news", url.Values{"title": {"Winter schedule"}, "body": {"Couriers work **until 20:00**.<script>x()</script>"}, "audience": {"staff"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	page := r.Location
	r = editor.Get(page)
	require.Contains(t, r.Body, "<strong>until 20:00</strong>")
	require.NotContains(t, r.Body, "<script>x()")
	require.Equal(t, http.StatusSeeOther, editor.PostForm(page+"/publish", nil).Status)
	require.Equal(t, http.StatusSeeOther, editor.PostForm(page+"/pin", url.Values{"pinned": {"true"}}).Status)
	r = editor.Get("/")
	require.Contains(t, r.Body, "Winter schedule")
	require.Contains(t, r.Body, "Pinned")
	// Published items cannot be edited.
	r = editor.PostForm(page, url.Values{"title": {"Changed"}, "body": {"x"}, "audience": {"staff"}})
	require.Equal(t, http.StatusConflict, r.Status)

	agent := env.Login("agent@demo.postdesk")
	require.Equal(t, http.StatusOK, agent.Get(page).Status)
	require.Equal(t, http.StatusForbidden, agent.PostForm("/news", url.Values{"title": {"x"}, "audience": {"staff"}}).Status)

	require.Equal(t, http.StatusSeeOther, editor.PostForm(page+"/archive", nil).Status)
	require.False(t, strings.Contains(editor.Get("/").Body, "Winter schedule"), "archived items leave the feed")
}
