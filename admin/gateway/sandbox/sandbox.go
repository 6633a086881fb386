// Package sandbox is a payment gateway that lives in the Postdesk binary: an HTTP server on
// localhost speaking the same signed JSON API as the real one (admin/gateway), so payouts and
// reconciliation work end to end with no outside service. serve starts it when no gateway is
// configured; tests run the real client against it over HTTP.
//
// It behaves like the real API: cards decide the outcome (see Outcome), payouts may stay
// InProcessing for a while, a reused order reference is refused with the first payment's status,
// and TRANSACTION_LIST returns its own records. Faults (5xx, delays, lost answers, bad signatures)
// can be scheduled for tests.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/gateway"
)

// Options shape a sandbox.
type Options struct {
	Merchant, Secret string
	// FeeBP is the gateway's fee in basis points of each payout (default 50: 0.5 %).
	FeeBP int64
	// Processing is how long cards ending in 0005 stay InProcessing (default 2 s).
	Processing time.Duration
	// Delay is added to every answer (default none).
	Delay time.Duration
	Now   func() time.Time
	// Pool, when set, keeps the payments in PostgreSQL (gateway_sandbox_payments) instead of
	// memory: the sandbox then remembers what it accepted across restarts, and every process's
	// sandbox with the same merchant acts as one gateway.
	Pool *pgxpool.Pool
}

// Fault is what the sandbox does to the next request(s) instead of answering normally.
type Fault int

const (
	// FaultNone answers normally.
	FaultNone Fault = iota
	// Fault500 answers HTTP 500 without doing anything.
	Fault500
	// FaultBadSignature does the work and answers with a wrong signature.
	FaultBadSignature
	// FaultLoseAnswer does the work, then closes the connection without answering: the
	// client's classic "timeout with unknown result".
	FaultLoseAnswer
	// FaultHang does nothing and answers after a minute (the client times out first).
	FaultHang
)

// Payment is one transaction the sandbox holds.
type Payment struct {
	Ref            string
	Amount, Fee    gateway.Amount
	Currency       string
	Card           string // number or token
	Status         string
	ReasonCode     int
	Reason         string
	Created        time.Time
	ProcessedAt    time.Time
	settleAt       time.Time
	TransactionTyp string
}

// Server is a running sandbox.
type Server struct {
	opts Options
	srv  *http.Server
	ln   net.Listener

	mu       sync.Mutex
	payments map[string]*Payment
	order    []*Payment
	faults   []Fault
	requests int
	credits  int // P2P_CREDIT requests received, duplicates included
	accepted int // new payments this server made (each reference once)
}

// New returns a sandbox that is not listening yet (use it as an http.Handler, or Start it).
func New(o Options) *Server {
	if o.FeeBP == 0 {
		o.FeeBP = 50
	}
	if o.Processing == 0 {
		o.Processing = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{opts: o, payments: map[string]*Payment{}}
}

// Start listens on addr ("127.0.0.1:0" picks a port) and returns the API's URL.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("gateway sandbox stopped", "err", err)
		}
	}()
	return "http://" + ln.Addr().String() + "/api", nil
}

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Inject schedules faults for the next requests, in order.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Add records a transaction the sandbox did not make itself (a top-up, or a payment the
// platform's ledger never saw), for reconciliation tests.
func (s *Server) Add(p Payment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := p
	if cp.TransactionTyp == "" {
		cp.TransactionTyp = gateway.TypeP2PCredit
	}
	if cp.ProcessedAt.IsZero() {
		cp.ProcessedAt = cp.Created
	}
	if s.opts.Pool != nil {
		cp.settleAt = cp.ProcessedAt
		if err := s.dbInsert(context.Background(), &cp); err != nil {
			slog.Error("gateway sandbox: add", "err", err)
		}
		return
	}
	s.payments[cp.Ref] = &cp
	s.order = append(s.order, &cp)
}

// Payments returns copies of what the sandbox holds, oldest first: its own records, against
// which tests count payments.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Pool != nil {
		list, err := s.dbList(context.Background(), time.Time{}, time.Time{})
		if err != nil {
			slog.Error("gateway sandbox: payments", "err", err)
		}
		return list
	}
	out := make([]Payment, 0, len(s.order))
	for _, p := range s.order {
		s.settle(p)
		out = append(out, *p)
	}
	return out
}

