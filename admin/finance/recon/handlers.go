package recon

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/reconv"
)

// Handlers serve the reconciliation pages.
type Handlers struct {
	Pool     *pgxpool.Pool
	Jobs     enqueue.Inserter
	Loc      *time.Location
	Currency string
	Enforcer *rbac.Enforcer
	// Now is the portal's clock (the machine's when nil): a period closes only after it ends.
	Now clock.Clock
	// Files keeps uploaded statements and the loads' progress.
	Files *files.Store
}

// Routes are the reconciliation pages' routes.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/finance/reconciliation", Perm: rbac.ReconRead, Handler: h.Periods},
		{Method: "POST", Path: "/finance/reconciliation", Perm: rbac.ReconEdit, Handler: h.CreatePeriod},
		{Method: "GET", Path: "/finance/reconciliation/:id<int>", Perm: rbac.ReconRead, Handler: h.Show},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/statement", Perm: rbac.ReconEdit, Handler: h.Upload,
			BodyLimit: RouteBodyLimit, TooLarge: "recon.load.too_large"},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/fetch", Perm: rbac.ReconEdit, Handler: h.Fetch},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/match", Perm: rbac.ReconEdit, Handler: h.Match},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/results/:rid<int>/resolve", Perm: rbac.ReconEdit, Handler: h.Resolve},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/results/:rid<int>/correct", Perm: rbac.ReconEdit, Handler: h.Correct},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/corrections", Perm: rbac.ReconEdit, Handler: h.Correct},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/corrections/:cid<int>/approve", Perm: rbac.ReconApprove, Handler: h.ApproveCorrection, FreshCode: true},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/corrections/:cid<int>/refuse", Perm: rbac.ReconApprove, Handler: h.RefuseCorrection},
		{Method: "GET", Path: "/finance/reconciliation/:id<int>/export.xlsx", Perm: rbac.ReconRead, Handler: h.Export},
		{Method: "POST", Path: "/finance/reconciliation/:id<int>/close", Perm: rbac.ReconClose, Handler: h.Close},
	}
}

const resultsPage = 100

func (h *Handlers) can(c *fiber.Ctx, p rbac.Perm) bool {
	a := web.Actor(c)
	return h.Enforcer != nil && a != nil && h.Enforcer.Can(a.Roles, p)
}

func (h *Handlers) loc() *time.Location {
	if h.Loc == nil {
		return time.UTC
	}
	return h.Loc
}

func (h *Handlers) amount(c *fiber.Ctx, n int64) string { return money.Show(web.Ctx(c), n, h.Currency) }

func periodView(p Period) reconv.Period {
	return reconv.Period{ID: p.ID, StartsAt: p.StartsAt, EndsAt: p.EndsAt, State: p.State, Basis: string(p.Basis), Closed: p.Closed()}
}

// Periods lists periods with the form to open one.
func (h *Handlers) Periods(c *fiber.Ctx) error {
	return h.periods(c, fiber.StatusOK, reconv.PeriodForm{AmountTolerance: "0.00", DateTolerance: "48"})
}

func (h *Handlers) periods(c *fiber.Ctx, status int, f reconv.PeriodForm) error {
	list, err := Periods(web.Ctx(c), h.Pool)
	if err != nil {
		return err
	}
	p := reconv.Periods{CanEdit: h.can(c, rbac.ReconEdit), Form: f}
	for _, pr := range list {
		p.Periods = append(p.Periods, periodView(pr))
	}
	return web.Render(c, status, web.T(c, "recon.ui.title"), reconv.PeriodsPage(p))
}

