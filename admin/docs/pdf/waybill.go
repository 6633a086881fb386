package pdfdoc

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Party is a sender or a recipient as printed on a waybill.
type Party struct {
	Name    string
	Phone   string
	Address string
}

// Waybill is what one waybill shows. Amounts are in minor units of Currency.
type Waybill struct {
	Number        string // the waybill number, printed and encoded in the barcode (ASCII)
	OrderNumber   string
	Sender        Party
	Recipient     Party
	Item          string
	WeightGrams   int64
	DeclaredValue int64
	Cost          int64
	Currency      string // ISO code, e.g. "UAH"
	CreatedAt     time.Time
	ExpectedAt    time.Time      // expected delivery; zero when not known
	Location      *time.Location // the zone times are printed in (the platform's); nil means UTC
	Comment       string
}

// box is a rectangle on the page, in mm.
type box struct{ x, y, w, h float64 }

// sheet places waybills on an A4 page: one, two halves or four A6 quarters (the usual label size).
type sheet struct {
	boxes      []box
	pt         float64 // base font size
	cutX, cutY bool    // dashed lines to cut along
}

var sheets = map[int]sheet{
	1: {boxes: []box{{12, 12, 186, 273}}, pt: 13},
	2: {boxes: []box{{10, 10, 190, 128.5}, {10, 158.5, 190, 128.5}}, pt: 9, cutY: true},
	4: {boxes: []box{{7, 7, 91, 134.5}, {112, 7, 91, 134.5}, {7, 155.5, 91, 134.5}, {112, 155.5, 91, 134.5}},
		pt: 7.5, cutX: true, cutY: true},
}

// WriteWaybills writes one PDF with the waybills, perSheet (1, 2 or 4) to an A4 page, each with a
// Code 128 barcode of its number.
func WriteWaybills(w io.Writer, labels Labels, ws []Waybill, perSheet int) error {
	sh, ok := sheets[perSheet]
	if !ok {
		return fmt.Errorf("pdfdoc: %d waybills per sheet: want 1, 2 or 4", perSheet)
	}
	if len(ws) == 0 {
		return errors.New("pdfdoc: no waybills to print")
	}
	d := New()
	d.SetTitle(labels.Waybill, true)
	// Each waybill is laid out to fit its box; an automatic break would split one across pages.
	d.SetAutoPageBreak(false, 0)
	for i := range ws {
		slot := i % perSheet
		if slot == 0 {
			d.AddPage()
			d.cutLines(sh)
		}
		if err := d.waybill(labels, &ws[i], sh.boxes[slot], sh.pt); err != nil {
			return err
		}
	}
	return d.Output(w)
}

func (d *Doc) cutLines(sh sheet) {
	if !sh.cutX && !sh.cutY {
		return
	}
	d.SetDrawColor(170, 170, 170)
	d.SetLineWidth(0.2)
	d.SetDashPattern([]float64{2, 2}, 0)
	if sh.cutX {
		d.Line(pageW/2, 0, pageW/2, pageH)
	}
	if sh.cutY {
		d.Line(0, pageH/2, pageW, pageH/2)
	}
	d.SetDashPattern(nil, 0)
	d.SetDrawColor(0, 0, 0)
}

