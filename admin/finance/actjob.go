package finance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/filesv"
)

// ActArgs asks for a reconciliation act: a user's statement for [From, To] (days in the platform
// zone), in the language of the staff member who asked.
type ActArgs struct {
	FileID  int64  `json:"file_id"`
	StaffID int64  `json:"staff_id"`
	Lang    string `json:"lang"`
	User    int64  `json:"user"`
	From    string `json:"from"`
	To      string `json:"to"`
}

func (ActArgs) Kind() string { return "finance_act" }

// FileRecord is the file the job fills.
func (a ActArgs) FileRecord() int64 { return a.FileID }

// Env is what the act job needs.
type Env struct {
	Pool     *pgxpool.Pool
	Files    *files.Store
	Loc      *time.Location
	Currency string
}

// RunAct writes the act into its file, recording progress.
func (e *Env) RunAct(ctx context.Context, a ActArgs) error {
	// The act prints what the staff member who asked may see, not what the system may.
	view, err := rbac.LoadView(ctx, e.Pool, a.StaffID)
	if err != nil {
		return err
	}
	ctx = actor.With(ctx, &actor.Actor{ID: a.StaffID, Lang: a.Lang, View: view})
	fail := func(err error) error {
		msg := "files.job_error"
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code != apperr.Internal {
			msg = ae.Message
		}
		_ = e.Files.Fail(ctx, a.FileID, msg, nil)
		return nil // a user error will not get better by retrying
	}
	from, err1 := time.ParseInLocation("2006-01-02", a.From, e.Loc)
	to, err2 := time.ParseInLocation("2006-01-02", a.To, e.Loc)
	if err1 != nil || err2 != nil {
		return fail(apperr.InvalidField("from", "finance.bad_date"))
	}
	if err := e.Files.Progress(ctx, a.FileID, 10, "files.working"); err != nil {
		return err
	}
	p, err := party(ctx, e.Pool, a.User)
	if err != nil {
		return fail(err)
	}
	st, err := ledger.Statement(ctx, e.Pool, ledger.UserID(a.User), from, to.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	if err := e.Files.Progress(ctx, a.FileID, 50, "files.working"); err != nil {
		return err
	}
	f, err := e.Files.Get(ctx, a.FileID)
	if err != nil {
		return err
	}
	l := actLabels(func(k string) string { return i18n.In(a.Lang, k) }, from, to)
	l.Lang = a.Lang
	return e.Files.Complete(ctx, a.FileID, f.Name, "application/pdf", func(w io.Writer) error {
		return WriteAct(w, l, p, st, e.Currency)
	}, map[string]any{"lines": len(st.Lines)})
}

func actLabels(t func(string) string, from, to time.Time) ActLabels {
	return ActLabels{Title: t("finance.act_title"), Period: fmt.Sprintf("%s — %s", from.Format("02.01.2006"), to.Format("02.01.2006")),
		Platform: t("finance.act_platform"), Counterparty: t("finance.act_counterparty"), Opening: t("finance.opening"),
		Closing: t("finance.closing"), When: t("finance.when"), Reason: t("finance.reason"), Order: t("finance.order"),
		Amount: t("finance.amount"), Balance: t("finance.balance"), Signature: t("finance.act_signature"), Stamp: t("finance.act_stamp"),
		PageOf: t("finance.act_page_of")}
}

var (
	storeOnce sync.Once
	store     *files.Store
	storeErr  error
)

// files opens the generated-files store once per process.
func (h *Handlers) files(ctx context.Context) (*files.Store, error) {
	storeOnce.Do(func() { store, storeErr = files.Open(ctx, h.Pool, h.DataDir) })
	return store, storeErr
}

// QueueAct enqueues the reconciliation act and answers with its progress bar.
func (h *Handlers) QueueAct(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	user, err := strconv.ParseInt(c.FormValue("user"), 10, 64)
	if err != nil || user <= 0 {
		return apperr.InvalidField("user", "finance.user_required")
	}
	if _, err := party(ctx, h.Pool, user); err != nil {
		return err
	}
	if h.Jobs == nil {
		return apperr.New(apperr.Internal, "files.job_error")
	}
	fs, err := h.files(ctx)
	if err != nil {
		return err
	}
	args := ActArgs{StaffID: web.Actor(c).ID, Lang: i18n.Lang(ctx), User: user, From: c.FormValue("from"), To: c.FormValue("to")}
	name := fmt.Sprintf("%s %d %s.pdf", web.T(c, "finance.act_pdf"), user, args.To)
	id, err := fs.Enqueue(ctx, h.Jobs, files.Job{Owner: args.StaffID, Kind: "finance_act", RecordType: "account",
		RecordID: strconv.FormatInt(user, 10), Name: name}, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
	if err != nil {
		return err
	}
	f, err := fs.Get(ctx, id)
	if err != nil {
		return err
	}
	web.Toast(c, "info", "files.job_queued", "Name", f.Name)
	return web.Fragment(c, fiber.StatusAccepted, filesv.Progress(files.ProgressView(f, true)))
}
