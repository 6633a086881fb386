package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/orders"
)

// Documents: waybills, handover acts and the statement's act are PDFs. A small batch is answered
// at once; a larger one is made by the desks' own River jobs into the file store, answered with
// 202 and a job to poll (GET /api/v1/jobs/{id}), whose file is then downloaded from
// /api/v1/jobs/{id}/file. The file belongs to the client (record api_account), not to any key.

// DirectMax is the largest batch of waybills answered at once.
const DirectMax = 10

// recordType marks generated files that belong to an API client.
const recordType = "api_account"

// JobStatus is GET /api/v1/jobs/{id}.
type JobStatus struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	Percent   int       `json:"percent"`
	Name      string    `json:"name"`
	Message   string    `json:"message"`
	FileURL   string    `json:"file_url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func jobStatus(c *fiber.Ctx, f files.File) JobStatus {
	s := JobStatus{ID: f.ID, Kind: f.Kind, State: f.State, Percent: f.Percent, Name: f.Name, CreatedAt: f.CreatedAt.UTC(), ExpiresAt: f.ExpiresAt.UTC()}
	if f.Message != "" {
		s.Message = i18n.T(c.UserContext(), f.Message)
	}
	if f.Ready() {
		s.FileURL = "/api/v1/jobs/" + strconv.FormatInt(f.ID, 10) + "/file"
	}
	return s
}

// ownFile loads a generated file of the key's client; anyone else's is 404.
func (h *Handlers) ownFile(c *fiber.Ctx) (files.File, error) {
	if h.Files == nil {
		return files.File{}, apperr.New(apperr.NotFound, "api.job_not_found")
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return files.File{}, apperr.New(apperr.NotFound, "api.job_not_found")
	}
	f, err := h.Files.Get(c.UserContext(), id)
	if err != nil || f.RecordType != recordType || f.RecordID != strconv.FormatInt(principal(c).AccountID, 10) || f.Kind == files.KindAttachment {
		return files.File{}, apperr.New(apperr.NotFound, "api.job_not_found")
	}
	if !f.ExpiresAt.IsZero() && f.ExpiresAt.Before(h.now()) {
		return files.File{}, apperr.New(apperr.NotFound, "api.job_not_found")
	}
	return f, nil
}

// Job is GET /api/v1/jobs/{id}.
func (h *Handlers) Job(c *fiber.Ctx) error {
	f, err := h.ownFile(c)
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(jobStatus(c, f))
}

// JobFile is GET /api/v1/jobs/{id}/file: the finished file (409 while the job runs).
func (h *Handlers) JobFile(c *fiber.Ctx) error {
	f, err := h.ownFile(c)
	if err != nil {
		return fail(c, err)
	}
	if !f.Ready() {
		return fail(c, apperr.New(apperr.Conflict, "api.job_not_done"))
	}
	r, err := h.Files.Read(c.UserContext(), f, false)
	if err != nil {
		return err
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", f.Name))
	return c.Send(buf.Bytes())
}

// enqueue records a file for the client and queues its job; it answers 202 with the job.
func (h *Handlers) enqueue(c *fiber.Ctx, kind, name string, args func(fileID int64) river.JobArgs) error {
	if h.Files == nil || h.Jobs == nil {
		return c.Status(fiber.StatusNotImplemented).JSON(errBody(c, "not_implemented", "api.not_available"))
	}
	account := strconv.FormatInt(principal(c).AccountID, 10)
	id, err := h.Files.Enqueue(c.UserContext(), h.Jobs, files.Job{Kind: kind, RecordType: recordType, RecordID: account, Name: name}, args)
	if err != nil {
		return err
	}
	f, err := h.Files.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/jobs/"+strconv.FormatInt(id, 10))
	return c.Status(fiber.StatusAccepted).JSON(jobStatus(c, f))
}

func (h *Handlers) ordersEnv() *orders.Env {
	return &orders.Env{Pool: h.Pool, Files: h.Files, TZ: h.zone(), Currency: h.currency(), Now: h.Now}
}

func sendPDF(c *fiber.Ctx, name string, write func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", name))
	return c.Send(buf.Bytes())
}

// Label is GET /api/v1/orders/{number}/waybill: the order's waybill with its barcode, at once.
func (h *Handlers) Label(c *fiber.Ctx) error {
	o, err := h.ownOrder(c, c.Params("number"))
	if err != nil {
		return fail(c, err)
	}
	per, err := perSheet(c.Query("per_sheet", "1"))
	if err != nil {
		return fail(c, err)
	}
	return sendPDF(c, "waybill-"+o.Number+".pdf", func(b *bytes.Buffer) error {
		return h.ordersEnv().WriteWaybillsPDF(b, i18n.Lang(c.UserContext()), []orders.Order{o}, per)
	})
}

func perSheet(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n != 1 && n != 2 && n != 4 {
		return 0, apperr.InvalidField("per_sheet", "api.bad_per_sheet")
	}
	return n, nil
}

// WaybillsRequest is POST /api/v1/waybills.
type WaybillsRequest struct {
	Numbers  []string `json:"numbers"`
	PerSheet int      `json:"per_sheet"`
}

// Waybills prints the client's orders' waybills: up to DirectMax at once as the PDF, more through
// the waybills job (202). Every number must be the client's own.
func (h *Handlers) Waybills(c *fiber.Ctx) error {
	var req WaybillsRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
	}
	if req.PerSheet == 0 {
		req.PerSheet = 1
	}
	per, err := perSheet(strconv.Itoa(req.PerSheet))
	if err != nil {
		return fail(c, err)
	}
	if len(req.Numbers) == 0 || len(req.Numbers) > orders.MaxWaybills {
		return fail(c, apperr.InvalidField("numbers", "api.bad_numbers"))
	}
	seen := map[string]bool{}
	var numbers []string
	for _, n := range req.Numbers {
		n = strings.ToUpper(strings.TrimSpace(n))
		if !seen[n] {
			seen[n] = true
			numbers = append(numbers, n)
		}
	}
	list, err := orders.ByNumbers(c.UserContext(), h.Pool, numbers)
	if err != nil {
		return err
	}
	own := list[:0]
	for _, o := range list {
		if o.ClientID == principal(c).AccountID {
			own = append(own, o)
		}
	}
	if len(own) != len(numbers) {
		return fail(c, apperr.New(apperr.NotFound, "api.order_not_found"))
	}
	lang := i18n.Lang(c.UserContext())
	if len(own) <= DirectMax {
		return sendPDF(c, "waybills.pdf", func(b *bytes.Buffer) error {
			return h.ordersEnv().WriteWaybillsPDF(b, lang, own, per)
		})
	}
	args := orders.WaybillsArgs{JobBase: orders.JobBase{ClientID: principal(c).AccountID, Lang: lang}, Numbers: numbers, PerSheet: per}
	return h.enqueue(c, args.Kind(), i18n.T(c.UserContext(), "orders.waybills_name")+".pdf", func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
}

// ActRequest is POST /api/v1/handover-acts: the client's parcels a courier took (or is to take)
// on a day, for signatures.
type ActRequest struct {
	CourierID int64  `json:"courier_id"`
	Date      string `json:"date"`
}

// HandoverAct makes the act: up to DirectMax parcels at once as the PDF, more through the desk's
// handover-act job (202). The courier must be one who carries or carried an order of the
// client's; the act lists only the client's parcels (422 when there are none that day).
func (h *Handlers) HandoverAct(c *fiber.Ctx) error {
	var req ActRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
	}
	if _, err := time.Parse("2006-01-02", req.Date); err != nil {
		return fail(c, apperr.InvalidField("date", "api.bad_date"))
	}
	var ok bool
	if err := h.Pool.QueryRow(c.UserContext(), `SELECT EXISTS (SELECT 1 FROM orders WHERE client_id = $1 AND courier_id = $2)`,
		principal(c).AccountID, req.CourierID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fail(c, apperr.New(apperr.NotFound, "api.courier_not_found"))
	}
	lang := i18n.Lang(c.UserContext())
	args := orders.ActArgs{JobBase: orders.JobBase{ClientID: principal(c).AccountID, Lang: lang}, CourierID: req.CourierID, Date: req.Date}
	name := fmt.Sprintf("%s %d %s.pdf", i18n.T(c.UserContext(), "orders.act_name"), req.CourierID, req.Date)
	act, err := h.ordersEnv().ClientAct(c.UserContext(), args)
	if err != nil {
		return failOr(c, err)
	}
	if len(act.Rows) <= DirectMax {
		return sendPDF(c, name, func(b *bytes.Buffer) error { return orders.WriteAct(b, lang, act) })
	}
	return h.enqueue(c, args.Kind(), name, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
}

// StatementLine is one movement of the client's money.
type StatementLine struct {
	At       time.Time `json:"at"`
	Reason   string    `json:"reason"`
	OrderRef string    `json:"order_ref"`
	Amount   int64     `json:"amount"`
	Balance  int64     `json:"balance"`
}

// StatementBody is GET /api/v1/statement: the mutual-settlement statement for [from, to].
type StatementBody struct {
	From     string          `json:"from"`
	To       string          `json:"to"`
	Currency string          `json:"currency"`
	Opening  int64           `json:"opening"`
	Closing  int64           `json:"closing"`
	Lines    []StatementLine `json:"lines"`
}

// period reads from and to (days in the platform zone, both inclusive; at most a year).
func (h *Handlers) period(from, to string) (time.Time, time.Time, error) {
	f, err := h.day(from, "from", 0)
	if err != nil || f.IsZero() {
		return time.Time{}, time.Time{}, apperr.InvalidField("from", "api.bad_date")
	}
	t, err := h.day(to, "to", 1)
	if err != nil || t.IsZero() {
		return time.Time{}, time.Time{}, apperr.InvalidField("to", "api.bad_date")
	}
	if !t.After(f) || t.Sub(f) > 367*24*time.Hour {
		return time.Time{}, time.Time{}, apperr.InvalidField("to", "api.bad_period")
	}
	return f, t, nil
}

// Statement is the client's statement as JSON: the same ledger statement finance signs.
func (h *Handlers) Statement(c *fiber.Ctx) error {
	from, to, err := h.period(c.Query("from"), c.Query("to"))
	if err != nil {
		return fail(c, err)
	}
	st, err := ledger.Statement(c.UserContext(), h.Pool, ledger.UserID(principal(c).AccountID), from, to)
	if err != nil {
		return err
	}
	b := StatementBody{From: c.Query("from"), To: c.Query("to"), Currency: h.currency(), Opening: int64(st.Opening), Closing: int64(st.Closing),
		Lines: []StatementLine{}}
	for _, l := range st.Lines {
		b.Lines = append(b.Lines, StatementLine{At: l.At.UTC(), Reason: l.Reason, OrderRef: l.OrderRef, Amount: int64(l.Amount), Balance: int64(l.Balance)})
	}
	return c.JSON(b)
}

// PeriodRequest is POST /api/v1/statement/act.
type PeriodRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// StatementAct makes the reconciliation act (PDF) through finance's act job (202).
func (h *Handlers) StatementAct(c *fiber.Ctx) error {
	var req PeriodRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
	}
	if _, _, err := h.period(req.From, req.To); err != nil {
		return fail(c, err)
	}
	args := finance.ActArgs{Lang: i18n.Lang(c.UserContext()), User: principal(c).AccountID, From: req.From, To: req.To}
	name := fmt.Sprintf("%s %d %s.pdf", i18n.T(c.UserContext(), "finance.act_pdf"), args.User, args.To)
	return h.enqueue(c, args.Kind(), name, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
}
