package finance

import (
	"strings"

	"github.com/postdesk/postdesk/admin/i18n"
)

// reasonPrefix is where a transfer's reason code finds its words: "finance.why.order.deposit".
const reasonPrefix = "finance.why."

// complaintReasons are the reasons a complaint's decision writes with the complaint's number
// after them ("complaint refund CM-000123").
var complaintReasons = []struct{ prefix, key string }{
	{"complaint refund ", "complaint_refund"},
	{"complaint compensation ", "complaint_compensation"},
	{"complaint penalty ", "complaint_penalty"},
}

// ReasonText is a ledger transfer's reason in words in lang, for statements, their Excel file
// and the act: "Deposit held for order" for order.deposit, "Top-up" for topup. A code the
// catalogue does not know (one typed by a finance officer on a funding request, say) shows as it is.
func ReasonText(lang, code string) string {
	code = strings.TrimSpace(code)
	if code == "" {
		return ""
	}
	if k := reasonPrefix + code; i18n.Has(k) {
		return i18n.In(lang, k)
	}
	for _, c := range complaintReasons {
		if number, ok := strings.CutPrefix(code, c.prefix); ok {
			return i18n.In(lang, reasonPrefix+c.key, "Number", strings.TrimSpace(number))
		}
	}
	return code
}
