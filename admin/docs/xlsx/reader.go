package xlsx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Errors Open refuses a file with. They are meant to be shown: match them with errors.Is and say
// it in the user's language; the *LimitError and *HeaderError wrapping them carry the details.
var (
	ErrNotXLSX     = errors.New("the file is not an Excel workbook (.xlsx)")
	ErrTooLarge    = errors.New("the file is too large")
	ErrZipBomb     = errors.New("the file unpacks to far more data than a workbook of its size should")
	ErrTooManyRows = errors.New("the sheet has too many rows")
	ErrWrongHeader = errors.New("the header row does not match the template")
)

// LimitError says which limit a file broke and by how much.
type LimitError struct {
	Err   error // ErrTooLarge, ErrZipBomb or ErrTooManyRows
	Limit int64
	Got   int64 // the figure found; for rows, the first row number past the limit
}

func (e *LimitError) Error() string { return fmt.Sprintf("%v (limit %d, got %d)", e.Err, e.Limit, e.Got) }
func (e *LimitError) Unwrap() error { return e.Err }

// HeaderError names the first header cell that differs from the template.
type HeaderError struct {
	Column int    // 1-based
	Letter string // "C"
	Want   string // "" when the file has an extra column
	Got    string // "" when the column is missing
}

func (e *HeaderError) Error() string {
	switch {
	case e.Got == "":
		return fmt.Sprintf("%v: column %s should be %q but is empty", ErrWrongHeader, e.Letter, e.Want)
	case e.Want == "":
		return fmt.Sprintf("%v: column %s (%q) is not in the template", ErrWrongHeader, e.Letter, e.Got)
	}
	return fmt.Sprintf("%v: column %s should be %q, not %q", ErrWrongHeader, e.Letter, e.Want, e.Got)
}
func (e *HeaderError) Unwrap() error { return ErrWrongHeader }

// Limits are what an uploaded workbook must fit. Zero values take the defaults below.
type Limits struct {
	MaxBytes         int64 // size of the file as uploaded
	MaxUnpackedBytes int64 // all zip entries together, uncompressed
	MaxRatio         int64 // uncompressed/compressed size of any entry over 1 MB
	MaxRows          int   // data rows under the header
	// Header is the exact header row expected (surrounding spaces ignored); nil skips the check.
	Header []string
	// Sheet is the sheet to read; "" reads the first.
	Sheet string
}

// Defaults, sized for an order import of 100,000 rows.
const (
	DefaultMaxBytes         = 32 << 20
	DefaultMaxUnpackedBytes = 256 << 20
	DefaultMaxRatio         = 200
	DefaultMaxRows          = 100_000

	ratioFloor = 1 << 20 // small parts (styles, themes) compress far better than data; ignore them
)