// CreatePeriod opens a period [from 00:00, to+1 day 00:00) in the platform's zone.
func (h *Handlers) CreatePeriod(c *fiber.Ctx) error {
	f := reconv.PeriodForm{From: c.FormValue("from"), To: c.FormValue("to"), AmountTolerance: c.FormValue("amount_tolerance"),
		DateTolerance: c.FormValue("date_tolerance"), Basis: c.FormValue("basis"), Errors: map[string]string{}}
	from, err := time.ParseInLocation("2006-01-02", f.From, h.loc())
	if err != nil {
		f.Errors["from"] = web.T(c, "recon.ui.date_invalid")
	}
	to, err := time.ParseInLocation("2006-01-02", f.To, h.loc())
	if err != nil {
		f.Errors["to"] = web.T(c, "recon.ui.date_invalid")
	}
	var s Settings
	if strings.TrimSpace(f.AmountTolerance) != "" {
		tol, ok := parseMajor(f.AmountTolerance)
		if !ok {
			f.Errors["amount_tolerance"] = web.T(c, "recon.ui.amount_invalid")
		}
		s.AmountTolerance = tol
	}
	if strings.TrimSpace(f.DateTolerance) != "" {
		hrs, err := strconv.Atoi(strings.TrimSpace(f.DateTolerance))
		if err != nil || hrs < 0 || hrs > 24*31 {
			f.Errors["date_tolerance"] = web.T(c, "recon.ui.hours_invalid")
		}
		s.DateToleranceH = hrs
	}
	s.Basis = Gross
	if f.Basis == string(Net) {
		s.Basis = Net
	}
	if len(f.Errors) == 0 {
		p, err := OpenPeriod(web.Ctx(c), h.Pool, from, to.AddDate(0, 0, 1), s)
		if err == nil {
			web.Toast(c, "success", "recon.ui.period_opened")
			return web.Redirect(c, "/finance/reconciliation/"+strconv.FormatInt(p.ID, 10))
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Field == "" {
			return err
		}
		field := map[string]string{"starts_at": "from", "ends_at": "to"}[ae.Field]
		if field == "" {
			field = ae.Field
		}
		f.Errors[field] = web.T(c, ae.Message)
	}
	return h.periods(c, fiber.StatusUnprocessableEntity, f)
}

// parseMajor reads "12.50" as 1250.
func parseMajor(s string) (int64, bool) {
	s = strings.Replace(strings.TrimSpace(s), ",", ".", 1)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || dot && frac == "" || len(whole) > 13 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseUint(whole, 10, 63)
	fr, err2 := strconv.ParseUint(frac, 10, 8)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int64(w*100 + fr), true
}

// Show is the period's page: its status block, the load forms and the results.
func (h *Handlers) Show(c *fiber.Ctx) error { return h.show(c, fiber.StatusOK, "", nil) }

// show renders the period's page; form, when not nil, is a correction form sent back with its errors.
func (h *Handlers) show(c *fiber.Ctx, status int, uploadError string, form *reconv.CorrectionForm) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	p, err := GetPeriod(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	s := reconv.Show{Period: periodView(p), UploadError: uploadError, CanEdit: h.can(c, rbac.ReconEdit), CanClose: h.can(c, rbac.ReconClose),
		MaxUploadMB: MaxStatementBytes >> 20, MaxLines: groupDigits(MaxLines, i18n.Lang(web.Ctx(c)))}
	s.StatementID, s.StmtState, s.StmtError, err = Statement(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	if s.Load, err = h.loadView(c, id); err != nil {
		return err
	}
	for _, k := range Kinds {
		s.Kinds = append(s.Kinds, string(k))
	}
	if err := h.corrections(c, &s, form); err != nil {
		return err
	}
	if s.StatementID != 0 {
		sum, err := Summarise(ctx, h.Pool, s.StatementID)
		if err != nil {
			return err
		}
		for _, k := range Kinds {
			s.Outcomes = append(s.Outcomes, reconv.Outcome{Kind: string(k), Count: sum.Count[k], Gateway: h.amount(c, sum.Gateway[k]), Ledger: h.amount(c, sum.Ledger[k])})
		}
		s.Matched, s.Total, s.Unresolved = sum.Count[Matched], sum.Total, sum.Unresolved
		s.Exceptions = sum.Total - sum.Count[Matched]
		after, err := web.QueryID(c, "after")
		if err != nil {
			return err
		}
		f := ResultFilter{After: after, Limit: resultsPage}
		switch k := c.Query("kind"); {
		case k == "open":
			f.Unresolved, s.Kind = true, k
		case k != "":
			for _, kk := range Kinds {
				if string(kk) == k {
					f.Kind, s.Kind = kk, k
				}
			}
		}
		list, next, err := Results(ctx, h.Pool, s.StatementID, f)
		if err != nil {
			return err
		}
		for _, r := range list {
			v := h.resultView(c, r)
			v.Correction = s.Pending[r.ID]
			s.Results = append(s.Results, v)
		}
		if next != 0 {
			q := url.Values{"after": {strconv.FormatInt(next, 10)}}
			if s.Kind != "" {
				q.Set("kind", s.Kind)
			}
			s.NextURL = "/finance/reconciliation/" + strconv.FormatInt(id, 10) + "?" + q.Encode()
		}
	}
	return web.Render(c, status, web.T(c, "recon.ui.period"), reconv.ShowPage(s))
}

func (h *Handlers) resultView(c *fiber.Ctx, r Result) reconv.Result {
	v := reconv.Result{ID: r.ID, Kind: string(r.Kind), Reference: r.Reference, At: r.At, Resolution: r.Resolution, Note: r.Note,
		ResolvedBy: r.ResolvedByName, Exception: r.Exception()}
	if r.Transfer != nil {
		v.Transfer = strconv.FormatInt(*r.Transfer, 10)
	}
	if r.GatewayAmount != nil {
		v.Gateway = h.amount(c, *r.GatewayAmount)
	}
	if r.LedgerAmount != nil {
		v.Ledger = h.amount(c, *r.LedgerAmount)
	}
	if r.Correcting != nil {
		v.Correcting = strconv.FormatInt(*r.Correcting, 10)
	}
	v.Direction = string(DefaultDirection(r))
	if want := exceptionWant(r); want > 0 {
		v.Want = h.amount(c, want)
	}
	return v
}

// loadView is the period's newest load as the page shows it; its owner is told once, with a
// toast, when it has ended (here or, if they are elsewhere, by the layout's notices).
func (h *Handlers) loadView(c *fiber.Ctx, periodID int64) (*reconv.Load, error) {
	ctx := web.Ctx(c)
	job, err := LatestLoad(ctx, h.Pool, periodID)
	if err != nil || job == nil {
		return nil, err
	}
	pr := decodeProgress(job.Result)
	v := &reconv.Load{ID: job.ID, Name: job.Name, State: job.State, Percent: job.Percent, Lines: pr.Lines, Entries: pr.Entries,
		Matched: pr.Matched, Exceptions: pr.Exceptions, Active: job.State == files.Queued || job.State == files.Running}
	if job.Message != "" && v.Active {
		v.Message = web.T(c, job.Message)
	}
	if job.State == files.Failed {
		var args []any
		for k, a := range pr.Args {
			args = append(args, k, a)
		}
		v.Error = web.T(c, cmp.Or(pr.Error, job.Message, "recon.load.failed"), args...)
	}
	if a := web.Actor(c); !v.Active && a != nil && job.OwnerID == a.ID {
		first, err := h.Files.MarkNotified(ctx, job.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case !first:
		case job.State == files.Failed:
			web.Toast(c, "error", "recon.load.failed_toast", "Name", job.Name, "Reason", v.Error)
		default:
			web.Toast(c, "success", "recon.load.done", "Name", job.Name, "Lines", pr.Lines, "Matched", pr.Matched, "Exceptions", pr.Exceptions)
		}
	}
	if job.State == files.Done {
		return nil, nil // the statement speaks for itself
	}
	return v, nil
}

// Upload stores a CSV or XLSX statement and queues its load: the request returns at once, and
// the period page shows the load's progress and then its outcome. A file over the limit, of
// another type or with the wrong header is refused at once and changes nothing (413 or 422, on
// the page); what only reading the whole file can find is reported by the job.
func (h *Handlers) Upload(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return h.show(c, fiber.StatusUnprocessableEntity, web.T(c, "recon.ui.file_missing"), nil)
	}
	if fh.Size > MaxStatementBytes {
		return h.show(c, fiber.StatusRequestEntityTooLarge, web.T(c, "recon.load.too_large", "MB", MaxStatementBytes>>20), nil)
	}
	var source string
	switch strings.ToLower(path.Ext(fh.Filename)) {
	case ".xlsx":
		source = "xlsx"
	case ".csv", ".txt":
		source = "csv"
	default:
		return h.show(c, fiber.StatusUnprocessableEntity, web.T(c, "recon.ui.file_type"), nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if source == "csv" {
		err = CheckCSVHeader(f)
	} else {
		magic := make([]byte, 4)
		if _, rerr := io.ReadFull(f, magic); rerr != nil || string(magic) != "PK\x03\x04" {
			err = apperr.InvalidField("file", "recon.file_unreadable")
		}
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err == nil {
		if h.Jobs == nil || h.Files == nil {
			return apperr.New(apperr.Conflict, "recon.ui.no_queue")
		}
		_, err = Queue(web.Ctx(c), h.Pool, h.Files, h.Jobs, id, source, path.Base(fh.Filename), f)
	}
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
			var args []any
			for k, v := range ae.Args {
				args = append(args, k, v)
			}
			return h.show(c, apperr.Status(ae.Code), web.T(c, ae.Message, args...), nil)
		}
		return err
	}
	web.Toast(c, "info", "recon.load.queued", "Name", path.Base(fh.Filename))
	return web.Redirect(c, "/finance/reconciliation/"+strconv.FormatInt(id, 10))
}

// Fetch queues loading the statement from the gateway (the recon_fetch job loads and matches it).
func (h *Handlers) Fetch(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if h.Jobs == nil || h.Files == nil {
		return apperr.New(apperr.Conflict, "recon.ui.no_queue")
	}
	if _, err := QueueFetch(web.Ctx(c), h.Pool, h.Files, h.Jobs, id, web.T(c, "recon.load.fetch_name")); err != nil {
		return err
	}
	web.Toast(c, "success", "recon.ui.fetch_queued")
	return web.Redirect(c, "/finance/reconciliation/"+strconv.FormatInt(id, 10))
}

// Match queues matching the period's current statement again (its resolutions start over); the
// page shows the job's progress as for an upload.
func (h *Handlers) Match(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if h.Jobs == nil || h.Files == nil {
		return apperr.New(apperr.Conflict, "recon.ui.no_queue")
	}
	if _, err := QueueRematch(web.Ctx(c), h.Pool, h.Files, h.Jobs, id, web.T(c, "recon.load.rematch_name")); err != nil {
		return err
	}
	web.Toast(c, "success", "recon.load.rematch_queued")
	return web.Redirect(c, "/finance/reconciliation/"+strconv.FormatInt(id, 10))
}

// Resolve settles one exception by a note, a correcting transfer, or acceptance.
func (h *Handlers) Resolve(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	rid, err := web.ParamID(c, "rid")
	if err != nil {
		return err
	}
	r := Resolution{Kind: c.FormValue("resolution"), Note: c.FormValue("note")}
	if t := strings.TrimSpace(c.FormValue("transfer")); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return apperr.InvalidField("transfer", "recon.transfer_required")
		}
		r.Correcting = n
	}
	if err := h.belongs(c, id, rid); err != nil {
		return err
	}
	if err := Resolve(web.Ctx(c), h.Pool, rid, r); err != nil {
		return err
	}
	web.Toast(c, "success", "recon.ui.resolved")
	return web.Redirect(c, "/finance/reconciliation/"+strconv.FormatInt(id, 10)+"?kind=open")
}

