package pdfdoc

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// HandoverAct lists the parcels handed to a courier on a date, for both sides to sign.
// Amounts are in minor units of Currency.
type HandoverAct struct {
	Number       string // optional, printed after the title
	Date         time.Time
	Location     *time.Location // the zone Date is printed in; nil means UTC
	CourierName  string
	CourierPhone string
	Currency     string
	Rows         []ActRow
}

// ActRow is one parcel in a handover act.
type ActRow struct {
	OrderNumber   string
	WaybillNumber string
	Recipient     string
	Address       string
	WeightGrams   int64
	DeclaredValue int64
	Cost          int64
}

// ActTotals are the sums printed under the table.
type ActTotals struct {
	Count         int
	WeightGrams   int64
	DeclaredValue int64
	Cost          int64
}

// Totals sums the act's rows. The act computes them itself so the printed total always matches
// the rows above it.
func (a *HandoverAct) Totals() ActTotals {
	t := ActTotals{Count: len(a.Rows)}
	for _, r := range a.Rows {
		t.WeightGrams += r.WeightGrams
		t.DeclaredValue += r.DeclaredValue
		t.Cost += r.Cost
	}
	return t
}

const (
	actPt      = 7.5
	actCellPad = 0.8 // vertical padding inside a table cell, mm
)

// WriteHandoverAct writes the act as a PDF: a table of the parcels whose header repeats on every
// page, a totals row, and places for both signatures.
func WriteHandoverAct(w io.Writer, labels Labels, act HandoverAct) error {
	loc := act.Location
	if loc == nil {
		loc = time.UTC
	}
	date := act.Date.In(loc).Format(dateLayout)
	title := labels.HandoverAct
	if act.Number != "" {
		title += " № " + act.Number
	}

	d := New()
	d.SetTitle(title, true)
	d.SetHeaderFooter(fmt.Sprintf("%s · %s · %s", title, act.CourierName, date), labels.PageOf)
	// Rows are placed by hand so that the table header can be repeated after every break.
	d.SetAutoPageBreak(false, 0)
	d.AddPage()

	d.SetFont(Family, "B", 14)
	d.SetXY(marginX, marginTop)
	d.MultiCell(pageW-2*marginX, lineHeight(14), Clean(title), "", "L", false)
	d.SetFont(Family, "", 10)
	courier := labels.Courier + ": " + act.CourierName
	if act.CourierPhone != "" {
		courier += ", " + strings.TrimSpace(labels.Phone+" "+act.CourierPhone)
	}
	d.SetX(marginX)
	d.CellFormat(0, lineHeight(10), Clean(courier), "", 1, "L", false, 0, "")
	d.SetX(marginX)
	d.CellFormat(0, lineHeight(10), Clean(labels.Date+": "+date), "", 1, "L", false, 0, "")
	d.Ln(3)

	t := newActTable(labels, act.Currency)
	d.tableHeader(t)
	for i, r := range act.Rows {
		d.tableRow(t, []string{
			strconv.Itoa(i + 1), r.OrderNumber, r.WaybillNumber, r.Recipient, r.Address,
			formatKg(r.WeightGrams), labels.Money(r.DeclaredValue, ""), labels.Money(r.Cost, ""),
		})
	}
	tot := act.Totals()
	d.totalsRow(t, labels.Total+": "+strconv.Itoa(tot.Count), []string{
		formatKg(tot.WeightGrams), labels.Money(tot.DeclaredValue, ""), labels.Money(tot.Cost, ""),
	})

	d.actSignatures(labels, act.CourierName)
	return d.Output(w)
}

// actTable is the act's column layout; widths add up to the text width of the page.
type actTable struct {
	headers []string
	widths  []float64
	aligns  []string
	// spanTotals is how many leading columns the totals row's caption spans.
	spanTotals int
}

func newActTable(l Labels, currency string) actTable {
	unit := func(caption, u string) string {
		if u == "" {
			return caption
		}
		return caption + ", " + u
	}
	return actTable{
		headers: []string{l.RowNo, l.Order, l.Waybills, l.Recipient, l.Address,
			unit(l.Weight, l.Kg), unit(l.DeclaredValue, currency), unit(l.Cost, currency)},
		widths:     []float64{8, 22, 26, 30, 40, 16, 22, 22},
		aligns:     []string{"R", "L", "L", "L", "L", "R", "R", "R"},
		spanTotals: 5,
	}
}

