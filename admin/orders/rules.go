// Package orders is the orders desk: orders entered by hand or imported from Excel, their status
// history, tracking lists, waybills, handover acts and exports. rules.go is pure Go (statuses, the
// tariff, validation, the list's columns); store.go holds the SQL; the handlers are one file per
// screen. Which moves an order may make, and the money each moves, is admin/lifecycle's: the
// handlers reach it through Handlers.Lifecycle.
package orders

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/rbac"
)

// Record is the field-rules name of an order.
const Record = "order"

// Its governed fields are listed with every other in rbac/fields_list.go.

// Status is where an order is in its life.
type Status string

const (
	Created      Status = "created"
	Deal         Status = "deal" // a courier accepted it
	PickedUp     Status = "picked_up"
	Delivered    Status = "delivered"
	Cancelled    Status = "cancelled"
	InModeration Status = "in_moderation"
	Returned     Status = "returned"
	Lost         Status = "lost"
)

// Statuses lists every status in the order a list filter shows them.
var Statuses = []Status{Created, Deal, PickedUp, Delivered, Cancelled, InModeration, Returned, Lost}

// Valid tells whether s is a known status. Which moves an order may make, who may make them and
// what each costs is admin/lifecycle's table.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Finished tells whether an order in s has ended: it holds no money and moves no more.
func (s Status) Finished() bool {
	return s == Delivered || s == Cancelled || s == Returned || s == Lost
}

// Band is one line of the tariff: orders up to MaxGrams cost Price (minor units).
type Band struct {
	MaxGrams int64
	Price    int64
}

// Tariff prices an order by weight.
type Tariff []Band

// Cost is the price of the lightest band that holds the weight.
func (t Tariff) Cost(grams int64) (int64, error) {
	if grams <= 0 {
		return 0, apperr.InvalidField("weight", "orders.weight_positive")
	}
	best := Band{}
	for _, b := range t {
		if grams <= b.MaxGrams && (best.MaxGrams == 0 || b.MaxGrams < best.MaxGrams) {
			best = b
		}
	}
	if best.MaxGrams == 0 {
		return 0, &apperr.Error{Code: apperr.Invalid, Field: "weight", Message: "orders.weight_over_tariff",
			Args: map[string]any{"Max": t.MaxGrams()}}
	}
	return best.Price, nil
}

// MaxGrams is the heaviest weight the tariff prices.
func (t Tariff) MaxGrams() int64 {
	var m int64
	for _, b := range t {
		m = max(m, b.MaxGrams)
	}
	return m
}

// Input is an order as staff enter it by hand or an import row gives it, before it is checked.
type Input struct {
	ExternalRef      string
	ClientID         int64
	CourierID        int64 // 0: none yet
	SenderName       string
	SenderPhone      string
	SenderAddress    string
	RecipientName    string
	RecipientPhone   string
	RecipientAddress string
	Item             string
	WeightGrams      int64
	DeclaredValue    int64 // minor units
	ExpectedAt       time.Time
	Comment          string
	// NoPromo: the courier's deposit may not be promo credit (RULES.md §3.1), the client's choice.
	NoPromo bool
}

// FieldErrors maps a form field to the translation key of what is wrong with it.
type FieldErrors map[string]string

// Error makes FieldErrors an error; apperr.Invalid with the first field for callers that map codes.
func (fe FieldErrors) Error() string {
	var b strings.Builder
	for _, k := range fe.Fields() {
		b.WriteString(k + ": " + fe[k] + "; ")
	}
	return b.String()
}