// belongs refuses a result of another period (the URL names both).
func (h *Handlers) belongs(c *fiber.Ctx, periodID, resultID int64) error {
	ok, err := ResultInPeriod(web.Ctx(c), h.Pool, periodID, resultID)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.NotFound, "recon.result_not_found")
	}
	return nil
}

// Export sends the current statement's results as an Excel workbook.
func (h *Handlers) Export(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	st, _, _, err := Statement(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	if st == 0 {
		return apperr.New(apperr.NotFound, "recon.no_statement")
	}
	titles := []string{}
	for _, k := range []string{"outcome", "reference", "line", "transfer", "gateway_amount", "ledger_amount", "at", "resolution", "note", "correcting"} {
		titles = append(titles, web.T(c, "recon.ui.col."+k))
	}
	var buf bytes.Buffer
	if err := Export(ctx, h.Pool, st, &buf, h.loc(), titles, func(k Kind) string { return web.T(c, "recon.ui.kind."+string(k)) }); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="reconciliation-`+strconv.FormatInt(id, 10)+`.xlsx"`)
	return c.Send(buf.Bytes())
}

// Close closes the period; it is refused with the number of open exceptions while any are left.
func (h *Handlers) Close(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	now := clock.System
	if h.Now != nil {
		now = h.Now
	}
	if err := Close(web.Ctx(c), h.Pool, id, now()); err != nil {
		return err
	}
	web.Toast(c, "success", "recon.ui.closed")
	return web.Redirect(c, "/finance/reconciliation/"+strconv.FormatInt(id, 10))
}

// groupDigits writes a count with thousands grouped as the language does (2,000,000; 2 000 000).
func groupDigits(n int, lang string) string {
	sep := "\u202f"
	if lang == "en" {
		sep = ","
	}
	d := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}
