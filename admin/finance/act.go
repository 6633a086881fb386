package finance

import (
	"fmt"
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
)

// ActLabels are the act's captions in the staff member's language.
type ActLabels struct {
	Title, Period, Platform, Counterparty, Opening, Closing, When, Reason, Order, Amount, Balance, Signature, Stamp, PageOf string
	// Lang is the language of the labels, which the amounts are written in too (the platform's
	// default when empty).
	Lang string
}

// StatementPDF is the reconciliation act: both parties' details, the statement, and places for both
// signatures.
func (h *Handlers) StatementPDF(c *fiber.Ctx) error {
	p, st, from, to, err := h.statement(c)
	if err != nil {
		return err
	}
	if p.ID == 0 {
		return apperr.InvalidField("user", "finance.user_required")
	}
	l := actLabels(func(k string) string { return web.T(c, k) }, from, to)
	l.Lang = i18n.Lang(web.Ctx(c))
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, files.ContentDisposition("attachment", fmt.Sprintf("act-%d-%s.pdf", p.ID, to.Format("20060102"))))
	return WriteAct(c.Response().BodyWriter(), l, p, st, h.Currency)
}

// WriteAct renders the reconciliation act as an A4 PDF.
func WriteAct(w io.Writer, l ActLabels, p Party, st ledger.UserStatement, currency string) error {
	d := pdfdoc.New()
	d.SetHeaderFooter(l.Title, l.PageOf)
	d.AddPage()
	d.SetFont(pdfdoc.Family, "B", 14)
	d.CellFormat(0, 8, l.Title, "", 1, "C", false, 0, "")
	d.SetFont(pdfdoc.Family, "", 10)
	d.CellFormat(0, 6, l.Period, "", 1, "C", false, 0, "")
	d.Ln(4)
	d.CellFormat(95, 6, l.Platform+": Postdesk", "", 0, "L", false, 0, "")
	d.CellFormat(95, 6, fmt.Sprintf("%s: %s (#%d)", l.Counterparty, pdfdoc.Clean(p.Name), p.ID), "", 1, "L", false, 0, "")
	d.CellFormat(95, 6, "", "", 0, "L", false, 0, "")
	d.CellFormat(95, 6, p.Phone+"  "+p.Email, "", 1, "L", false, 0, "")
	d.Ln(4)
	amount := func(m ledger.Minor) string { return money.Format(m, currency, i18n.Normalize(l.Lang)) }
	widths := []float64{35, 60, 30, 32, 33}
	d.SetFont(pdfdoc.Family, "B", 9)
	for i, hd := range []string{l.When, l.Reason, l.Order, l.Amount, l.Balance} {
		d.CellFormat(widths[i], 7, hd, "1", 0, "C", false, 0, "")
	}
	d.Ln(-1)
	d.SetFont(pdfdoc.Family, "", 9)
	d.CellFormat(157, 6, l.Opening, "1", 0, "L", false, 0, "")
	d.CellFormat(33, 6, amount(st.Opening), "1", 1, "R", false, 0, "")
	for _, ln := range st.Lines {
		d.CellFormat(widths[0], 6, ln.At.Format("02.01.2006 15:04"), "1", 0, "L", false, 0, "")
		// The reason in words; a long one is set smaller to stay inside its cell.
		reason := pdfdoc.Clean(ReasonText(l.Lang, ln.Reason))
		for size := 9.0; size > 6 && d.GetStringWidth(reason) > widths[1]-2; {
			size -= 0.5
			d.SetFontSize(size)
		}
		d.CellFormat(widths[1], 6, reason, "1", 0, "L", false, 0, "")
		d.SetFontSize(9)
		d.CellFormat(widths[2], 6, ln.OrderRef, "1", 0, "L", false, 0, "")
		d.CellFormat(widths[3], 6, amount(ln.Amount), "1", 0, "R", false, 0, "")
		d.CellFormat(widths[4], 6, amount(ln.Balance), "1", 1, "R", false, 0, "")
	}
	d.SetFont(pdfdoc.Family, "B", 9)
	d.CellFormat(157, 6, l.Closing, "1", 0, "L", false, 0, "")
	d.CellFormat(33, 6, amount(st.Closing), "1", 1, "R", false, 0, "")
	d.Ln(14)
	d.SetFont(pdfdoc.Family, "", 10)
	d.CellFormat(95, 6, l.Platform+": Postdesk", "", 0, "L", false, 0, "")
	d.CellFormat(95, 6, l.Counterparty+": "+pdfdoc.Clean(p.Name), "", 1, "L", false, 0, "")
	d.Ln(10)
	d.CellFormat(95, 6, "______________________ "+l.Signature, "", 0, "L", false, 0, "")
	d.CellFormat(95, 6, "______________________ "+l.Signature, "", 1, "L", false, 0, "")
	d.CellFormat(95, 6, l.Stamp, "", 0, "L", false, 0, "")
	d.CellFormat(95, 6, l.Stamp, "", 1, "L", false, 0, "")
	return d.Output(w)
}
