package xlsx

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
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
// it into a text cell ("1 234,50"), and returns it in minor units. Spaces and apostrophes group
// digits; a comma is a decimal point only when there is no dot. More than two decimals is an error,
// except for the float noise Excel leaves in computed numbers ("1234.5599999999999").
func ParseMinor(s string) (int64, error) {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\'' {
			return -1
		}
		return r
	}, s)
	if !strings.Contains(clean, ".") {
		clean = strings.Replace(clean, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(clean, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || strings.ContainsAny(clean, "eExXpP_") {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	cents := math.Round(v * 100)
	if math.Abs(cents) >= 1<<53 {
		return 0, fmt.Errorf("%q is too large an amount", s)
	}
	if math.Abs(v*100-cents) > 1e-6*max(1, math.Abs(cents)) {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	return int64(cents), nil
}