func (l *Limits) withDefaults() {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxUnpackedBytes <= 0 {
		l.MaxUnpackedBytes = DefaultMaxUnpackedBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
}

const spreadsheetMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

// Reader iterates the data rows of an uploaded sheet, streaming.
//
//	r, err := xlsx.Open(file, size, limits)
//	if err != nil { ... show err ... }
//	defer r.Close()
//	for r.Next() {
//		n, cells := r.Row()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
type Reader struct {
	file   *excelize.File
	rows   *excelize.Rows
	width  int
	num    int
	cells  []string
	header []string
	err    error
}

// Open checks an uploaded file and opens its sheet for reading. It refuses, before excelize sees
// the file, anything that is not a zip with a spreadsheet content type, is larger than MaxBytes, or
// whose zip headers promise more than MaxUnpackedBytes or a ratio over MaxRatio (archive/zip then
// refuses any entry that inflates past its declared size, so the headers cannot lie). It then
// refuses a sheet with more than MaxRows data rows or a header other than Header.
func Open(r io.ReaderAt, size int64, limits Limits) (*Reader, error) {
	limits.withDefaults()
	if size > limits.MaxBytes {
		return nil, &LimitError{Err: ErrTooLarge, Limit: limits.MaxBytes, Got: size}
	}
	if err := checkZip(r, size, limits); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit: limits.MaxUnpackedBytes,
		RawCellValue:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	rd, err := openSheet(f, limits)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return rd, nil
}

// checkZip looks only at the zip directory and [Content_Types].xml, never at the data.
func checkZip(r io.ReaderAt, size int64, limits Limits) error {
	magic := make([]byte, 4)
	if _, err := r.ReadAt(magic, 0); err != nil || !bytes.Equal(magic, []byte("PK\x03\x04")) {
		return ErrNotXLSX
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	var total uint64
	var types *zip.File
	for _, e := range zr.File {
		total += e.UncompressedSize64
		if total > uint64(limits.MaxUnpackedBytes) {
			return &LimitError{Err: ErrZipBomb, Limit: limits.MaxUnpackedBytes, Got: int64(min(total, 1<<62))}
		}
		if e.UncompressedSize64 > ratioFloor &&
			e.UncompressedSize64/max(e.CompressedSize64, 1) > uint64(limits.MaxRatio) {
			return &LimitError{Err: ErrZipBomb, Limit: limits.MaxRatio,
				Got: int64(e.UncompressedSize64 / max(e.CompressedSize64, 1))}
		}
		if e.Name == "[Content_Types].xml" {
			types = e
		}
	}
	if types == nil {
		return ErrNotXLSX
	}
	rc, err := types.Open()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	defer rc.Close()
	var ct struct {
		Overrides []struct {
			ContentType string `xml:",attr"`
		} `xml:"Override"`
	}
	if err := xml.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&ct); err != nil {
		return fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	for _, o := range ct.Overrides {
		if o.ContentType == spreadsheetMain {
			return nil
		}
	}
	// A .docx, .xlsm or .xltx is a zip too, but not a workbook this reader accepts.
	return ErrNotXLSX
}

func openSheet(f *excelize.File, limits Limits) (*Reader, error) {
	sheet := limits.Sheet
	if sheet == "" {
		sheet = f.GetSheetName(0)
	}
	if sheet == "" {
		return nil, ErrNotXLSX
	}
	if err := countRows(f, sheet, limits.MaxRows); err != nil {
		return nil, err
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	rd := &Reader{file: f, rows: rows}
	if !rows.Next() {
		_ = rows.Close()
		return nil, &HeaderError{Column: 1, Letter: "A", Want: first(limits.Header)}
	}
	header, err := rows.Columns()
	if err != nil {
		_ = rows.Close()
		return nil, fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if limits.Header != nil {
		if err := checkHeader(limits.Header, header); err != nil {
			_ = rows.Close()
			return nil, err
		}
		header = header[:len(limits.Header)]
	}
	rd.header, rd.width, rd.num = header, len(header), 1
	return rd, nil
}

// countRows reads the sheet once without decoding cells, so a file with too many rows is refused
// before the caller has acted on any of them.
func countRows(f *excelize.File, sheet string, maxRows int) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		if n > maxRows+1 { // +1: the header
			return &LimitError{Err: ErrTooManyRows, Limit: int64(maxRows), Got: int64(n)}
		}
	}
	return rows.Error()
}

func checkHeader(want, got []string) error {
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = strings.TrimSpace(want[i])
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			letter, _ := excelize.ColumnNumberToName(i + 1)
			return &HeaderError{Column: i + 1, Letter: letter, Want: w, Got: g}
		}
	}
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Header is the header row as read (trimmed), as long as the expected header when one was given.
func (r *Reader) Header() []string { return r.header }

// Next moves to the next data row that has any non-blank cell; it returns false at the end or on
// an error (see Err).
func (r *Reader) Next() bool {
	for r.err == nil && r.rows.Next() {
		cells, err := r.rows.Columns()
		if err != nil {
			r.err = err
			return false
		}
		r.num++
		if blank(cells) {
			continue
		}
		// Every row has exactly the header's width, so callers index cells without checks.
		if len(cells) > r.width {
			cells = cells[:r.width]
		}
		for len(cells) < r.width {
			cells = append(cells, "")
		}
		r.cells = cells
		return true
	}
	if r.err == nil {
		r.err = r.rows.Error()
	}
	return false
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Row returns the current row's 1-based number in the sheet (as Excel shows it, header = 1) and
// its cells: raw values, so numbers are unformatted ("1234.5") and dates are Excel serial numbers
// (see ParseTime).
func (r *Reader) Row() (int, []string) { return r.num, r.cells }

// Err is the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Close releases the workbook and its temporary files.
func (r *Reader) Close() error {
	return errors.Join(r.rows.Close(), r.file.Close())
}
