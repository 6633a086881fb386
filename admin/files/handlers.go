package files

import (
	"encoding/json"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/filesv"
)

// Handlers serve generated files to their owners: the download, the progress fragment a page
// polls, and the notices that turn into toasts on any page.
type Handlers struct {
	Store *Store
}

// Routes are the files routes. Ownership is checked in the handlers: a file that is not yours is
// "not found", whatever your role.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/files/notices", Perm: rbac.Authenticated, Handler: h.Notices},
		{Method: "GET", Path: "/files/:id<int>", Perm: rbac.Authenticated, Handler: h.Download},
		{Method: "GET", Path: "/files/:id<int>/progress", Perm: rbac.Authenticated, Handler: h.ProgressFragment},
	}
}

// Download sends a finished generated file to its owner.
func (h *Handlers) Download(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	f, err := h.Store.GetOwned(web.Ctx(c), id, web.Actor(c).ID)
	if err != nil {
		return err
	}
	if !f.Ready() {
		return web.Fragment(c, fiber.StatusConflict, filesv.Progress(ProgressView(f, false)))
	}
	return h.Store.Serve(c, f, false, true)
}

// ProgressFragment is what a page polls: the bar while the job runs, the link when it is done.
// The end is announced once with a toast (HX-Trigger); the notices poll then skips it.
func (h *Handlers) ProgressFragment(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	f, err := h.Store.GetOwned(ctx, id, web.Actor(c).ID)
	if err != nil {
		return err
	}
	if f.State == Done || f.State == Failed {
		first, err := h.Store.MarkNotified(ctx, f.ID)
		if err != nil {
			return err
		}
		if first {
			toast(c, f)
		}
	}
	return web.Fragment(c, fiber.StatusOK, filesv.Progress(ProgressView(f, true)))
}

// Notices toasts the jobs that ended while the user was elsewhere. The layout polls it.
func (h *Handlers) Notices(c *fiber.Ctx) error {
	list, err := h.Store.Notices(web.Ctx(c), web.Actor(c).ID)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		toast(c, list[0]) // one per poll; the others come with the next ones
		if len(list) > 1 {
			_ = h.Store.Renotify(web.Ctx(c), ids(list[1:]))
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func ids(list []File) []int64 {
	out := make([]int64, len(list))
	for i, f := range list {
		out[i] = f.ID
	}
	return out
}

func toast(c *fiber.Ctx, f File) {
	if f.State == Failed {
		web.Toast(c, "error", "files.job_failed", "Name", f.Name)
		return
	}
	web.Toast(c, "success", "files.job_done", "Name", f.Name)
}

// ProgressView turns a file record into what the progress widget shows.
func ProgressView(f File, poll bool) filesv.ProgressData {
	d := filesv.ProgressData{ID: f.ID, Name: f.Name, State: f.State, Percent: f.Percent, Message: f.Message,
		Poll: poll && (f.State == Queued || f.State == Running), Size: f.Size}
	if f.State == Done && f.BlobKey != "" {
		d.Download = "/files/" + strconv.FormatInt(f.ID, 10)
	}
	var res struct {
		Links []filesv.Link `json:"links"`
	}
	if len(f.Result) > 0 && json.Unmarshal(f.Result, &res) == nil {
		d.Links = res.Links
	}
	return d
}

// Serve sends a file's bytes with its type, length and a Content-Disposition naming it. download
// forces "attachment"; otherwise pictures and PDFs open in the browser. Nothing sent here is ever
// sniffed into HTML: the type is the one detected at upload, and nosniff is set.
func (s *Store) Serve(c *fiber.Ctx, f File, thumb, download bool) error {
	r, err := s.Read(web.Ctx(c), f, thumb)
	if err != nil {
		return err
	}
	defer r.Close()
	ct := f.ContentType
	if thumb {
		ct = "image/jpeg"
	}
	disposition := "attachment"
	if !download && (strings.HasPrefix(ct, "image/") || ct == "application/pdf") {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, ContentDisposition(disposition, f.Name))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	if !thumb && f.Size > 0 {
		c.Response().Header.SetContentLength(int(f.Size))
	}
	_, err = io.Copy(c.Response().BodyWriter(), r)
	return err
}

// ContentDisposition builds the header with an ASCII fallback name and the UTF-8 name (RFC 6266),
// so "Накладні PD00000012.pdf" arrives with its Cyrillic name in every browser.
func ContentDisposition(disposition, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	v := mime.FormatMediaType(disposition, map[string]string{"filename": ascii})
	return v + "; filename*=UTF-8''" + url.PathEscape(name)
}
