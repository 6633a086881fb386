package recon

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/gateway"
)

// lineSource yields a statement's lines one at a time.
type lineSource interface {
	next() bool
	line() StatementLine // valid until the next call of next
	err() error
	estimate() int // about how many lines there are, for sizing memory (0: unknown)
	done() int     // percent read so far
}

// csvSource streams a CSV export: one record at a time (encoding/csv with ReuseRecord), nothing
// of a line kept once it is parsed.
type csvSource struct {
	cr    *csv.Reader
	cnt   *countingReader
	size  int64
	est   int
	loc   *time.Location
	row   int
	cur   StatementLine
	fault error
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// newCSVSource reads the header (comma- or semicolon-separated, after an optional BOM) and
// checks it. size is the file's size, for progress and the estimate of its lines.
func newCSVSource(r io.Reader, size int64, loc *time.Location) (*csvSource, error) {
	cnt := &countingReader{r: r}
	br := bufio.NewReaderSize(cnt, 64<<10)
	head, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(head, []byte("\ufeff")) {
		_, _ = br.Discard(3)
		head = head[3:]
	}
	first, _, _ := bytes.Cut(head, []byte("\n"))
	cr := csv.NewReader(br)
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, apperr.InvalidField("file", "recon.file_unreadable")
	}
	if err := checkHeader(header); err != nil {
		return nil, err
	}
	s := &csvSource{cr: cr, cnt: cnt, size: size, loc: loc, row: 1}
	if n := bytes.Count(head, []byte("\n")); n > 1 && size > 0 {
		// Lines of the file's first 64 KB tell its lines' length.
		per := float64(len(head)) / float64(n)
		s.est = int(float64(size)/per*1.02) + 16
	}
	return s, nil
}

// CheckCSVHeader reads a CSV statement's first line and checks it, so a file of the wrong kind is
// refused at once, before it is stored.
func CheckCSVHeader(r io.Reader) error {
	_, err := newCSVSource(io.LimitReader(r, 64<<10), 0, time.UTC)
	return err
}

func (s *csvSource) next() bool {
	if s.fault != nil {
		return false
	}
	rec, err := s.cr.Read()
	s.row++
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		s.fault = rowErr(s.row, err)
		return false
	}
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		return s.next() // a blank line
	}
	l, err := parseRow(s.row, rec, s.loc)
	if err != nil {
		s.fault = err
		return false
	}
	s.cur = l
	return true
}

func (s *csvSource) line() StatementLine { return s.cur }
func (s *csvSource) err() error          { return s.fault }
func (s *csvSource) estimate() int       { return s.est }
func (s *csvSource) done() int {
	if s.size <= 0 {
		return 0
	}
	return int(min(100, s.cnt.n*100/s.size))
}

// xlsxSource reads a workbook through the guarded reader (size, zip-bomb and row limits).
type xlsxSource struct {
	xr    *xlsx.Reader
	n     int
	loc   *time.Location
	cur   StatementLine
	fault error
}

func openXLSX(r io.ReaderAt, size int64, loc *time.Location) (*xlsxSource, error) {
	xr, err := xlsx.Open(r, size, xlsx.Limits{Header: StatementHeader, MaxRows: MaxLines, MaxBytes: MaxStatementBytes, MaxUnpackedBytes: 1 << 30})
	if err != nil {
		var he *xlsx.HeaderError
		if errors.As(err, &he) {
			return nil, apperr.InvalidField("file", "recon.file_header")
		}
		var le *xlsx.LimitError
		if errors.As(err, &le) && errors.Is(err, xlsx.ErrTooManyRows) {
			return nil, apperr.InvalidField("file", "recon.file_too_long")
		}
		e := apperr.InvalidField("file", "recon.file_unreadable")
		e.Args = map[string]any{"Detail": err.Error()}
		return nil, e
	}
	return &xlsxSource{xr: xr, loc: loc}, nil
}

func (s *xlsxSource) next() bool {
	if s.fault != nil || !s.xr.Next() {
		if s.fault == nil && s.xr.Err() != nil {
			s.fault = apperr.InvalidField("file", "recon.file_unreadable")
		}
		return false
	}
	n, cells := s.xr.Row()
	l, err := parseRow(n, cells, s.loc)
	if err != nil {
		s.fault = err
		return false
	}
	s.n++
	s.cur = l
	return true
}

func (s *xlsxSource) line() StatementLine { return s.cur }
func (s *xlsxSource) err() error          { return s.fault }
func (s *xlsxSource) estimate() int       { return 0 }
func (s *xlsxSource) done() int           { return min(99, s.n/20_000) } // no total known: creeps
func (s *xlsxSource) close()              { _ = s.xr.Close() }

// listSource walks the gateway's TRANSACTION_LIST.
type listSource struct {
	list []gateway.Line
	i    int
	cur  StatementLine
}

