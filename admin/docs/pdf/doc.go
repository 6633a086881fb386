// Package pdfdoc renders Postdesk's printable documents (waybills with barcodes, courier handover
// acts) as A4 PDFs. It knows no HTTP, SQL or translation catalogue: callers pass the captions in the
// staff member's language (Labels), so River jobs can call it directly.
package pdfdoc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/jung-kurt/gofpdf"

	"github.com/postdesk/postdesk/static"
)

// Family is the font family every document uses; styles "" and "B" are loaded.
const Family = "DejaVu"

const (
	ptToMM     = 25.4 / 72
	lineFactor = 1.3 // line height as a multiple of the font size

	pageW, pageH = 210.0, 297.0
	marginX      = 12.0
	marginTop    = 16.0 // leaves room for the running header above it
	marginBottom = 16.0 // leaves room for the page-number footer below it

	// pagesAlias is replaced by the page count when the document is written: the total is unknown
	// while footers are drawn.
	pagesAlias = "{nb}"
	// timeLayout and dateLayout are day-first, as staff in Ukraine and Kazakhstan read dates.
	timeLayout = "02.01.2006 15:04"
	dateLayout = "02.01.2006"
)

type fontFiles struct{ regular, bold []byte }

// fonts are read from static.FS once per process; each document gets its own copy (New), because
// gofpdf writes into the bytes it is given while subsetting (generateChecksum), so two documents
// made at once on shared bytes race.
var fonts = sync.OnceValues(func() (fontFiles, error) {
	regular, err := static.FS.ReadFile("fonts/DejaVuSans.ttf")
	if err != nil {
		return fontFiles{}, fmt.Errorf("pdfdoc: regular font: %w", err)
	}
	bold, err := static.FS.ReadFile("fonts/DejaVuSans-Bold.ttf")
	if err != nil {
		return fontFiles{}, fmt.Errorf("pdfdoc: bold font: %w", err)
	}
	return fontFiles{regular: regular, bold: bold}, nil
})

// Doc is an A4 portrait document in millimetres with the DejaVu Sans UTF-8 fonts loaded, so any
// Cyrillic (Ukrainian, Russian, Kazakh) or Latin text renders. The whole gofpdf API is available;
// errors accumulate in the document and come back from Output.
type Doc struct {
	*gofpdf.Fpdf
}

// New starts an empty document. The font files are embedded and shared; each document parses them
// once, however many pages it has.
func New() *Doc {
	f := gofpdf.New("P", "mm", "A4", "")
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(true, marginBottom)
	f.SetCreator("Postdesk", true)
	f.AliasNbPages(pagesAlias)
	ff, err := fonts()
	if err != nil {
		f.SetError(err)
		return &Doc{f}
	}
	f.AddUTF8FontFromBytes(Family, "", bytes.Clone(ff.regular))
	f.AddUTF8FontFromBytes(Family, "B", bytes.Clone(ff.bold))
	f.SetFont(Family, "", 10)
	return &Doc{f}
}

// SetHeaderFooter prints title at the top of every page after the first (the first carries the
// document's own title block) and a page number at the bottom of every page. pageOf is the caller's
// translated caption with {page} and {pages} placeholders, e.g. "Сторінка {page} з {pages}".
func (d *Doc) SetHeaderFooter(title, pageOf string) {
	title = Clean(title)
	d.SetHeaderFuncMode(func() {
		if d.PageNo() == 1 {
			return
		}
		d.SetFont(Family, "", 8)
		d.SetTextColor(90, 90, 90)
		d.SetXY(marginX, 7)
		d.CellFormat(pageW-2*marginX, 5, title, "B", 0, "L", false, 0, "")
		d.SetTextColor(0, 0, 0)
	}, true)
	d.SetFooterFunc(func() {
		caption := strings.NewReplacer("{page}", strconv.Itoa(d.PageNo()), "{pages}", pagesAlias).Replace(pageOf)
		d.SetFont(Family, "", 8)
		d.SetTextColor(90, 90, 90)
		d.SetXY(marginX, pageH-11)
		d.CellFormat(pageW-2*marginX, 5, Clean(caption), "", 0, "C", false, 0, "")
		d.SetTextColor(0, 0, 0)
	})
}

// lineHeight is the height in mm of one line of text at size pt.
func lineHeight(pt float64) float64 { return pt * ptToMM * lineFactor }

// Clean makes user text safe for gofpdf: it indexes glyph widths by rune up to U+FFFF and panics
// beyond (emoji in a comment would crash the job), and control characters would print as boxes.
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r > 0xFFFF:
			return '?'
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// Wrap splits text into lines that fit width w in the current font, at most maxLines of them (0 for
// no limit); a cut-off last line ends with an ellipsis so the reader knows text is missing. Lines
// break at ordinary spaces only, never inside "1 234.50" (gofpdf's SplitText breaks at any
// Unicode space); a word longer than a line is split where it has to be.
func (d *Doc) Wrap(text string, w float64, maxLines int) []string {
	avail := w - 2*d.GetCellMargin()
	space := d.GetStringWidth(" ")
	var lines []string
	line, lineW := "", 0.0
	for _, word := range strings.FieldsFunc(Clean(text), func(r rune) bool { return r == ' ' }) {
		ww := d.GetStringWidth(word)
		if line != "" && lineW+space+ww <= avail {
			line, lineW = line+" "+word, lineW+space+ww
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		for ww > avail {
			n := d.fit(word, avail)
			lines = append(lines, word[:n])
			word = word[n:]
			ww = d.GetStringWidth(word)
		}
		line, lineW = word, ww
	}
	if line != "" {
		lines = append(lines, line)
	}
	if maxLines <= 0 || len(lines) <= maxLines {
		return lines
	}
	lines = lines[:maxLines]
	last := lines[maxLines-1]
	lines[maxLines-1] = last[:d.fit(last, avail-d.GetStringWidth("…"))] + "…"
	return lines
}

// fit returns how many bytes of s fit in width w, at least one rune's worth so wrapping always
// makes progress.
func (d *Doc) fit(s string, w float64) int {
	width := 0.0
	for i, r := range s {
		width += d.GetStringWidth(string(r))
		if width > w {
			return max(i, len(string(r)))
		}
	}
	return len(s)
}

// formatKg prints grams as kilograms with up to three decimals: 1250 → "1.25", 2000 → "2".
func formatKg(grams int64) string {
	s := strconv.FormatFloat(float64(grams)/1000, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
