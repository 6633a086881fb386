package finance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/financev"
)

// LedgerXLSX streams the filtered entries into a workbook, a thousand at a time by keyset, so
// memory stays flat however many match.
func (h *Handlers) LedgerXLSX(c *fiber.Ctx) error {
	f, err := h.filter(c)
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", "ledger.xlsx"))
	// The body is written after the handler returns, when c is no longer ours: everything it
	// needs from the request is taken now.
	sheet := web.T(c, "finance.ledger")
	titles := []string{web.T(c, "finance.when"), "#", web.T(c, "finance.account"), web.T(c, "finance.kind"),
		web.T(c, "finance.user"), web.T(c, "finance.reason"), web.T(c, "finance.order"), web.T(c, "finance.amount")}
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		_ = h.writeLedger(ctx, bw, f, sheet, titles)
		_ = bw.Flush()
	})
	return nil
}

func (h *Handlers) writeLedger(ctx context.Context, out io.Writer, f ledger.EntryFilter, sheet string, titles []string) error {
	w, err := xlsx.NewWriter(out, sheet, h.Loc)
	if err != nil {
		return err
	}
	lang := i18n.Lang(ctx) // reasons and kinds in words, as on the page
	kinds := []xlsx.Kind{xlsx.DateTime, xlsx.Int, xlsx.Int, xlsx.Text, xlsx.Int, xlsx.Text, xlsx.Text, xlsx.Money}
	cols := make([]xlsx.Column, len(titles))
	for i, t := range titles {
		cols[i] = xlsx.Column{Title: t, Kind: kinds[i]}
	}
	if err := w.SetColumns(cols); err != nil {
		return err
	}
	f.Limit = 1000
	for {
		es, err := ledger.Entries(ctx, h.Pool, f)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := w.WriteRow(ctx, e.CreatedAt, int64(e.ID), int64(e.Account), i18n.In(lang, "finance.kind."+string(e.Kind)), int64(e.Owner),
				ReasonText(lang, e.Reason), e.OrderRef, int64(e.Amount)); err != nil {
				return err
			}
		}
		if len(es) < f.Limit {
			return w.Close()
		}
		f.Before = es[len(es)-1].Cursor()
	}
}

// Party is a client's or courier's details for the statement and the act.
type Party struct {
	ID    int64
	Kind  string
	Name  string
	Phone string
	Email string
}

// party loads the account as the actor in ctx may see it: the statement page, its PDF and the act
// made in the background all print what this returns.
func party(ctx context.Context, q db.Querier, id int64) (Party, error) {
	p := Party{ID: id}
	err := q.QueryRow(ctx, `SELECT kind, name, phone, coalesce(email, '') FROM accounts WHERE id = $1`, id).Scan(&p.Kind, &p.Name, &p.Phone, &p.Email)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.NotFound, "finance.user_not_found")
	}
	v := actor.ViewOf(ctx)
	p.Name = v.Apply("account", "name", p.Name)
	p.Phone = v.Apply("account", "phone", p.Phone)
	p.Email = v.Apply("account", "email", p.Email)
	return p, err
}

// period reads the statement's [from, to] days; the default is the current month so far.
func (h *Handlers) period(c *fiber.Ctx) (from, to time.Time, err error) {
	if from, err = parseDay(c.Query("from"), h.Loc); err != nil {
		return
	}
	if to, err = parseDay(c.Query("to"), h.Loc); err != nil {
		return
	}
	now := clock.Or(h.Now).In(h.Loc)
	if from.IsZero() {
		from = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, h.Loc)
	}
	if to.IsZero() {
		to = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.Loc)
	}
	if to.Before(from) {
		err = apperr.InvalidField("to", "finance.bad_period")
	}
	return
}

// statement loads the user's statement for the period in the query.
func (h *Handlers) statement(c *fiber.Ctx) (Party, ledger.UserStatement, time.Time, time.Time, error) {
	user, err := web.QueryID(c, "user")
	if err != nil {
		return Party{}, ledger.UserStatement{}, time.Time{}, time.Time{}, err
	}
	from, to, err := h.period(c)
	if err != nil || user <= 0 {
		return Party{}, ledger.UserStatement{}, from, to, err
	}
	ctx := web.Ctx(c)
	p, err := party(ctx, h.Pool, user)
	if err != nil {
		return p, ledger.UserStatement{}, from, to, err
	}
	st, err := ledger.Statement(ctx, h.Pool, ledger.UserID(user), from, to.AddDate(0, 0, 1))
	return p, st, from, to, err
}

// Statement is the mutual-settlement statement: opening balance, each charge and payment, closing
// balance.
func (h *Handlers) Statement(c *fiber.Ctx) error {
	p, st, from, to, err := h.statement(c)
	if err != nil {
		return err
	}
	s := financev.Statement{User: c.Query("user"), From: from.Format("2006-01-02"), To: to.Format("2006-01-02")}
	if p.ID != 0 {
		q := fmt.Sprintf("?user=%d&from=%s&to=%s", p.ID, s.From, s.To)
		show := h.show(c)
		s.Name, s.Opening, s.Closing = p.Name, show(st.Opening), show(st.Closing)
		s.XLSXURL, s.PDFURL = "/finance/statement.xlsx"+q, "/finance/statement.pdf"+q
		for _, l := range st.Lines {
			s.Lines = append(s.Lines, financev.Line{At: l.At, Reason: ReasonText(i18n.Lang(web.Ctx(c)), l.Reason), OrderRef: l.OrderRef,
				Amount: show(l.Amount), Balance: show(l.Balance)})
		}
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "finance.statement"), financev.StatementPage(s))
}

// StatementXLSX is the statement as a workbook: the opening line, every movement, the closing line.
func (h *Handlers) StatementXLSX(c *fiber.Ctx) error {
	p, st, _, to, err := h.statement(c)
	if err != nil {
		return err
	}
	if p.ID == 0 {
		return apperr.InvalidField("user", "finance.user_required")
	}
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", fmt.Sprintf("statement-%d.xlsx", p.ID)))
	w, err := xlsx.NewWriter(c.Response().BodyWriter(), web.T(c, "finance.statement"), h.Loc)
	if err != nil {
		return err
	}
	ctx := web.Ctx(c)
	if err := w.SetColumns([]xlsx.Column{{Title: web.T(c, "finance.when"), Kind: xlsx.DateTime}, {Title: web.T(c, "finance.reason"), Kind: xlsx.Text},
		{Title: web.T(c, "finance.order"), Kind: xlsx.Text}, {Title: web.T(c, "finance.amount"), Kind: xlsx.Money},
		{Title: web.T(c, "finance.balance"), Kind: xlsx.Money}}); err != nil {
		return err
	}
	lang := i18n.Lang(ctx)
	_ = w.WriteRow(ctx, st.From, web.T(c, "finance.opening"), "", nil, int64(st.Opening))
	for _, l := range st.Lines {
		_ = w.WriteRow(ctx, l.At, ReasonText(lang, l.Reason), l.OrderRef, int64(l.Amount), int64(l.Balance))
	}
	// The closing balance stands at the end of the period's last day (st.To is the next day's
	// midnight, where the statement stops).
	_ = w.WriteRow(ctx, lastMoment(to), web.T(c, "finance.closing"), "", nil, int64(st.Closing))
	return w.Close()
}

// lastMoment is the last second of day (a midnight in the platform's zone).
func lastMoment(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location()).Add(-time.Second)
}
