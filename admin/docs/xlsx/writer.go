// Package xlsx writes and reads Postdesk's Excel files: exports streamed row by row in constant
// memory, import templates with a help sheet, and a guarded reader for uploaded imports. It knows no
// HTTP, SQL or translation catalogue, so River jobs can call it directly.
package xlsx

import (
	"archive/zip"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/money"
)

// Kind is what a column holds; it decides the cell type and number format.
type Kind int

const (
	Text     Kind = iota // string; always a text cell, never a formula
	Int                  // any Go integer
	Money                // int64 minor units, shown as a number with two decimals
	Date                 // time.Time, the day only
	DateTime             // time.Time, day and time
	Bool                 // bool
	// Milli is any Go integer counting thousandths, shown as a number with three decimals: grams
	// as kilograms (1250 is the cell 1.250).
	Milli
)

// AsText writes its string as a text cell in a column of any kind: a value that could not be
// read as the column's kind, written back as the user typed it (a failed-rows workbook).
type AsText string

func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Int:
		return "int"
	case Money:
		return "money"
	case Date:
		return "date"
	case DateTime:
		return "datetime"
	case Bool:
		return "bool"
	case Milli:
		return "milli"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Column describes one column of an export.
type Column struct {
	Title string
	Kind  Kind
	Width float64 // in characters; 0 picks one from the title
}

// Built-in Excel number formats: Excel shows 14 and 22 in the reader's own locale (22.11.2026 in
// Kyiv, 11/22/2026 in New York), 4 is "#,##0.00" and 49 is "@", text.
const (
	numFmtMoney    = money.ExcelNumFmt // "#,##0.00" in the reader's locale
	numFmtDate     = 14
	numFmtDateTime = 22
	numFmtText     = 49
)

// Writer streams rows into a single-sheet workbook. Rows go through excelize's StreamWriter, which
// spills them to a temporary file, so memory stays flat however many rows are written.
//
// Errors are sticky: after one, WriteRow does nothing and Close returns it.
type Writer struct {
	out   io.Writer
	file  *excelize.File
	sw    *excelize.StreamWriter
	sheet string
	loc   *time.Location
	cols  []Column
	row   int             // the last row written, 1-based
	cells []excelize.Cell // reused between rows, each with its column's style
	vals  []any           // what SetRow gets: &cells[i], or nil for an empty cell
	err   error
}

// NewWriter starts a workbook with one sheet, to be written to out by Close. Times are shown as
// wall-clock time in loc (the platform's zone); nil keeps each time's own location.
func NewWriter(out io.Writer, sheet string, loc *time.Location) (*Writer, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx: sheet name %q: %w", sheet, err)
	}
	// Write the zip straight to out: excelize's own Write first builds the whole file in a
	// bytes.Buffer, which for a million rows is over a hundred megabytes. Compressing the sheet is
	// most of Close's work; BestSpeed does it faster for a slightly larger file.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(out)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, flate.BestSpeed)
		})
		return zw
	})
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return &Writer{out: out, file: f, sw: sw, sheet: sheet, loc: loc}, nil
}

// SetColumns sets the columns and writes the header row: bold, frozen, with an autofilter.
// It must be called once, before the first WriteRow.
func (w *Writer) SetColumns(cols []Column) error {
	if w.err != nil {
		return w.err
	}
	if w.cols != nil {
		return w.fail(errors.New("xlsx: SetColumns called twice"))
	}
	if len(cols) == 0 {
		return w.fail(errors.New("xlsx: no columns"))
	}
	w.cols = cols
	w.cells = make([]excelize.Cell, len(cols))
	w.vals = make([]any, len(cols))

	bold, err := w.file.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return w.fail(err)
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		// Each cell carries its style. Column styles would be neater, but StreamWriter in excelize
		// v2.10.0 gives every unstyled cell in a row the style of the row's first column.
		if st := numStyle(c.Kind); st != nil {
			style, err := w.file.NewStyle(st)
			if err != nil {
				return w.fail(err)
			}
			w.cells[i].StyleID = style
		}
		header[i] = excelize.Cell{StyleID: bold, Value: c.Title}
	}
	// StreamWriter writes <col> elements in reverse order of the calls, and Excel wants them
	// ascending: set the widths from the last column to the first.
	for i := len(cols) - 1; i >= 0; i-- {
		width := cols[i].Width
		if width == 0 {
			width = defaultWidth(cols[i])
		}
		if err := w.sw.SetColWidth(i+1, i+1, width); err != nil {
			return w.fail(err)
		}
	}
	if err := w.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return w.fail(err)
	}
	if err := w.sw.SetRow("A1", header); err != nil {
		return w.fail(err)
	}
	w.row = 1
	return nil
}

// numStyle is the style carrying kind k's number format, nil when the kind needs none.
func numStyle(k Kind) *excelize.Style {
	if k == Milli {
		f := numFmtMilli
		return &excelize.Style{CustomNumFmt: &f}
	}
	if n := numFmt(k); n != 0 {
		return &excelize.Style{NumFmt: n}
	}
	return nil
}

// numFmtMilli shows three decimals (the reader's locale decides the separator).
const numFmtMilli = "0.000"

