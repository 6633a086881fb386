package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/jobs"
)

// mailServer is a real SMTP server (go-smtp) on loopback that keeps what it receives and can be
// told to refuse addresses, temporarily (4xx) a number of times or permanently (5xx).
type mailServer struct {
	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	got      []received
	tempFail map[string]int // address -> how many more times to answer 451
	reject   map[string]bool
	count    atomic.Int64
}

type received struct {
	from string
	to   []string
	data string
}

func newMailServer(t testing.TB) *mailServer {
	t.Helper()
	m := &mailServer{tempFail: map[string]int{}, reject: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.addr = ln.Addr().String()
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }))
	m.srv.Domain = "localhost"
	go func() { _ = m.srv.Serve(ln) }()
	t.Cleanup(func() { _ = m.srv.Close() })
	return m
}

func (m *mailServer) mailer() *notify.SMTPMailer {
	host, port, _ := net.SplitHostPort(m.addr)
	p, _ := strconv.Atoi(port) // the listener's own port: always a number
	return &notify.SMTPMailer{Config: notify.SMTPConfig{Host: host, Port: p, TLS: "none", From: "noreply@postdesk.test", FromName: "Postdesk", Timeout: 10 * time.Second}}
}

func (m *mailServer) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

type mailSession struct {
	m    *mailServer
	from string
	to   []string
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.reject[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	if s.m.tempFail[to] > 0 {
		s.m.tempFail[to]--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.count.Add(1)
	s.m.mu.Lock()
	s.m.got = append(s.m.got, received{from: s.from, to: s.to, data: string(b)})
	s.m.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// smsServer is an SMS provider's HTTP API on loopback: it answers 503 a set number of times per
// number, 400 for refused numbers, and otherwise 200 with an id.
type smsServer struct {
	*httptest.Server
	mu       sync.Mutex
	got      []map[string]string
	failures map[string]int
	refuse   map[string]bool
}

func newSMSServer(t testing.TB) *smsServer {
	s := &smsServer{failures: map[string]int{}, refuse: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sms-token" {
			http.Error(w, `{"error":"unauthorised"}`, http.StatusUnauthorized)
			return
		}
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		to := body["to"]
		if s.refuse[to] {
			http.Error(w, `{"error":"invalid number"}`, http.StatusBadRequest)
			return
		}
		if s.failures[to] > 0 {
			s.failures[to]--
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		s.got = append(s.got, body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"sms-%d"}`, len(s.got))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *smsServer) sender() *notify.HTTPSMS {
	return &notify.HTTPSMS{URL: s.URL + "/send", Token: "sms-token", Sender: "Postdesk"}
}

func (s *smsServer) messages() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]string(nil), s.got...)
}

type fixture struct {
	pool *pgxpool.Pool
	ctx  context.Context // carries the River client EnqueueTx queues deliveries with
	n    atomic.Int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	// An insert-only River client: EnqueueTx queues delivery jobs with it.
	client, err := jobs.New(pool, jobs.Options{})
	require.NoError(t, err)
	return &fixture{pool: pool, ctx: enqueue.With(context.Background(), client)}
}

// account adds an account with an e-mail and a phone, in lang, with the given consents.
func (f *fixture) account(t testing.TB, lang string, consentEmail, consentSMS bool) int64 {
	t.Helper()
	n := f.n.Add(1)
	var id int64
	require.NoError(t, f.pool.QueryRow(context.Background(), `
		INSERT INTO accounts (kind, name, phone, email, lang, consent_email, consent_sms) VALUES ('client', $1, $2, $3, $4, $5, $6) RETURNING id`,
		fmt.Sprintf("Client %d", n), fmt.Sprintf("+38067%07d", n), fmt.Sprintf("c%d@example.com", n), lang, consentEmail, consentSMS).Scan(&id))
	return id
}

func (f *fixture) enqueue(t testing.TB, n notify.Notice) []notify.ID {
	t.Helper()
	var ids []notify.ID
	require.NoError(t, pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) (err error) {
		ids, err = notify.EnqueueTx(f.ctx, tx, n)
		return err
	}))
	return ids
}

func (f *fixture) row(t testing.TB, id notify.ID) notify.Row {
	t.Helper()
	r, err := notify.Get(context.Background(), f.pool, id)
	require.NoError(t, err)
	return r
}

// due makes the rows due now (a retry's wait is the worker's business, not the test's).
func (f *fixture) due(t testing.TB, ids []notify.ID) {
	_, err := f.pool.Exec(context.Background(), `UPDATE notifications SET next_attempt_at = now() WHERE id = ANY ($1)`, ids)
	require.NoError(t, err)
}

func (f *fixture) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}
