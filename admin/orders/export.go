package orders

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/filesv"
)

// XLSXType is the content type of an Excel workbook.
const XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ExportArgs asks for an Excel file of a filtered list with the user's columns.
type ExportArgs struct {
	JobBase
	Filter  Filter   `json:"filter"`
	Columns []string `json:"columns"`
}

func (ExportArgs) Kind() string { return "orders_export" }

// Export enqueues the export of the list as the filters stand and shows its progress bar.
func (h *Handlers) Export(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	_, f, err := h.readFilters(func(k string) string { return c.FormValue(k) })
	if err != nil {
		return err
	}
	f.After = ""
	// Refuse now what the job would refuse (a sort on a hidden field), so the user sees why.
	if _, _, _, err := f.where(web.Actor(c).View, map[string]any{}); err != nil {
		return err
	}
	cols, err := ColumnsFor(ctx, h.Pool)
	if err != nil {
		return err
	}
	name := web.T(c, "orders.export_name") + " " + h.nowUTC().In(h.zone()).Format("2006-01-02 15.04") + ".xlsx"
	args := ExportArgs{JobBase: base(web.Actor(c), i18n.Lang(ctx)), Filter: f, Columns: cols}
	return h.enqueue(c, files.Job{Owner: web.Actor(c).ID, Kind: "orders_export", Name: name}, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
}

// enqueue records the file, inserts its job and answers with the progress bar.
func (h *Handlers) enqueue(c *fiber.Ctx, j files.Job, args func(int64) river.JobArgs) error {
	id, err := h.Files.Enqueue(web.Ctx(c), h.Jobs, j, args)
	if err != nil {
		return err
	}
	f, err := h.Files.Get(web.Ctx(c), id)
	if err != nil {
		return err
	}
	web.Toast(c, "info", "files.job_queued", "Name", f.Name)
	return web.Fragment(c, fiber.StatusAccepted, filesv.Progress(files.ProgressView(f, true)))
}

// RunExport writes the export: rows streamed from a database cursor into the streaming workbook
// writer, progress recorded as it goes. The staff member's field rules apply now, as on the page.
func (e *Env) RunExport(ctx context.Context, a ExportArgs) error {
	ctx, err := e.asStaff(ctx, a.JobBase)
	if err != nil {
		return err
	}
	v := actor.ViewOf(ctx)
	cols := CleanColumns(a.Columns, v)
	total, err := Count(ctx, e.Pool, a.Filter)
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	if err := e.Files.Progress(ctx, a.FileID, 0, "files.working"); err != nil {
		return err
	}
	f, err := e.Files.Get(ctx, a.FileID)
	if err != nil {
		return err
	}
	xcols := make([]xlsx.Column, len(cols))
	for i, k := range cols {
		xcols[i] = xlsx.Column{Title: ExportTitle(a.Lang, k), Kind: Kind(k)}
	}
	statusLabel := map[Status]string{}
	for _, s := range Statuses {
		statusLabel[s] = i18n.In(a.Lang, "orders.status."+string(s))
	}
	tick := e.Files.NewTicker(a.FileID, 500*time.Millisecond)
	res := &struct {
		Rows int64 `json:"rows"`
	}{}
	rows := &res.Rows
	err = e.Files.Complete(ctx, a.FileID, f.Name, XLSXType, func(w io.Writer) error {
		xw, err := xlsx.NewWriter(w, i18n.In(a.Lang, "nav.orders"), e.zone())
		if err != nil {
			return err
		}
		if err := xw.SetColumns(xcols); err != nil {
			return err
		}
		vals := make([]any, len(cols))
		err = Each(ctx, e.Pool, a.Filter, func(o *Order) error {
			for i, k := range cols {
				if k == "status" {
					vals[i] = statusLabel[o.Status]
					continue
				}
				vals[i] = Value(o, k)
			}
			*rows++
			if err := xw.WriteRow(ctx, vals...); err != nil {
				return err
			}
			// The last few percent are the workbook's compression.
			return tick.Tick(ctx, *rows*95/100, max(total, 1), "files.working")
		})
		if err != nil {
			_ = xw.Close()
			return err
		}
		return xw.Close()
	}, res)
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	return nil
}

// fail marks the file failed and returns the error, so River records it too (a user error is
// not retried: the file says why).
func (e *Env) fail(ctx context.Context, fileID int64, err error) error {
	msg := "files.job_error"
	if m := userMessage(err); m != "" {
		msg = m
	}
	if ferr := e.Files.Fail(context.WithoutCancel(ctx), fileID, msg, nil); ferr != nil {
		return fmt.Errorf("%w (and marking the file failed: %v)", err, ferr)
	}
	if msg != "files.job_error" {
		return river.JobCancel(err)
	}
	return err
}
