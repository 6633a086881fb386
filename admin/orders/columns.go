package orders

import (
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/i18n"
)

// Value is what column key holds for an order, typed for Excel: strings, int64 ids (nil for no
// courier), int64 grams (written as kilograms), int64 minor units of money, time.Time (zero for
// empty).
func Value(o *Order, key string) any {
	switch key {
	case "number":
		return o.Number
	case "waybill":
		return o.Waybill
	case "status":
		return string(o.Status)
	case "created":
		return o.CreatedAt
	case "expected":
		return o.ExpectedAt
	case "delivered":
		return o.DeliveredAt
	case "client":
		return o.ClientName
	case "client_id":
		return o.ClientID
	case "courier_id":
		if o.CourierID == 0 {
			return nil
		}
		return o.CourierID
	case "courier":
		return o.CourierName
	case "sender_name":
		return o.SenderName
	case "sender_phone":
		return o.SenderPhone
	case "sender_address":
		return o.SenderAddress
	case "recipient_name":
		return o.RecipientName
	case "recipient_phone":
		return o.RecipientPhone
	case "recipient_address":
		return o.RecipientAddress
	case "item":
		return o.Item
	case "weight":
		return o.WeightGrams
	case "declared_value":
		return o.DeclaredValue
	case "cost":
		return o.Cost
	case "comment":
		return o.Comment
	case "external_ref":
		return o.ExternalRef
	}
	return nil
}

// Kind is the Excel cell kind of a column: the import template's kind for a column the template
// has too (weight in kilograms with three decimals, money in major units), so an export trimmed
// to the template's columns imports unchanged.
func Kind(key string) xlsx.Kind {
	if c, ok := importColumn(key); ok {
		return c.Kind
	}
	switch key {
	case "created", "expected", "delivered":
		return xlsx.DateTime
	case "weight":
		return xlsx.Milli
	case "declared_value", "cost":
		return xlsx.Money
	}
	return xlsx.Text
}

// Numeric tells whether a column is right-aligned on screen.
func Numeric(key string) bool {
	k := Kind(key)
	return k == xlsx.Int || k == xlsx.Money || k == xlsx.Milli
}

// importKey is the import template's column for an order list column, "" when the template has
// none (the template says expected_at where the list says expected).
func importKey(key string) string {
	k := key
	if key == "expected" {
		k = "expected_at"
	}
	for _, c := range ImportColumns {
		if c.Key == k {
			return k
		}
	}
	return ""
}

func importColumn(key string) (c struct {
	Key      string
	Kind     xlsx.Kind
	Required bool
}, ok bool) {
	k := importKey(key)
	for _, c := range ImportColumns {
		if c.Key == k {
			return c, true
		}
	}
	return c, false
}

// ExportTitle is a column's header in an export: the import template's header (with its unit:
// "Вага, кг") for a column the template has, the list's otherwise.
func ExportTitle(lang, key string) string {
	if k := importKey(key); k != "" {
		return i18n.In(lang, "orders.import_col."+k)
	}
	return i18n.In(lang, "orders.col."+key)
}
