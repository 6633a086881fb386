package news

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/newsv"
)

// Handlers serve /news.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Now      func() time.Time // the portal's clock
}

// Routes are the news desk's lines of the route table.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/news", Perm: rbac.NewsRead, Handler: h.List},
		{Method: "GET", Path: "/news/new", Perm: rbac.NewsEdit, Handler: h.NewForm},
		{Method: "POST", Path: "/news", Perm: rbac.NewsEdit, Handler: h.Create},
		{Method: "GET", Path: "/news/images/:id<int>", Perm: rbac.NewsRead, Handler: h.Image},
		{Method: "GET", Path: "/news/:id<int>", Perm: rbac.NewsRead, Handler: h.Show},
		{Method: "GET", Path: "/news/:id<int>/progress", Perm: rbac.NewsRead, Handler: h.Progress},
		{Method: "GET", Path: "/news/:id<int>/edit", Perm: rbac.NewsEdit, Handler: h.EditForm},
		{Method: "POST", Path: "/news/:id<int>", Perm: rbac.NewsEdit, Handler: h.Update},
		{Method: "POST", Path: "/news/:id<int>/publish", Perm: rbac.NewsEdit, Handler: h.Publish},
		{Method: "POST", Path: "/news/:id<int>/schedule", Perm: rbac.NewsEdit, Handler: h.Schedule},
		{Method: "POST", Path: "/news/:id<int>/unschedule", Perm: rbac.NewsEdit, Handler: h.Unschedule},
		{Method: "POST", Path: "/news/:id<int>/pin", Perm: rbac.NewsEdit, Handler: h.Pin},
		{Method: "POST", Path: "/news/:id<int>/archive", Perm: rbac.NewsEdit, Handler: h.Archive},
		{Method: "POST", Path: "/news/:id<int>/images", Perm: rbac.NewsEdit, Handler: h.Upload},
	}
}

func (h *Handlers) canEdit(c *fiber.Ctx) bool {
	a := web.Actor(c)
	return h.Enforcer != nil && a != nil && h.Enforcer.Can(a.Roles, rbac.NewsEdit)
}

// ViewItem converts an item for the views.
func ViewItem(i Item) newsv.Item {
	return newsv.Item{ID: i.ID, Title: i.Title, BodyMD: i.BodyMD, BodyHTML: i.BodyHTML, Audience: i.Audience, State: i.State,
		PublishAt: i.PublishAt, PublishedAt: i.PublishedAt, Pinned: i.Pinned, Notify: i.Notify, CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt}
}

// List is /news, by state.
func (h *Handlers) List(c *fiber.Ctx) error {
	state := c.Query("state")
	items, err := List(web.Ctx(c), h.Pool, state, 200)
	if err != nil {
		return err
	}
	d := newsv.ListData{State: state, CanEdit: h.canEdit(c)}
	for _, i := range items {
		d.Items = append(d.Items, ViewItem(i))
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.news"), newsv.List(d))
}

// NewForm is the empty editor.
func (h *Handlers) NewForm(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, web.T(c, "news.new"), newsv.EditForm(newsv.Form{Audience: "everyone"}))
}

func input(c *fiber.Ctx) Input {
	return Input{Title: c.FormValue("title"), Body: c.FormValue("body"), Audience: c.FormValue("audience"), Notify: c.FormValue("notify") != ""}
}

func formOf(id int64, in Input, err error, c *fiber.Ctx) (newsv.Form, bool) {
	f := newsv.Form{ID: id, Title: in.Title, Body: in.Body, Audience: in.Audience, Notify: in.Notify}
	var e *apperr.Error
	if errors.As(err, &e) && e.Field != "" {
		f.Errors = map[string]string{e.Field: web.T(c, e.Message)}
		return f, true
	}
	return f, false
}

// Create saves a new draft.
func (h *Handlers) Create(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	in := input(c)
	var id int64
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) (err error) { id, err = Create(ctx, tx, in); return err })
	if f, bad := formOf(0, in, err, c); bad {
		return web.Render(c, fiber.StatusUnprocessableEntity, web.T(c, "news.new"), newsv.EditForm(f))
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "news.saved")
	return web.Redirect(c, "/news/"+strconv.FormatInt(id, 10))
}

// EditForm is the editor for a draft or scheduled item.
func (h *Handlers) EditForm(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	i, err := Get(web.Ctx(c), h.Pool, id)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "news.edit"), newsv.EditForm(newsv.Form{ID: id, Title: i.Title, Body: i.BodyMD, Audience: i.Audience, Notify: i.Notify}))
}

// Update saves the editor.
func (h *Handlers) Update(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	in := input(c)
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return Update(ctx, tx, id, in) })
	if f, bad := formOf(id, in, err, c); bad {
		return web.Render(c, fiber.StatusUnprocessableEntity, web.T(c, "news.edit"), newsv.EditForm(f))
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "news.saved")
	return web.Redirect(c, "/news/"+strconv.FormatInt(id, 10))
}