func (s *listSource) next() bool {
	if s.i >= len(s.list) {
		return false
	}
	t := s.list[s.i]
	s.i++
	s.cur = StatementLine{No: int32(s.i), Ref: t.OrderReference, Amount: int64(t.Amount), Fee: int64(t.Fee),
		Currency: t.Currency, Status: t.TransactionStatus, At: time.Unix(t.CreatedDate, 0).UTC()}
	return true
}

func (s *listSource) line() StatementLine { return s.cur }
func (s *listSource) err() error          { return nil }
func (s *listSource) estimate() int       { return len(s.list) }
func (s *listSource) done() int           { return s.i * 100 / max(len(s.list), 1) }

// sliceSource walks lines already in memory (ParseCSV's callers, Load).
type sliceSource struct {
	lines []StatementLine
	i     int
}

func (s *sliceSource) next() bool {
	if s.i >= len(s.lines) {
		return false
	}
	s.i++
	return true
}

func (s *sliceSource) line() StatementLine { return s.lines[s.i-1] }
func (s *sliceSource) err() error          { return nil }
func (s *sliceSource) estimate() int       { return len(s.lines) }
func (s *sliceSource) done() int           { return s.i * 100 / max(len(s.lines), 1) }

// lineStore keeps what matching needs of the approved lines: 64 bytes a line, the references
// packed into shared blocks (one string per 64K lines rather than one per line), currencies
// interned.
type lineStore struct {
	lines    []Line
	buf      []byte
	ends     []int32
	from     int
	currency string
	seen     map[string]string
}

func newLineStore(estimate int, currency string) *lineStore {
	return &lineStore{lines: make([]Line, 0, estimate), currency: currency, seen: map[string]string{}}
}

const refBlock = 1 << 16

func (s *lineStore) add(l StatementLine) {
	if l.Status != "" && !strings.EqualFold(l.Status, "Approved") {
		return // only approved lines moved money
	}
	// A line that names no currency is in the deployment's; one that names another never
	// matches the ledger's entries.
	cur := strings.ToUpper(strings.TrimSpace(l.Currency))
	if cur == "" {
		cur = s.currency
	}
	c, ok := s.seen[cur]
	if !ok {
		c = strings.Clone(cur)
		s.seen[c] = c
	}
	s.buf = append(s.buf, l.Ref...)
	s.ends = append(s.ends, int32(len(s.buf)))
	s.lines = append(s.lines, Line{No: l.No, Amount: l.Amount, Fee: l.Fee, At: l.At.Unix(), Currency: c})
	if len(s.ends) == refBlock {
		s.flush()
	}
}

func (s *lineStore) flush() {
	block := string(s.buf)
	start := int32(0)
	for i, end := range s.ends {
		s.lines[s.from+i].Ref = block[start:end]
		start = end
	}
	s.from += len(s.ends)
	s.buf, s.ends = s.buf[:0], s.ends[:0]
}

func (s *lineStore) done() []Line {
	s.flush()
	s.buf, s.ends = nil, nil
	return s.lines
}

// copyReader turns a row encoder into the io.Reader COPY ... FROM STDIN reads: next appends one
// row (in COPY's text format) and says whether there was one.
type copyReader struct {
	next func(buf []byte) ([]byte, bool, error)
	buf  []byte
	pos  int
	end  bool
}

func newCopyReader(next func([]byte) ([]byte, bool, error)) *copyReader {
	return &copyReader{next: next, buf: make([]byte, 0, 128<<10)}
}

func (r *copyReader) Read(p []byte) (int, error) {
	for r.pos >= len(r.buf) {
		if r.end {
			return 0, io.EOF
		}
		r.buf, r.pos = r.buf[:0], 0
		for len(r.buf) < 64<<10 {
			var more bool
			var err error
			r.buf, more, err = r.next(r.buf)
			if err != nil {
				return 0, err
			}
			if !more {
				r.end = true
				break
			}
		}
	}
	n := copy(p, r.buf[r.pos:])
	r.pos += n
	return n, nil
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// appendText escapes a value for COPY's text format.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendTime writes Unix seconds as a UTC timestamp ("2026-03-01 10:00:00+00").
func appendTime(b []byte, unix int64) []byte {
	t := time.Unix(unix, 0).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, int(mo), 2)
	b = append(b, '-')
	b = appendPad(b, d, 2)
	b = append(b, ' ')
	b = appendPad(b, h, 2)
	b = append(b, ':')
	b = appendPad(b, mi, 2)
	b = append(b, ':')
	b = appendPad(b, s, 2)
	return append(b, "+00"...)
}

func appendPad(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var tmp [20]byte
	i := len(tmp)
	for n >= 10 || width > 1 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	tmp[i] = byte('0' + n)
	return append(b, tmp[i:]...)
}
