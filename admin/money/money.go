// Package money is Postdesk's one way to read, write and show amounts. An amount is an integer
// number of minor units (kopiyka, tiyn) of the deployment's one currency; nothing here ever goes
// through a float, except Major for spreadsheet cells.
//
//   - Parse reads what people type into a form or a text cell: a plain number with at most two
//     decimals ("1234", "1234.5", "1234,50", "1 234,50"), and refuses anything else with a message
//     saying so (apperr.Invalid). The caller says whether the amount may be negative or zero.
//   - ParsePercent does the same for rates, in basis points (hundredths of a percent).
//   - Format shows an amount to a person in their language: grouped thousands, two decimals, a real
//     minus sign, the currency ("1 234,50 UAH", "−1,234.50 UAH"). Show takes the language from ctx.
//   - Plain is the form-input form ("-1234.50"), which Parse reads back unchanged.
//   - Spreadsheets: write Major(amount) as a number cell with the number format ExcelNumFmt, never
//     a formatted string, so sums and sorting work and Excel shows the reader's own separators
//     (admin/docs/xlsx's Money columns do exactly this). PDFs print Format's text in the document's
//     language; the fonts in admin/docs/pdf have the no-break spaces and the minus sign.
package money

import (
	"context"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/i18n"
)

// Minor is an amount in minor units of the deployment currency.
type Minor int64

// String is the plain form, as Plain.
func (m Minor) String() string { return Plain(m) }

// Amount is any integer type that carries minor units (int64, Minor, ledger.Minor...); int is
// there so that untyped constants (money.Format(0, ...)) infer.
type Amount interface{ ~int64 | ~int }

// Sign says which amounts a field accepts.
type Sign int

const (
	Positive    Sign = iota // more than zero: payouts, prices, compensations
	NonNegative             // zero or more: limits, fees that may be waived
	Signed                  // any: corrections, adjustments
)

// Message keys (admin/i18n/money.*.toml). Each says what to type instead.
const (
	ErrNotAmount  = "money.not_amount"  // not a plain number with at most two decimals
	ErrDecimals   = "money.decimals"    // three or more decimals
	ErrNegative   = "money.negative"    // a minus sign where the amount must not be negative
	ErrZero       = "money.zero"        // zero where the amount must be positive
	ErrTooLarge   = "money.too_large"   // beyond maxWholeDigits
	ErrNotPercent = "money.not_percent" // a rate that is not a plain number with at most two decimals
	ErrPercentMax = "money.percent_max" // a rate above 100 %
)

// maxWholeDigits keeps every accepted amount far inside int64 (10^15 major units = 10^17 minor).
const maxWholeDigits = 15

// Minus is the minus sign Format writes (U+2212), not the hyphen.
const Minus = "\u2212"

// ExcelNumFmt is Excel's built-in number format "#,##0.00" for money cells: thousands grouped and
// two decimals in the reader's own locale.
const ExcelNumFmt = 4

// Parse reads an amount typed by a person and returns it in minor units.
//
// Accepted: optional surrounding spaces; a minus ("-" or "−") only when sign is Signed; digits,
// optionally grouped in threes by a space, a no-break space or a narrow no-break space exactly as
// Format writes them ("1 234 567"); then "." or "," and one or two decimals. Refused: any other
// sign or character ("+5", "1.-5", "1e3", "95 UAH"), a separator with no digits on either side
// ("5.", ".5"), grouping that is not in threes ("12 34"), a thousands comma ("1,234.50" — the comma
// is a decimal mark here), three or more decimals, and more than 15 whole digits.
func Parse(s string, sign Sign) (int64, error) {
	return parse(s, sign, ErrNotAmount)
}

// ParseField is Parse with the error attached to a form field.
func ParseField(field, s string, sign Sign) (int64, error) {
	v, err := Parse(s, sign)
	if err != nil {
		err = apperr.InvalidField(field, apperr.MessageOf(err))
	}
	return v, err
}

// ParsePercent reads a rate between 0 and 100 with at most two decimals ("12", "12.5", "2,25")
// and returns it in basis points (hundredths of a percent: "12.5" is 1250). A trailing "%" is
// allowed; signs are not.
func ParsePercent(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	v, err := parse(s, NonNegative, ErrNotPercent)
	if err != nil {
		return 0, err
	}
	if v > 100_00 {
		return 0, apperr.New(apperr.Invalid, ErrPercentMax)
	}
	return v, nil
}