// Credits counts P2P_CREDIT requests received, duplicates included.
func (s *Server) Credits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.credits
}

// Accepted counts the new payments this server made: P2P_CREDIT requests that were not refused as
// duplicates or invalid. A reference paid twice would count twice here.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Outcome is what a card leads to, by its last four digits: 0002 declined by the issuer, 0003
// expired, 0004 invalid card, 0005 in processing for Options.Processing then approved, 0006 in
// processing then declined; any other card is approved at once.
func Outcome(card string) (status string, code int, reason string) {
	switch {
	case strings.HasSuffix(card, "0002"):
		return gateway.StatusDeclined, gateway.ReasonDeclined, "Declined To Card Issuer"
	case strings.HasSuffix(card, "0003"):
		return gateway.StatusDeclined, gateway.ReasonCardExpired, "Expired Card"
	case strings.HasSuffix(card, "0004"):
		return gateway.StatusDeclined, gateway.ReasonInvalidCard, "Invalid Card"
	case strings.HasSuffix(card, "0005"), strings.HasSuffix(card, "0006"):
		return gateway.StatusInProcessing, gateway.ReasonInProcessing, "In processing"
	}
	return gateway.StatusApproved, gateway.ReasonOK, "Ok"
}

// settle finishes an in-processing payment whose time has come. s.mu is held.
func (s *Server) settle(p *Payment) {
	if p.Status != gateway.StatusInProcessing || s.opts.Now().Before(p.settleAt) {
		return
	}
	p.ProcessedAt = p.settleAt
	if strings.HasSuffix(p.Card, "0006") {
		p.Status, p.ReasonCode, p.Reason = gateway.StatusDeclined, gateway.ReasonDeclined, "Declined To Card Issuer"
		return
	}
	p.Status, p.ReasonCode, p.Reason = gateway.StatusApproved, gateway.ReasonOK, "Ok"
}