func numFmt(k Kind) int {
	switch k {
	case Money:
		return numFmtMoney
	case Date:
		return numFmtDate
	case DateTime:
		return numFmtDateTime
	case Text:
		// "@" keeps a cell text even when someone edits it later, so "=1+1" typed over stays text.
		return numFmtText
	}
	return 0
}

func defaultWidth(c Column) float64 {
	w := float64(len([]rune(c.Title))) + 4 // room for the filter button
	switch c.Kind {
	case DateTime:
		w = max(w, 17)
	case Date, Money, Milli:
		w = max(w, 12)
	}
	return min(max(w, 8), 60)
}

// WriteRow writes one row, one value per column, in column order. nil writes an empty cell.
// Accepted values: Text: string, []byte, fmt.Stringer, or anything else printed with fmt;
// Int: any integer type; Milli: a signed integer of thousandths; Money: int64 or int (minor units); Date, DateTime: time.Time, zero meaning
// empty; Bool: bool. Pointers to these are accepted too, nil meaning empty. An AsText value is a
// text cell in any column.
func (w *Writer) WriteRow(ctx context.Context, values ...any) error {
	if w.err != nil {
		return w.err
	}
	if w.cols == nil {
		return w.fail(errors.New("xlsx: WriteRow before SetColumns"))
	}
	if err := ctx.Err(); err != nil {
		return w.fail(err)
	}
	if len(values) != len(w.cols) {
		return w.fail(fmt.Errorf("xlsx: row %d has %d values for %d columns", w.row+1, len(values), len(w.cols)))
	}
	for i, v := range values {
		cell, err := cellValue(w.cols[i].Kind, v, w.loc)
		if err != nil {
			return w.fail(fmt.Errorf("xlsx: row %d, column %q: %w", w.row+1, w.cols[i].Title, err))
		}
		w.vals[i] = nil
		if cell != nil {
			w.cells[i].Value = cell
			w.vals[i] = &w.cells[i]
		}
	}
	w.row++
	if err := w.sw.SetRow("A"+strconv.Itoa(w.row), w.vals); err != nil {
		return w.fail(err)
	}
	return nil
}

// cellValue converts v into what excelize writes for kind k. Strings are only ever passed as string
// values, which excelize writes as inline strings (never as formulas): a value like
// "=HYPERLINK(...)" or "+7 701..." stays text and nothing runs when the file is opened.
func cellValue(k Kind, v any, loc *time.Location) (any, error) {
	v = deref(v)
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(AsText); ok {
		return string(s), nil
	}
	switch k {
	case Text:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		case fmt.Stringer:
			return s.String(), nil
		}
		return fmt.Sprint(v), nil
	case Int:
		switch v.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			return v, nil
		}
	case Money:
		switch n := v.(type) {
		case int64:
			return minorToFloat(n), nil
		case int:
			return minorToFloat(int64(n)), nil
		}
	case Date, DateTime:
		if t, ok := v.(time.Time); ok {
			if t.IsZero() {
				return nil, nil
			}
			if loc != nil {
				t = t.In(loc)
			}
			if k == Date {
				// Midnight of that day, so the cell is a whole day number and sorts as a date.
				t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			}
			return t, nil
		}
	case Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case Milli:
		if n, ok := toInt64(v); ok {
			return float64(n) / 1000, nil
		}
	}
	return nil, fmt.Errorf("%T is not a %s value", v, k)
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// minorToFloat turns minor units into the amount Excel stores (money.Major).
func minorToFloat(n int64) float64 { return money.Major(n) }

func deref(v any) any {
	switch p := v.(type) {
	case *string:
		if p != nil {
			return *p
		}
	case *int64:
		if p != nil {
			return *p
		}
	case *int:
		if p != nil {
			return *p
		}
	case *int32:
		if p != nil {
			return *p
		}
	case *bool:
		if p != nil {
			return *p
		}
	case *time.Time:
		if p != nil {
			return *p
		}
	default:
		return v
	}
	return nil
}

// Rows is the number of data rows written so far.
func (w *Writer) Rows() int { return max(w.row-1, 0) }

// Close finishes the workbook and writes it to the writer given to NewWriter, then removes the
// temporary files. After an earlier error it only cleans up and returns that error.
func (w *Writer) Close() error {
	defer func() { _ = w.file.Close() }()
	if w.err != nil {
		return w.err
	}
	if w.cols == nil {
		return w.fail(errors.New("xlsx: Close before SetColumns"))
	}
	last, err := excelize.CoordinatesToCellName(len(w.cols), max(w.row, 2))
	if err != nil {
		return w.fail(err)
	}
	// The filter must be set before Flush, which writes the sheet's <autoFilter> element.
	if err := w.file.AutoFilter(w.sheet, "A1:"+last, nil); err != nil {
		return w.fail(err)
	}
	if err := w.sw.Flush(); err != nil {
		return w.fail(err)
	}
	if err := w.file.Write(w.out); err != nil {
		return w.fail(fmt.Errorf("xlsx: write: %w", err))
	}
	w.err = errors.New("xlsx: writer closed")
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}
