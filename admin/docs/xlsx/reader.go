package xlsx

import (
	"archive/zip"
	"bytes"
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
	Got   int64 // the figure found; -1 when unknown (an entry inflating past its declared size)
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v (limit %d, got %d)", e.Err, e.Limit, e.Got)
}

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
	case e.Got == "" && e.Want == "":
		return fmt.Sprintf("%v: row 1 is empty", ErrWrongHeader)
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
	MaxRows          int   // rows under the header, blank ones included
	// Header is the exact header row expected in row 1 (surrounding spaces ignored); nil skips the
	// check, and row 1 is still taken as the header.
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
//
// It parses the sheet itself rather than through excelize's Rows: excelize either unmarshals the
// whole shared strings table (about 900 MB of heap for 100,000 rows of distinct text) or, above
// 16 MB, moves it to a temporary file read back with a system call per cell (35-45 s for the same
// file). Here the table is a plain []string and the sheet is one pass of xml.Decoder.RawToken.
type Reader struct {
	sheet  *sheetReader
	closer io.Closer
	header []string
	num    int
	cells  []string
	err    error
}

// Open checks an uploaded file and opens its sheet for reading. Before parsing anything it refuses
// a file larger than MaxBytes, anything but a zip with a spreadsheet content type, and zip
// headers that promise more than MaxUnpackedBytes or an entry compressed over MaxRatio. It then
// inflates every entry once into nothing: archive/zip fails an entry that inflates past its declared
// size (a lying header, the bomb the header checks cannot see) or fails its checksum, and the same
// pass counts the sheet's rows. Only then does it read the header row, which must equal Header.
// So a file is refused whole, before the caller has seen any row.
func Open(r io.ReaderAt, size int64, limits Limits) (*Reader, error) {
	limits.withDefaults()
	if size > limits.MaxBytes {
		return nil, &LimitError{Err: ErrTooLarge, Limit: limits.MaxBytes, Got: size}
	}
	magic := make([]byte, 4)
	if _, err := r.ReadAt(magic, 0); err != nil || !bytes.Equal(magic, []byte("PK\x03\x04")) {
		return nil, ErrNotXLSX
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	if err := checkSizes(zr, limits); err != nil {
		return nil, err
	}
	book, err := locate(zr, limits.Sheet)
	if err != nil {
		return nil, err
	}
	rows, err := verify(zr, book.sheet)
	if err != nil {
		return nil, err
	}
	if rows > limits.MaxRows+1 { // +1: the header
		return nil, &LimitError{Err: ErrTooManyRows, Limit: int64(limits.MaxRows), Got: int64(rows - 1)}
	}
	sst, err := readSharedStrings(book.sharedStrings)
	if err != nil {
		return nil, err
	}
	rc, err := book.sheet.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	rd := &Reader{sheet: newSheetReader(rc, sst), closer: rc}
	if err := rd.readHeader(limits.Header); err != nil {
		_ = rc.Close()
		return nil, err
	}
	return rd, nil
}

// checkSizes looks only at the zip directory.
func checkSizes(zr *zip.Reader, limits Limits) error {
	var total uint64
	for _, e := range zr.File {
		total += e.UncompressedSize64
		if total > uint64(limits.MaxUnpackedBytes) {
			return &LimitError{Err: ErrZipBomb, Limit: limits.MaxUnpackedBytes, Got: int64(min(total, 1<<62))}
		}
		ratio := e.UncompressedSize64 / max(e.CompressedSize64, 1)
		if e.UncompressedSize64 > ratioFloor && ratio > uint64(limits.MaxRatio) {
			return &LimitError{Err: ErrZipBomb, Limit: limits.MaxRatio, Got: int64(min(ratio, 1<<62))}
		}
	}
	return nil
}

// verify inflates every entry, counting the row elements of the sheet.
func verify(zr *zip.Reader, sheet *zip.File) (rows int, err error) {
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrNotXLSX, e.Name, err)
		}
		if e == sheet {
			rows, err = countRows(rc)
		} else {
			// G110: zip's reader fails with ErrFormat past the declared size, which was checked
			// against the limits before (the ErrZipBomb branch below).
			_, err = io.Copy(io.Discard, rc) //nolint:gosec // see above
		}
		_ = rc.Close()
		if errors.Is(err, zip.ErrFormat) {
			return 0, &LimitError{Err: ErrZipBomb, Limit: int64(min(e.UncompressedSize64, 1<<62)), Got: -1}
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %v", ErrNotXLSX, e.Name, err)
		}
	}
	return rows, nil
}

// readHeader reads row 1, which must be the header.
func (r *Reader) readHeader(want []string) error {
	num, header, err := r.sheet.next(maxColumns)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %v", ErrNotXLSX, err)
	}
	if num != 1 {
		// Row 1 is empty or the sheet is: whatever came first is data, not a header.
		return &HeaderError{Column: 1, Letter: "A", Want: strings.TrimSpace(first(want))}
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	header = trimTrailingBlanks(header)
	if want != nil {
		if err := checkHeader(want, header); err != nil {
			return err
		}
	}
	r.header, r.num = header, 1
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func trimTrailingBlanks(cells []string) []string {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
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

// Header is the header row as read, trimmed.
func (r *Reader) Header() []string { return r.header }

// Next moves to the next data row that has any non-blank cell; it returns false at the end or on
// an error (see Err).
func (r *Reader) Next() bool {
	for r.err == nil {
		num, cells, err := r.sheet.next(len(r.header))
		if errors.Is(err, io.EOF) {
			return false
		}
		if err != nil {
			r.err = fmt.Errorf("%w: row %d: %v", ErrNotXLSX, r.num+1, err)
			return false
		}
		r.num = num
		// A formula without a cached result (as excelize writes them) reads blank but is not.
		if !blank(cells) || r.sheet.formulas != nil {
			r.cells = cells
			return true
		}
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

// Row returns the current row's number in the sheet (as Excel shows it; the header is 1) and its
// cells, exactly one per header column. Cells hold raw values: numbers unformatted ("1234.5"),
// dates as Excel serial numbers (see ParseTime), booleans as "1" and "0".
func (r *Reader) Row() (int, []string) { return r.num, r.cells }

// Formula tells whether the current row's cell i (0-based, as in Row) is a formula. Row gives a
// formula's cached result, which an import should not take for what the user typed: a
// =HYPERLINK(…, "x") reads as "x", =1+1 as 2, and the cache is whatever the last program to save
// the file computed.
func (r *Reader) Formula(i int) bool {
	f := r.sheet.formulas
	return i >= 0 && i < len(f) && f[i]
}

// Err is the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Close releases the sheet.
func (r *Reader) Close() error { return r.closer.Close() }
