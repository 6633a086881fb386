package pdfdoc_test

import (
	"bytes"
	"fmt"
	"time"

	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
)

// Four A6 waybills to an A4 sheet, captions in the staff member's language.
func ExampleWriteWaybills() {
	labels := pdfdoc.Labels{
		Waybill: "Waybill", Order: "Order", Sender: "Sender", Recipient: "Recipient", Phone: "Tel.",
		Item: "Contents", Weight: "Weight", Kg: "kg", DeclaredValue: "Declared value", Cost: "Delivery",
		Created: "Created", ExpectedDelivery: "Expected", Comment: "Comment",
		SenderSignature: "Sender's signature", RecipientSignature: "Recipient's signature",
	}
	almaty, _ := time.LoadLocation("Asia/Almaty")
	ws := []pdfdoc.Waybill{{
		Number: "PD2611220001", OrderNumber: "ORD-000001",
		Sender:    pdfdoc.Party{Name: "Олена Коваленко", Phone: "+380 50 123 45 67", Address: "Київ, Хрещатик, 22"},
		Recipient: pdfdoc.Party{Name: "Әлия Нұрланқызы", Phone: "+7 701 765 43 21", Address: "Алматы, Абай даңғылы, 150"},
		Item:      "Books", WeightGrams: 1250, DeclaredValue: 1_500_000, Cost: 250_000, Currency: "KZT",
		CreatedAt: time.Date(2026, 11, 22, 8, 15, 0, 0, time.UTC), Location: almaty,
	}}
	var pdf bytes.Buffer
	if err := pdfdoc.WriteWaybills(&pdf, labels, ws, 4); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")))
	// Output: true
}