func (s *Server) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.faults) == 0 {
		return FaultNone
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	fault := s.nextFault()
	switch fault {
	case Fault500:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	if s.opts.Delay > 0 {
		time.Sleep(s.opts.Delay)
	}
	var req gateway.Request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	var answer any
	if req.MerchantAccount != s.opts.Merchant || !gateway.Verify(s.opts.Secret, req.MerchantSignature, req.SignatureValues()...) {
		answer = s.signResult(gateway.Result{OrderReference: req.OrderReference, ReasonCode: gateway.ReasonBadSignature, Reason: "Invalid signature"})
	} else {
		switch req.TransactionType {
		case gateway.TypeP2PCredit:
			answer = s.credit(req)
		case gateway.TypeCheckStatus:
			answer = s.status(req)
		case gateway.TypeTransactionList:
			answer = s.list(req)
		default:
			http.Error(w, "unknown transactionType", http.StatusBadRequest)
			return
		}
	}
	switch fault {
	case FaultBadSignature:
		switch a := answer.(type) {
		case gateway.Result:
			a.MerchantSignature = strings.Repeat("0", 32)
			answer = a
		case gateway.List:
			a.MerchantSignature = strings.Repeat("0", 32)
			answer = a
		}
	case FaultLoseAnswer:
		// The work is done; the answer never arrives.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func (s *Server) credit(req gateway.Request) gateway.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.credits++
	if s.opts.Pool != nil {
		return s.dbCredit(req)
	}
	if p, ok := s.payments[req.OrderReference]; ok {
		// A reused reference pays nothing; the answer is the first payment's status.
		s.settle(p)
		res := s.resultOf(p)
		res.ReasonCode, res.Reason = gateway.ReasonDuplicate, "Duplicate Order ID"
		return s.signResult(res)
	}
	card := req.CardBeneficiary
	if card == "" {
		card = req.Rec2Token
	}
	if req.OrderReference == "" || req.Amount <= 0 || card == "" {
		return s.signResult(gateway.Result{OrderReference: req.OrderReference, Amount: req.Amount, Currency: req.Currency,
			TransactionStatus: gateway.StatusDeclined, ReasonCode: gateway.ReasonInvalidCard, Reason: "Invalid request"})
	}
	now := s.opts.Now().UTC()
	status, code, reason := Outcome(card)
	p := &Payment{Ref: req.OrderReference, Amount: req.Amount, Currency: req.Currency, Card: card,
		Status: status, ReasonCode: code, Reason: reason, Created: now, ProcessedAt: now,
		settleAt: now.Add(s.opts.Processing), TransactionTyp: gateway.TypeP2PCredit}
	if status != gateway.StatusDeclined {
		p.Fee = gateway.Amount((int64(req.Amount)*s.opts.FeeBP + 5000) / 10000)
	}
	s.payments[p.Ref] = p
	s.order = append(s.order, p)
	s.accepted++
	return s.signResult(s.resultOf(p))
}

func (s *Server) status(req gateway.Request) gateway.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Pool != nil {
		p, found, err := s.dbGet(context.Background(), req.OrderReference)
		if err != nil {
			return s.signResult(gateway.Result{OrderReference: req.OrderReference, ReasonCode: gateway.ReasonInProcessing,
				TransactionStatus: gateway.StatusInProcessing, Reason: "Temporarily unavailable"})
		}
		if !found {
			return s.signResult(gateway.Result{OrderReference: req.OrderReference, ReasonCode: gateway.ReasonNotFound, Reason: "Order not found"})
		}
		return s.signResult(s.resultOf(&p))
	}
	p, ok := s.payments[req.OrderReference]
	if !ok {
		return s.signResult(gateway.Result{OrderReference: req.OrderReference, ReasonCode: gateway.ReasonNotFound, Reason: "Order not found"})
	}
	s.settle(p)
	return s.signResult(s.resultOf(p))
}

func (s *Server) list(req gateway.Request) gateway.List {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := gateway.List{MerchantAccount: s.opts.Merchant, ReasonCode: gateway.ReasonOK, Reason: "Ok",
		DateBegin: req.DateBegin, DateEnd: req.DateEnd, Transactions: []gateway.Line{}}
	order := s.order
	if s.opts.Pool != nil {
		list, err := s.dbList(context.Background(), time.Unix(req.DateBegin, 0), time.Unix(req.DateEnd, 0))
		if err != nil {
			l.ReasonCode, l.Reason = gateway.ReasonInProcessing, "Temporarily unavailable"
			l.MerchantSignature = gateway.Sign(s.opts.Secret, l.SignatureValues()...)
			return l
		}
		order = make([]*Payment, len(list))
		for i := range list {
			order[i] = &list[i]
		}
	}
	for _, p := range order {
		s.settle(p)
		if p.Created.Unix() < req.DateBegin || p.Created.Unix() > req.DateEnd {
			continue
		}
		l.Transactions = append(l.Transactions, gateway.Line{TransactionType: p.TransactionTyp, OrderReference: p.Ref,
			Amount: p.Amount, Fee: p.Fee, Currency: p.Currency, TransactionStatus: p.Status, ReasonCode: p.ReasonCode,
			CreatedDate: p.Created.Unix(), ProcessingDate: p.ProcessedAt.Unix()})
	}
	sort.SliceStable(l.Transactions, func(i, j int) bool { return l.Transactions[i].CreatedDate < l.Transactions[j].CreatedDate })
	l.MerchantSignature = gateway.Sign(s.opts.Secret, l.SignatureValues()...)
	return l
}

func (s *Server) resultOf(p *Payment) gateway.Result {
	return gateway.Result{OrderReference: p.Ref, Amount: p.Amount, Currency: p.Currency, TransactionStatus: p.Status,
		ReasonCode: p.ReasonCode, Reason: p.Reason, Fee: p.Fee, CreatedDate: p.Created.Unix(), ProcessingDate: p.ProcessedAt.Unix()}
}

func (s *Server) signResult(r gateway.Result) gateway.Result {
	r.MerchantAccount = s.opts.Merchant
	r.MerchantSignature = gateway.Sign(s.opts.Secret, r.SignatureValues()...)
	return r
}