func (d *Doc) waybill(l Labels, wb *Waybill, b box, pt float64) error {
	bars, err := code128Bars(wb.Number)
	if err != nil {
		return err
	}
	lh := lineHeight(pt)
	pad := lh
	x, w := b.x+pad, b.w-2*pad
	y := b.y + pad

	d.SetLineWidth(0.3)
	d.Rect(b.x, b.y, b.w, b.h, "D")

	// Title on the left, order number on the right.
	th := lineHeight(pt * 1.6)
	d.SetFont(Family, "B", pt*1.6)
	d.SetXY(x, y)
	d.CellFormat(w/2, th, Clean(l.Waybill), "", 0, "LM", false, 0, "")
	d.SetFont(Family, "", pt)
	d.SetXY(x+w/2, y)
	d.CellFormat(w/2, th, Clean(l.Order+" "+wb.OrderNumber), "", 0, "RM", false, 0, "")
	y += th + lh/2

	// The barcode is as wide as the box allows with its quiet zones, modules capped at 0.5 mm, and
	// the number is printed under it for when the scanner fails.
	module := min(w/float64(len(bars)+2*QuietZone), 0.5)
	bw, bh := module*float64(len(bars)), pt*2
	d.drawBars(bars, x+(w-bw)/2, y, module, bh)
	y += bh + 0.5
	nh := lineHeight(pt * 1.3)
	d.SetFont(Family, "B", pt*1.3)
	d.SetXY(x, y)
	d.CellFormat(w, nh, Clean(wb.Number), "", 0, "CM", false, 0, "")
	y += nh + lh/2
	d.Line(b.x, y, b.x+b.w, y)
	y += lh / 2

	half := (w - pad) / 2
	y = max(
		d.party(l, l.Sender, wb.Sender, x, y, half, pt),
		d.party(l, l.Recipient, wb.Recipient, x+half+pad, y, half, pt),
	) + lh/2
	d.Line(b.x, y, b.x+b.w, y)
	y += lh / 2

	y = d.field(l.Item, wb.Item, x, y, w, pt, 2)
	third := w / 3
	d.field(l.Weight, formatKg(wb.WeightGrams)+" "+l.Kg, x, y, third, pt, 1)
	d.field(l.DeclaredValue, l.Money(wb.DeclaredValue, wb.Currency), x+third, y, third, pt, 1)
	y = d.field(l.Cost, l.Money(wb.Cost, wb.Currency), x+2*third, y, third, pt, 1)
	d.field(l.Created, formatTime(wb.CreatedAt, wb.Location), x, y, w/2, pt, 1)
	y = d.field(l.ExpectedDelivery, formatTime(wb.ExpectedAt, wb.Location), x+w/2, y, w/2, pt, 1)

	// The comment gets whatever room is left above the signatures.
	sigY := b.y + b.h - pad - 2.2*lh
	if room := int((sigY - y - lineHeight(pt*0.8)) / lh); room > 0 && strings.TrimSpace(wb.Comment) != "" {
		d.field(l.Comment, wb.Comment, x, y, w, pt, min(room, 6))
	}

	d.signature(l.SenderSignature, x, sigY, half, pt)
	d.signature(l.RecipientSignature, x+half+pad, sigY, half, pt)
	return nil
}

// party prints a caption, the name in bold, the phone and the address; it returns the y below them.
func (d *Doc) party(l Labels, caption string, p Party, x, y, w, pt float64) float64 {
	d.caption(caption, x, y, w, pt)
	y += lineHeight(pt * 0.8)
	y = d.lines(d.font("B", pt).Wrap(p.Name, w, 2), x, y, w, pt)
	if p.Phone != "" {
		d.SetFont(Family, "", pt)
		y = d.lines([]string{Clean(strings.TrimSpace(l.Phone + " " + p.Phone))}, x, y, w, pt)
	}
	return d.lines(d.font("", pt).Wrap(p.Address, w, 3), x, y, w, pt)
}

// field prints a small grey caption with the value under it; it returns the y below them.
func (d *Doc) field(caption, value string, x, y, w, pt float64, maxLines int) float64 {
	d.caption(caption, x, y, w, pt)
	y += lineHeight(pt * 0.8)
	lines := d.font("", pt).Wrap(value, w, maxLines)
	if len(lines) == 0 {
		lines = []string{"—"}
	}
	return d.lines(lines, x, y, w, pt)
}

func (d *Doc) caption(s string, x, y, w, pt float64) {
	d.SetFont(Family, "", pt*0.8)
	d.SetTextColor(90, 90, 90)
	d.SetXY(x, y)
	d.CellFormat(w, lineHeight(pt*0.8), Clean(s), "", 0, "LM", false, 0, "")
	d.SetTextColor(0, 0, 0)
}

// lines prints lines in the current font; it returns the y below them.
func (d *Doc) lines(lines []string, x, y, w, pt float64) float64 {
	lh := lineHeight(pt)
	for _, s := range lines {
		d.SetXY(x, y)
		d.CellFormat(w, lh, s, "", 0, "LM", false, 0, "")
		y += lh
	}
	return y
}

// signature draws a line to sign on with its caption under it.
func (d *Doc) signature(caption string, x, y, w, pt float64) {
	lh := lineHeight(pt)
	d.SetLineWidth(0.2)
	d.Line(x, y+lh, x+w*0.9, y+lh)
	d.caption(caption, x, y+lh+0.5, w, pt)
}

// font selects a font and returns d, so a measurement can follow in one expression.
func (d *Doc) font(style string, pt float64) *Doc {
	d.SetFont(Family, style, pt)
	return d
}

func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(timeLayout)
}
