package pdfdoc

import (
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/money"
)

// Labels are the captions printed on the documents, already translated into the staff member's
// language by the caller (the package has no catalogue of its own).
type Labels struct {
	// Waybill.
	Waybill            string // document title, e.g. "Waybill" / "Накладна"
	Order              string // "Order" / "Замовлення"
	Sender             string
	Recipient          string
	Phone              string // shown before phone numbers, e.g. "Tel." / "Тел."
	Item               string
	Weight             string
	DeclaredValue      string
	Cost               string
	Created            string
	ExpectedDelivery   string
	Comment            string
	SenderSignature    string // "Sender's signature"
	RecipientSignature string // "Recipient's signature"
	Kg                 string // weight unit, "kg" / "кг"

	// Handover act.
	HandoverAct string // title, e.g. "Handover act" / "Акт приймання-передачі"
	Courier     string
	Date        string
	Waybills    string // column of waybill numbers
	Address     string
	RowNo       string // column of row numbers, e.g. "No." / "№"
	Total       string // totals row, e.g. "Total" / "Разом"
	HandedOver  string // signature of the person handing the parcels over
	Received    string // signature of the courier receiving them
	Signature   string // small print under a signature line, e.g. "signature" / "підпис"

	// PageOf numbers the pages; {page} and {pages} are replaced, e.g. "Page {page} of {pages}".
	PageOf string

	// Lang is the language of the captions ("uk", "ru", "en"); amounts are written in it too
	// (the platform's default when empty).
	Lang string
}

// Money writes an amount the way the document's reader reads it (money.Format); an empty currency
// leaves it out, for columns whose header names it.
func (l Labels) Money(amount int64, currency string) string {
	return money.Format(amount, currency, i18n.Normalize(l.Lang))
}
