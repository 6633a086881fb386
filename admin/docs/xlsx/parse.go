package xlsx

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/money"
)

// textTimeLayouts are the ways people type dates into a text cell, day first as in Ukraine and
// Kazakhstan, or ISO.
var textTimeLayouts = []string{
	"02.01.2006 15:04:05", "02.01.2006 15:04", "02.01.2006",
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006-01-02T15:04:05",
}

// ParseTime reads a date or date-time cell as Reader returns it: an Excel serial number (how Excel
// stores dates), RFC 3339, or text such as "22.11.2026 10:15" or "2026-11-22", read as wall-clock
// time in loc (nil means UTC).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		if serial <= 0 || serial > 2958465 { // after 31.12.9999 Excel has no dates
			return time.Time{}, fmt.Errorf("%q is not a date", s)
		}
		t, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date: %w", s, err)
		}
		// Serial numbers carry float noise; nobody types fractions of a second.
		t = t.Round(time.Second)
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range textTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// ParseMinor reads an amount as Reader returns it ("1234.5" from a number cell) or as people type
// it into a text cell ("1 234,50"), and returns it in minor units: money.Parse's strict rules
// (any sign allowed; callers check the sign their field needs), plus the float noise Excel leaves
// in computed number cells ("1234.5599999999999"), which is rounded away. Errors are money's
// (apperr.Invalid with a message key saying what to type).
func ParseMinor(s string) (int64, error) {
	v, err := money.Parse(s, money.Signed)
	if err == nil || !floatNoise.MatchString(strings.TrimSpace(s)) {
		return v, err
	}
	f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
	cents := math.Round(f * 100)
	if ferr != nil || math.Abs(cents) >= 1<<53 {
		return 0, err
	}
	if math.Abs(f*100-cents) > 1e-6*max(1, math.Abs(cents)) {
		return 0, err // real decimals beyond the second: money's message says so
	}
	return int64(cents), nil
}

// floatNoise is how a number cell holding a computed amount reads: a plain decimal with many digits.
var floatNoise = regexp.MustCompile(`^-?[0-9]+\.[0-9]{10,}$`)