func parse(s string, sign Sign, notNumber string) (int64, error) {
	bad := func(key string) (int64, error) { return 0, apperr.New(apperr.Invalid, key) }
	s = strings.TrimSpace(s)
	neg := false
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, rest
	} else if rest, ok := strings.CutPrefix(s, Minus); ok {
		neg, s = true, rest
	}
	whole, frac, hasSep := strings.Cut(s, ".")
	if !hasSep {
		whole, frac, hasSep = strings.Cut(s, ",")
	}
	digits, ok := ungroup(whole)
	if !ok || hasSep && (frac == "" || !allDigits(frac)) {
		return bad(notNumber)
	}
	if len(frac) > 2 {
		return bad(ErrDecimals)
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > maxWholeDigits {
		return bad(ErrTooLarge)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	var v int64
	for _, r := range digits + frac {
		v = v*10 + int64(r-'0')
	}
	switch {
	case neg && sign != Signed && v != 0, neg && sign == Positive:
		return bad(ErrNegative)
	case v == 0 && sign == Positive:
		return bad(ErrZero)
	case neg:
		v = -v
	}
	return v, nil
}

// ungroup checks the whole part ("1234" or "1 234" grouped in threes) and returns its digits.
func ungroup(s string) (string, bool) {
	groups := strings.FieldsFunc(s, isGroupSpace)
	if len(groups) == 0 || strings.Join(groups, " ") != normalizeSpaces(s) {
		return "", false // empty, or spaces at the ends or doubled
	}
	for i, g := range groups {
		if !allDigits(g) || i > 0 && len(g) != 3 || i == 0 && len(groups) > 1 && len(g) > 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

func isGroupSpace(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' }

func normalizeSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if isGroupSpace(r) {
			return ' '
		}
		return r
	}, s)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// style is a language's way of writing numbers.
type style struct{ group, decimal string }

var styles = map[string]style{
	"en": {",", "."},
	"uk": {"\u00a0", ","},
	"ru": {"\u00a0", ","},
}

// Format shows amount to a person reading lang ("uk", "ru", "en"; anything else reads as English):
// "1 234,50 UAH" in Ukrainian and Russian (no-break spaces), "1,234.50 UAH" in English, with
// U+2212 before a negative amount. An empty currency leaves it out (a column whose header names
// it). The currency follows a no-break space, so the amount never wraps.
func Format[A Amount](amount A, currency, lang string) string {
	st, ok := styles[lang]
	if !ok {
		st = styles["en"]
	}
	s := digits(int64(amount), st.group, st.decimal)
	if amount < 0 {
		s = Minus + s
	}
	if currency != "" {
		s += "\u00a0" + currency
	}
	return s
}

// Show is Format in the language ctx carries (the signed-in person's).
func Show[A Amount](ctx context.Context, amount A, currency string) string {
	return Format(amount, currency, i18n.Lang(ctx))
}

// Plain is the amount as a form input holds it: no grouping, a dot, two decimals, an ASCII minus
// ("-1234.50"). Parse(Plain(x), Signed) is x.
func Plain[A Amount](amount A) string {
	s := digits(int64(amount), "", ".")
	if amount < 0 {
		s = "-" + s
	}
	return s
}

// Major is the amount in major units for a spreadsheet's number cell (see ExcelNumFmt). n/100 as a
// float64 is the double nearest the decimal amount, which Excel prints back exactly below 2^53.
func Major[A Amount](amount A) float64 { return float64(amount) / 100 }

// PercentPlain is a rate in basis points as a form input holds it: "12", "12.5", "2.25".
func PercentPlain(bp int64) string {
	s := digits(bp, "", ".")
	s = strings.TrimSuffix(s, "0")
	s = strings.TrimSuffix(s, ".0")
	if bp < 0 {
		s = "-" + s
	}
	return s
}

// digits writes |n| / 100 with the group separator every three digits, then the decimal mark and
// two decimals.
func digits(n int64, group, decimal string) string {
	u := uint64(n)
	if n < 0 {
		u = -u // two's complement: right for math.MinInt64 too
	}
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	b.Grow(len(whole) + len(whole)/3*len(group) + len(decimal) + 2)
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteByte(whole[i])
	}
	b.WriteString(decimal)
	cents := u % 100
	b.WriteByte(byte('0' + cents/10))
	b.WriteByte(byte('0' + cents%10))
	return b.String()
}
