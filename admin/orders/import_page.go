package orders

import (
	"bytes"
	"io"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/ordersv"
)

// ImportPage is /orders/import: the template, the upload and the choice of what to do with bad rows.
func (h *Handlers) ImportPage(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, web.T(c, "orders.import"), ordersv.Import(""))
}

// ImportTemplate downloads the template in the user's language.
func (h *Handlers) ImportTemplate(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := WriteTemplate(&buf, i18n.Lang(web.Ctx(c)), h.nowUTC().In(h.zone())); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, XLSXType)
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", web.T(c, "orders.template.file")+".xlsx"))
	return c.Send(buf.Bytes())
}

// Import stores the upload and enqueues its import. Obvious refusals (no file, too large, not a
// zip at all) are answered at once; the rest of the checks run in the job, which changes nothing
// when they fail.
func (h *Handlers) Import(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.InvalidField("file", "files.empty")
	}
	if fh.Size > xlsx.DefaultMaxBytes {
		return &apperr.Error{Code: apperr.Invalid, Field: "file", Message: "orders.import_too_large"}
	}
	r, err := fh.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "PK\x03\x04" {
		return apperr.InvalidField("file", "orders.import_not_xlsx")
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	a := web.Actor(c)
	up, err := h.Files.Store(ctx, files.Stored{Owner: a.ID, Kind: "orders_import_upload", Name: files.SafeName(fh.Filename),
		ContentType: XLSXType, Body: r})
	if err != nil {
		return err
	}
	args := ImportArgs{JobBase: base(a, i18n.Lang(ctx)), UploadID: up.ID, WholeFile: c.FormValue("mode") == "all"}
	id, err := h.Files.Enqueue(ctx, h.Jobs, files.Job{Owner: a.ID, Kind: "orders_import", Name: up.Name}, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
	if err != nil {
		return err
	}
	f, err := h.Files.Get(ctx, id)
	if err != nil {
		return err
	}
	web.Toast(c, "info", "files.job_queued", "Name", f.Name)
	return web.Fragment(c, fiber.StatusAccepted, ordersv.ImportStatus(h.importView(c, f)))
}

// ImportStatus is what the import page polls: progress, then the result with every bad row.
func (h *Handlers) ImportStatus(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	f, err := h.Files.GetOwned(ctx, id, web.Actor(c).ID)
	if err != nil || f.Kind != "orders_import" {
		return apperr.New(apperr.NotFound, "files.not_found")
	}
	if f.State == files.Done || f.State == files.Failed {
		first, err := h.Files.MarkNotified(ctx, f.ID)
		if err != nil {
			return err
		}
		switch {
		case !first:
		case f.State == files.Failed:
			web.Toast(c, "error", "files.job_failed", "Name", f.Name)
		default:
			web.Toast(c, "success", "files.job_done", "Name", f.Name)
		}
	}
	return web.Fragment(c, fiber.StatusOK, ordersv.ImportStatus(h.importView(c, f)))
}

func (h *Handlers) importView(c *fiber.Ctx, f files.File) ordersv.ImportResult {
	p := files.ProgressView(f, false)
	p.Links = nil
	res := DecodeImportResult(f.Result)
	v := ordersv.ImportResult{Progress: p, Done: f.State == files.Done || f.State == files.Failed,
		Created: res.Created, Skipped: res.Skipped, Bad: res.Bad, WholeFile: res.WholeFile, More: res.More, Examples: res.Examples}
	if res.Refused != "" {
		v.Refused = web.T(c, res.Refused)
		if res.Detail != "" && res.Refused == "orders.import_wrong_header" {
			v.Refused += " " + res.Detail
		}
	}
	for _, e := range res.Errors {
		v.Errors = append(v.Errors, ordersv.RowError{Row: e.Row, Column: web.T(c, "orders.import_col."+e.Column),
			Reason: web.T(c, e.Reason, "Max", FormatKg(e.Max))})
	}
	if res.FailedID != 0 {
		v.FailedURL = "/files/" + itoa64(res.FailedID)
	}
	return v
}
