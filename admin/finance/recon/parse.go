package recon

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/gateway"
)

// StatementHeader is the header of the gateway's statement export (CSV or XLSX), and of the
// template the upload page offers.
var StatementHeader = []string{"orderReference", "amount", "fee", "currency", "transactionStatus", "createdDate"}

// MaxLines bounds an uploaded statement.
const MaxLines = 2_000_000

// ParseCSV reads an export with StatementHeader, comma- or semicolon-separated, into memory (a
// load job streams it instead). Amounts are decimals ("1547.36"); createdDate is Unix seconds or
// "2006-01-02 15:04:05" in loc.
func ParseCSV(r io.Reader, loc *time.Location) ([]StatementLine, error) {
	s, err := newCSVSource(r, 0, loc)
	if err != nil {
		return nil, err
	}
	var out []StatementLine
	for s.next() {
		if len(out) >= MaxLines {
			return nil, apperr.InvalidField("file", "recon.file_too_long")
		}
		out = append(out, s.line())
	}
	return out, s.err()
}

func checkHeader(h []string) error {
	if len(h) < len(StatementHeader) {
		return apperr.InvalidField("file", "recon.file_header")
	}
	for i, want := range StatementHeader {
		if !strings.EqualFold(strings.TrimSpace(h[i]), want) {
			return apperr.InvalidField("file", "recon.file_header")
		}
	}
	return nil
}

func rowErr(row int, err error) error {
	e := apperr.InvalidField("file", "recon.file_row")
	e.Args = map[string]any{"Row": row, "Detail": err.Error()}
	return e
}

func parseRow(row int, c []string, loc *time.Location) (StatementLine, error) {
	for len(c) < len(StatementHeader) {
		c = append(c, "")
	}
	l := StatementLine{No: int32(row), Ref: strings.TrimSpace(c[0]), Currency: strings.TrimSpace(c[3]), Status: strings.TrimSpace(c[4])}
	amt, err := gateway.ParseAmount(strings.ReplaceAll(c[1], ",", "."))
	if err != nil {
		return l, rowErr(row, err)
	}
	l.Amount = int64(amt)
	if strings.TrimSpace(c[2]) != "" {
		fee, err := gateway.ParseAmount(strings.ReplaceAll(c[2], ",", "."))
		if err != nil {
			return l, rowErr(row, err)
		}
		l.Fee = int64(fee)
	}
	s := strings.TrimSpace(c[5])
	if unix, err := parseUnix(s); err == nil {
		l.At = time.Unix(unix, 0).UTC()
	} else if t, err := xlsx.ParseTime(s, loc); err == nil {
		l.At = t.UTC()
	} else if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc); err == nil {
		l.At = t.UTC()
	} else {
		return l, rowErr(row, fmt.Errorf("createdDate %q", s))
	}
	return l, nil
}

// parseUnix reads Unix seconds; anything else is refused without the cost of strconv's error (a
// statement in dates would pay it on every line).
func parseUnix(s string) (int64, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && !(i == 0 && (c == '-' || c == '+') && len(s) > 1) {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
