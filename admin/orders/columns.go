package orders

import (
	"github.com/postdesk/postdesk/admin/docs/xlsx"
)

// Value is what column key holds for an order, typed for Excel: strings, int64 grams, int64 minor
// units of money, time.Time (zero for empty).
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

// Kind is the Excel cell kind of a column.
func Kind(key string) xlsx.Kind {
	switch key {
	case "created", "expected", "delivered":
		return xlsx.DateTime
	case "weight":
		return xlsx.Int
	case "declared_value", "cost":
		return xlsx.Money
	}
	return xlsx.Text
}

// Numeric tells whether a column is right-aligned on screen.
func Numeric(key string) bool {
	k := Kind(key)
	return k == xlsx.Int || k == xlsx.Money
}