// Show is one item, its actions, and the progress of its notices.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.show(c, fiber.StatusOK, id, "")
}

func (h *Handlers) show(c *fiber.Ctx, status int, id int64, errMsg string) error {
	ctx := web.Ctx(c)
	i, err := Get(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	d := newsv.ShowData{Item: ViewItem(i), CanEdit: h.canEdit(c), Error: errMsg}
	if i.NotifiesUsers() && (i.State == Published || i.State == Archived) {
		if d.Progress, err = h.progress(c, id); err != nil {
			return err
		}
	}
	images, err := Images(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	for _, im := range images {
		d.Images = append(d.Images, newsv.Image{ID: im.ID, Name: im.Name})
	}
	return web.Render(c, status, i.Title, newsv.Show(d))
}

func (h *Handlers) progress(c *fiber.Ctx, id int64) (newsv.Progress, error) {
	p, err := ProgressOf(web.Ctx(c), h.Pool, id)
	if err != nil {
		return newsv.Progress{}, err
	}
	v := newsv.Progress{Shown: true, Total: p.Total, Enqueued: p.Enqueued, Pending: p.Pending, Sent: p.Sent, Failed: p.Failed,
		Skipped: p.Skipped, Retry: p.Retry, Done: p.Done}
	if p.Total > 0 {
		v.Percent = (p.Sent + p.Failed + p.Skipped) * 100 / p.Total
	} else if p.Done {
		v.Percent = 100
	}
	return v, nil
}

// Progress is the polled progress box.
func (h *Handlers) Progress(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.progress(c, id)
	if err != nil {
		return err
	}
	return web.Fragment(c, fiber.StatusOK, newsv.ProgressBox(id, p))
}

// act runs one state change and returns to the item.
func (h *Handlers) act(c *fiber.Ctx, fn func(tx pgx.Tx, id int64) error, toast string) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return fn(tx, id) })
	var e *apperr.Error
	if errors.As(err, &e) && e.Field != "" {
		return h.show(c, fiber.StatusUnprocessableEntity, id, web.T(c, e.Message))
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", toast)
	return web.Redirect(c, "/news/"+strconv.FormatInt(id, 10))
}

// Publish publishes now.
func (h *Handlers) Publish(c *fiber.Ctx) error {
	return h.act(c, func(tx pgx.Tx, id int64) error { return PublishNow(web.Ctx(c), tx, id) }, "news.published")
}

// Schedule sets the publication time (platform zone).
func (h *Handlers) Schedule(c *fiber.Ctx) error {
	return h.act(c, func(tx pgx.Tx, id int64) error {
		at, err := time.ParseInLocation("2006-01-02T15:04", c.FormValue("publish_at"), actor.Zone(web.Ctx(c)))
		if err != nil {
			return apperr.InvalidField("publish_at", "news.schedule_bad")
		}
		return Schedule(web.Ctx(c), tx, id, at, clock.Or(h.Now))
	}, "news.scheduled")
}

// Unschedule returns a scheduled item to draft.
func (h *Handlers) Unschedule(c *fiber.Ctx) error {
	return h.act(c, func(tx pgx.Tx, id int64) error { return Unschedule(web.Ctx(c), tx, id) }, "news.saved")
}

// Pin pins or unpins.
func (h *Handlers) Pin(c *fiber.Ctx) error {
	return h.act(c, func(tx pgx.Tx, id int64) error { return SetPinned(web.Ctx(c), tx, id, c.FormValue("pinned") == "true") }, "news.saved")
}

// Archive archives.
func (h *Handlers) Archive(c *fiber.Ctx) error {
	return h.act(c, func(tx pgx.Tx, id int64) error { return Archive(web.Ctx(c), tx, id) }, "news.archived")
}

// MaxImage is the largest image an item may carry.
const MaxImage = 5 << 20

// Upload adds an image to an item; the page shows the Markdown that places it.
func (h *Handlers) Upload(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	fh, err := c.FormFile("image")
	if err != nil {
		return apperr.InvalidField("image", "news.image_required")
	}
	if fh.Size > MaxImage {
		return apperr.InvalidField("image", "news.image_large")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImage+1))
	if err != nil {
		return err
	}
	// The type is sniffed from the bytes, not taken from the browser.
	ct := http.DetectContentType(data)
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return apperr.InvalidField("image", "news.image_type")
	}
	ctx := web.Ctx(c)
	err = pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error { return AddImageTx(ctx, tx, id, fh.Filename, ct, data) })
	if err != nil {
		return err
	}
	web.Toast(c, "success", "news.saved")
	return web.Redirect(c, "/news/"+strconv.FormatInt(id, 10))
}

// Image serves an uploaded image.
func (h *Handlers) Image(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ct, data, err := ImageData(web.Ctx(c), h.Pool, id)
	if err != nil {
		return err
	}
	c.Set("Content-Type", ct)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Cache-Control", "private, max-age=86400")
	return c.Send(data)
}