func (d *Doc) tableHeader(t actTable) {
	aligns := make([]string, len(t.aligns))
	for i := range aligns {
		aligns[i] = "C"
	}
	d.drawRow(t.widths, aligns, t.headers, "B", true)
}

// tableRow draws one row, first starting a new page (and repeating the header) when the row would
// run past the bottom margin.
func (d *Doc) tableRow(t actTable, cells []string) {
	d.breakBefore(t, t.widths, cells, "")
	d.drawRow(t.widths, t.aligns, cells, "", false)
}

// totalsRow draws the totals in bold, its caption spanning the columns that have no total.
func (d *Doc) totalsRow(t actTable, caption string, totals []string) {
	span := 0.0
	for _, w := range t.widths[:t.spanTotals] {
		span += w
	}
	widths := append([]float64{span}, t.widths[t.spanTotals:]...)
	aligns := append([]string{"L"}, t.aligns[t.spanTotals:]...)
	cells := append([]string{caption}, totals...)
	d.breakBefore(t, widths, cells, "B")
	d.drawRow(widths, aligns, cells, "B", false)
}

func (d *Doc) breakBefore(t actTable, widths []float64, cells []string, style string) {
	if d.GetY()+d.rowHeight(widths, cells, style) > pageH-marginBottom {
		d.AddPage()
		d.tableHeader(t)
	}
}

func (d *Doc) rowHeight(widths []float64, cells []string, style string) float64 {
	d.SetFont(Family, style, actPt)
	n := 1
	for i, c := range cells {
		n = max(n, len(d.Wrap(c, widths[i], 4)))
	}
	return float64(n)*lineHeight(actPt) + 2*actCellPad
}

func (d *Doc) drawRow(widths []float64, aligns, cells []string, style string, fill bool) {
	h := d.rowHeight(widths, cells, style)
	x, y := marginX, d.GetY()
	d.SetLineWidth(0.2)
	d.SetFillColor(232, 232, 232)
	for i, c := range cells {
		rectStyle := "D"
		if fill {
			rectStyle = "FD"
		}
		d.Rect(x, y, widths[i], h, rectStyle)
		ly := y + actCellPad
		for _, line := range d.Wrap(c, widths[i], 4) {
			d.SetXY(x, ly)
			d.CellFormat(widths[i], lineHeight(actPt), line, "", 0, aligns[i]+"M", false, 0, "")
			ly += lineHeight(actPt)
		}
		x += widths[i]
	}
	d.SetXY(marginX, y+h)
}

// actSignatures draws the two signature places side by side: the person handing the parcels over
// and the courier, whose name is printed under the line.
func (d *Doc) actSignatures(l Labels, courier string) {
	const need = 30.0
	if d.GetY()+need > pageH-marginBottom {
		d.AddPage()
	}
	y := d.GetY() + 10
	half := (pageW - 2*marginX) / 2
	for i, s := range []struct{ caption, name string }{{l.HandedOver, ""}, {l.Received, courier}} {
		x := marginX + float64(i)*half
		d.SetFont(Family, "B", 10)
		d.SetXY(x, y)
		d.CellFormat(half-6, lineHeight(10), Clean(s.caption), "", 0, "L", false, 0, "")
		d.SetLineWidth(0.2)
		d.Line(x, y+12, x+half-10, y+12)
		d.SetFont(Family, "", 7)
		d.SetTextColor(90, 90, 90)
		d.SetXY(x, y+12.5)
		d.CellFormat(half-10, lineHeight(7), Clean(l.Signature), "", 0, "L", false, 0, "")
		d.SetTextColor(0, 0, 0)
		if s.name != "" {
			d.SetFont(Family, "", 9)
			d.SetXY(x, y+16)
			d.CellFormat(half-10, lineHeight(9), Clean(s.name), "", 0, "L", false, 0, "")
		}
	}
	d.SetY(y + need)
}
