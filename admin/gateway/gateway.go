// Package gateway is the client of the payment gateway: a WayForPay-style JSON API with three
// requests — P2P_CREDIT (pay money out to a card), CHECK_STATUS (what became of an order
// reference) and TRANSACTION_LIST (the statement for a period).
//
// Every request and every response carries merchantSignature: HMAC-MD5, keyed with the merchant's
// secret, over the documented fields (see the sig* lists below) joined by ";". A response whose
// signature does not verify is treated like no response at all: the caller does not know what
// happened and must ask CHECK_STATUS before doing anything else.
//
// The gateway refuses a second P2P_CREDIT under an order reference it has seen (reasonCode 1112)
// and answers with the first one's status, so a payout whose reference is its own unique id can
// never be paid twice, whatever the caller retries.
package gateway

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/postdesk/postdesk/admin/money"
)

// Transaction types.
const (
	TypeP2PCredit       = "P2P_CREDIT"
	TypeCheckStatus     = "CHECK_STATUS"
	TypeTransactionList = "TRANSACTION_LIST"
)

// Transaction statuses as the gateway reports them.
const (
	StatusApproved     = "Approved"
	StatusDeclined     = "Declined"
	StatusInProcessing = "InProcessing"
)

// Reason codes. 1100 is success; the others say why a request was refused or declined.
const (
	ReasonOK               = 1100
	ReasonDeclined         = 1101 // declined by the card issuer
	ReasonCardExpired      = 1104
	ReasonInsufficientFund = 1105 // the merchant's payout balance is short
	ReasonInvalidCard      = 1106
	ReasonDuplicate        = 1112 // the order reference was used before: nothing new was done
	ReasonNotFound         = 1113 // CHECK_STATUS: no such order reference
	ReasonBadSignature     = 1114
	ReasonInProcessing     = 1134
)

// The fields each signature covers, in order. Empty or absent fields sign as "".
var (
	SigP2PRequest    = []string{"merchantAccount", "orderReference", "amount", "currency", "cardBeneficiary", "rec2Token"}
	SigStatusRequest = []string{"merchantAccount", "orderReference"}
	SigListRequest   = []string{"merchantAccount", "dateBegin", "dateEnd"}
	// Responses to P2P_CREDIT and CHECK_STATUS.
	SigResult = []string{"merchantAccount", "orderReference", "amount", "currency", "transactionStatus", "reasonCode"}
	// The statement is signed over its period, its size and its total, so a truncated or altered
	// list fails verification.
	SigList = []string{"merchantAccount", "dateBegin", "dateEnd", "reasonCode", "count", "total"}
)

// Sign returns the hex HMAC-MD5 of the values joined by ";".
func Sign(secret string, values ...string) string {
	m := hmac.New(md5.New, []byte(secret))
	m.Write([]byte(strings.Join(values, ";")))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify tells whether sig is the signature of values; the comparison takes constant time.
func Verify(secret, sig string, values ...string) bool {
	want := Sign(secret, values...)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(sig)))
}

// Amount is money in minor units; on the wire it is a decimal number with two places ("12.34").
type Amount int64

// String is the wire form, also used in signatures.
func (a Amount) String() string { return money.Plain(a) }

func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

func (a *Amount) UnmarshalJSON(b []byte) error {
	v, err := ParseAmount(strings.Trim(string(b), `"`))
	*a = v
	return err
}

// ParseAmount reads "12.34", "12.3", "12" or "-0.05" exactly, without floating point.
func ParseAmount(s string) (Amount, error) {
	v, err := money.Parse(s, money.Signed)
	if err != nil {
		return 0, fmt.Errorf("gateway: bad amount %q", s)
	}
	return Amount(v), nil
}

// Config says which gateway to talk to (admin/config reads it). Secrets come from the environment,
// never the repository.
type Config struct {
	URL      string // the API endpoint; empty means "not configured" (serve starts the sandbox)
	Merchant string
	Secret   string
	Currency string
	Timeout  time.Duration // per request; a timeout leaves the result unknown
}

// Configured tells whether a real gateway is named.
func (c Config) Configured() bool { return c.URL != "" }

// ErrUnknown wraps every failure after which the caller cannot know whether the gateway acted:
// timeouts, broken connections, 5xx answers, unreadable or wrongly signed responses.
var ErrUnknown = errors.New("gateway: result unknown")