// Fields returns the fields with errors in form order.
func (fe FieldErrors) Fields() []string {
	var out []string
	for _, f := range FormFields {
		if _, ok := fe[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// FormFields are the input fields in the order the form (and the import template) shows them.
var FormFields = []string{"external_ref", "client_id", "courier_id", "sender_name", "sender_phone", "sender_address",
	"recipient_name", "recipient_phone", "recipient_address", "item", "weight", "declared_value", "expected_at", "comment"}

// Limits on free text, in characters.
const (
	maxName    = 200
	maxAddress = 500
	maxItem    = 300
	maxComment = 2000
	maxRef     = 100
	// MaxDeclared caps the declared value (10 million in major units) so a typo of extra zeros is caught.
	MaxDeclared = 10_000_000_00
)

// Normalize tidies the input in place: trims text, collapses inner whitespace in names, and writes
// phones as +digits.
func (in *Input) Normalize() {
	for _, p := range []*string{&in.SenderName, &in.RecipientName, &in.Item} {
		*p = strings.Join(strings.Fields(*p), " ")
	}
	for _, p := range []*string{&in.SenderAddress, &in.RecipientAddress, &in.Comment, &in.ExternalRef} {
		*p = strings.TrimSpace(*p)
	}
	in.SenderPhone = NormalizePhone(in.SenderPhone)
	in.RecipientPhone = NormalizePhone(in.RecipientPhone)
}

// NormalizePhone writes a phone as + and digits: "+380 (50) 123-45-67" → "+380501234567". A
// Ukrainian number typed nationally ("050 123 45 67") gets +38; a Kazakh one ("8 701 ...") gets +7.
func NormalizePhone(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	plus := strings.HasPrefix(s, "+")
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '+' && digits.Len() == 0:
		default:
			return s // not a phone: let validation say so
		}
	}
	d := digits.String()
	switch {
	case plus:
	case len(d) == 10 && d[0] == '0':
		d = "38" + d
	case len(d) == 11 && d[0] == '8' && d[1] == '7':
		d = "7" + d[1:]
	}
	return "+" + d
}

// ValidPhone tells whether a normalized phone looks like an international number.
func ValidPhone(s string) bool {
	if len(s) < 11 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Validate checks everything that needs no database: required fields, phones, lengths, positive
// weight, an amount in range, an expected time not in the past. now is when it is entered. The
// client's existence and state are checked by the store.
func (in *Input) Validate(now time.Time) FieldErrors {
	fe := FieldErrors{}
	text := func(field, v string, limit int) {
		switch {
		case v == "":
			fe[field] = "orders.required"
		case utf8.RuneCountInString(v) > limit:
			fe[field] = "orders.too_long"
		case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
			fe[field] = "orders.bad_characters"
		}
	}
	if in.ClientID <= 0 {
		fe["client_id"] = "orders.required"
	}
	if in.CourierID < 0 {
		fe["courier_id"] = "orders.not_found_courier"
	}
	text("sender_name", in.SenderName, maxName)
	text("sender_address", in.SenderAddress, maxAddress)
	text("recipient_name", in.RecipientName, maxName)
	text("recipient_address", in.RecipientAddress, maxAddress)
	text("item", in.Item, maxItem)
	for field, p := range map[string]string{"sender_phone": in.SenderPhone, "recipient_phone": in.RecipientPhone} {
		switch {
		case p == "":
			fe[field] = "orders.required"
		case !ValidPhone(p):
			fe[field] = "orders.bad_phone"
		}
	}
	if in.WeightGrams <= 0 {
		fe["weight"] = "orders.weight_positive"
	}
	switch {
	case in.DeclaredValue < 0:
		fe["declared_value"] = "orders.amount_not_negative"
	case in.DeclaredValue > MaxDeclared:
		fe["declared_value"] = "orders.amount_too_large"
	}
	if !in.ExpectedAt.IsZero() && in.ExpectedAt.Before(now.Add(-time.Minute)) {
		fe["expected_at"] = "orders.expected_in_past"
	}
	if utf8.RuneCountInString(in.Comment) > maxComment {
		fe["comment"] = "orders.too_long"
	}
	if utf8.RuneCountInString(in.ExternalRef) > maxRef {
		fe["external_ref"] = "orders.too_long"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Column is one column the order list, its export and the column chooser know.
type Column struct {
	Key string
	// Field is the governed field it shows ("" when none); a viewer who cannot see it cannot pick it.
	Record, Field string
	// Sort is the SQL sort expression when the list may be sorted by it.
	Sort string
}

// Columns are every column of the order list, in the chooser's order.
var Columns = []Column{
	{Key: "number", Sort: "number"},
	{Key: "waybill", Sort: "waybill"},
	{Key: "status"},
	{Key: "created", Sort: "created_at"},
	{Key: "expected"},
	{Key: "delivered"},
	{Key: "client", Record: "account", Field: "name"},
	{Key: "client_id"},
	{Key: "courier", Record: "account", Field: "name"},
	{Key: "courier_id"},
	{Key: "sender_name", Record: Record, Field: "sender_name"},
	{Key: "sender_phone", Record: Record, Field: "sender_phone"},
	{Key: "sender_address", Record: Record, Field: "sender_address"},
	{Key: "recipient_name", Record: Record, Field: "recipient_name"},
	{Key: "recipient_phone", Record: Record, Field: "recipient_phone"},
	{Key: "recipient_address", Record: Record, Field: "recipient_address"},
	{Key: "item"},
	{Key: "weight", Sort: "weight_grams"},
	{Key: "declared_value", Record: Record, Field: "declared_value", Sort: "declared_value"},
	{Key: "cost", Record: Record, Field: "cost", Sort: "cost"},
	{Key: "comment", Record: Record, Field: "comment"},
	{Key: "external_ref"},
}

// DefaultColumns is what a staff member sees before choosing.
var DefaultColumns = []string{"number", "waybill", "status", "created", "client", "courier", "recipient_name", "weight", "cost"}

// ColumnByKey finds a column.
func ColumnByKey(key string) (Column, bool) {
	for _, c := range Columns {
		if c.Key == key {
			return c, true
		}
	}
	return Column{}, false
}

// Visible tells whether the viewer may see the column at all.
func (c Column) Visible(v rbac.View) bool { return c.Field == "" || v.Sees(c.Record, c.Field) }

// Sortable tells whether the viewer may sort by the column: only by a field read in full, or a
// masked value's order would leak the hidden part.
func (c Column) Sortable(v rbac.View) bool {
	return c.Sort != "" && (c.Field == "" || v.Reads(c.Record, c.Field))
}

// CleanColumns keeps known, visible, distinct keys in the given order; an empty result falls back
// to the defaults the viewer may see.
func CleanColumns(keys []string, v rbac.View) []string {
	var out []string
	for _, k := range keys {
		c, ok := ColumnByKey(k)
		if ok && c.Visible(v) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		for _, k := range DefaultColumns {
			if c, _ := ColumnByKey(k); c.Visible(v) {
				out = append(out, k)
			}
		}
	}
	return out
}
