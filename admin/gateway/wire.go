package gateway

import "strconv"

// Request is the JSON body of every request; each type fills its own fields.
type Request struct {
	TransactionType   string `json:"transactionType"`
	MerchantAccount   string `json:"merchantAccount"`
	MerchantSignature string `json:"merchantSignature"`
	APIVersion        int    `json:"apiVersion"`
	OrderReference    string `json:"orderReference,omitempty"`
	Amount            Amount `json:"amount,omitempty"`
	Currency          string `json:"currency,omitempty"`
	CardBeneficiary   string `json:"cardBeneficiary,omitempty"`
	Rec2Token         string `json:"rec2Token,omitempty"`
	Description       string `json:"description,omitempty"`
	DateBegin         int64  `json:"dateBegin,omitempty"`
	DateEnd           int64  `json:"dateEnd,omitempty"`
}

// SignatureValues are the values the request's signature covers, per its type.
func (r Request) SignatureValues() []string {
	switch r.TransactionType {
	case TypeP2PCredit:
		return []string{r.MerchantAccount, r.OrderReference, r.Amount.String(), r.Currency, r.CardBeneficiary, r.Rec2Token}
	case TypeCheckStatus:
		return []string{r.MerchantAccount, r.OrderReference}
	case TypeTransactionList:
		return []string{r.MerchantAccount, strconv.FormatInt(r.DateBegin, 10), strconv.FormatInt(r.DateEnd, 10)}
	}
	return nil
}

// Result is the answer to P2P_CREDIT and CHECK_STATUS.
type Result struct {
	MerchantAccount   string `json:"merchantAccount"`
	MerchantSignature string `json:"merchantSignature"`
	OrderReference    string `json:"orderReference"`
	Amount            Amount `json:"amount"`
	Currency          string `json:"currency"`
	TransactionStatus string `json:"transactionStatus"`
	Reason            string `json:"reason"`
	ReasonCode        int    `json:"reasonCode"`
	Fee               Amount `json:"fee"`
	CreatedDate       int64  `json:"createdDate,omitempty"`
	ProcessingDate    int64  `json:"processingDate,omitempty"`
}

// SignatureValues are the values a result's signature covers (SigResult).
func (r Result) SignatureValues() []string {
	return []string{r.MerchantAccount, r.OrderReference, r.Amount.String(), r.Currency, r.TransactionStatus, strconv.Itoa(r.ReasonCode)}
}

// Final tells whether the result will not change any more.
func (r Result) Final() bool {
	return r.TransactionStatus == StatusApproved || r.TransactionStatus == StatusDeclined
}

// Line is one transaction of a statement.
type Line struct {
	TransactionType   string `json:"transactionType"`
	OrderReference    string `json:"orderReference"`
	Amount            Amount `json:"amount"`
	Fee               Amount `json:"fee"`
	Currency          string `json:"currency"`
	TransactionStatus string `json:"transactionStatus"`
	ReasonCode        int    `json:"reasonCode"`
	CreatedDate       int64  `json:"createdDate"`
	ProcessingDate    int64  `json:"processingDate"`
}

// List is the answer to TRANSACTION_LIST.
type List struct {
	MerchantAccount   string `json:"merchantAccount"`
	MerchantSignature string `json:"merchantSignature"`
	Reason            string `json:"reason"`
	ReasonCode        int    `json:"reasonCode"`
	DateBegin         int64  `json:"dateBegin"`
	DateEnd           int64  `json:"dateEnd"`
	Transactions      []Line `json:"transactionList"`
}

// SignatureValues are the values a list's signature covers (SigList).
func (l List) SignatureValues() []string {
	var total Amount
	for _, t := range l.Transactions {
		total += t.Amount
	}
	return []string{l.MerchantAccount, strconv.FormatInt(l.DateBegin, 10), strconv.FormatInt(l.DateEnd, 10),
		strconv.Itoa(l.ReasonCode), strconv.Itoa(len(l.Transactions)), total.String()}
}
