package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DeliverArgs is the River job that sends one delivery (jobs/webhooks.go). webhook_enqueue in
// migration 014 inserts it with the same JSON.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

func (DeliverArgs) Kind() string { return "webhook_deliver" }

// Queue is the River queue deliveries run in: a slow receiver does not hold up other jobs.
const Queue = "webhooks"

// Sender sends deliveries and records every attempt.
type Sender struct {
	Pool   *pgxpool.Pool
	Policy Policy
	// Client sends the requests; nil builds one that refuses private addresses (unless the policy
	// allows the loopback), follows no redirects and gives up after Timeout.
	Client  *http.Client
	Timeout time.Duration
	Now     func() time.Time
	// UserAgent names the platform to receivers.
	UserAgent string

	once sync.Once // builds the default client for concurrent workers
}

// Backoff is the wait after the n-th failed attempt: quick at first, then spread over a day.
func Backoff(attempt int) time.Duration {
	steps := []time.Duration{5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}
	if attempt < 1 {
		attempt = 1
	}
	return steps[min(attempt, len(steps))-1]
}

// ErrRetry says a delivery failed and will be tried again (River schedules the next attempt).
var ErrRetry = errors.New("webhooks: delivery failed; will retry")

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) client() *http.Client {
	s.once.Do(func() {
		if s.Client == nil {
			s.Client = s.defaultClient()
		}
	})
	return s.Client
}

func (s *Sender) defaultClient() *http.Client {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	allowLoopback := s.Policy.AllowLoopbackHTTP
	dialer := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return fmt.Errorf("webhooks: %s is not an address", host)
		}
		if allowLoopback && ip.IsLoopback() {
			return nil
		}
		if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() {
			return fmt.Errorf("webhooks: %s is not a public address", ip)
		}
		return nil
	}}
	return &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: timeout, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type claim struct {
	id, endpoint             int64
	msgID, body, url, secret string
	previous                 *string
	previousUntil            *time.Time
	attempts, maxAttempts    int
	endpointGone             bool
}

// Deliver makes one attempt at delivery id. It returns nil when the delivery is done (sent, or
// failed for good, or not due: a job that runs twice sends nothing twice), and ErrRetry when River
// should try again.
func (s *Sender) Deliver(ctx context.Context, id int64) error {
	now := s.now()
	var c claim
	err := s.Pool.QueryRow(ctx, `
		UPDATE webhook_deliveries d SET status = 'sending', attempts = d.attempts + 1, next_attempt_at = $2::timestamptz + interval '1 minute'
		FROM webhook_endpoints e
		WHERE d.id = $1 AND e.id = d.endpoint_id
		  AND (d.status IN ('pending', 'retry') OR d.status = 'sending' AND d.next_attempt_at < $2)
		RETURNING d.id, d.endpoint_id, d.msg_id, d.body, e.url, e.secret, e.previous_secret, e.previous_until, d.attempts, d.max_attempts,
			e.deleted_at IS NOT NULL OR e.disabled_at IS NOT NULL`, id, now).
		Scan(&c.id, &c.endpoint, &c.msgID, &c.body, &c.url, &c.secret, &c.previous, &c.previousUntil, &c.attempts, &c.maxAttempts, &c.endpointGone)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.endpointGone {
		return s.record(ctx, c, attempt{err: "endpoint removed"}, true)
	}
	a := s.send(ctx, c, now)
	return s.record(ctx, c, a, false)
}

type attempt struct {
	code     int
	ok       bool
	err      string
	response string
	ms       int
}

// send signs and posts the body.
func (s *Sender) send(ctx context.Context, c claim, now time.Time) attempt {
	if err := s.Policy.CheckURL(c.url); err != nil {
		return attempt{err: "the endpoint's address is not allowed"}
	}
	ts := now.Unix()
	body := []byte(c.body)
	sig, err := Sign(c.secret, c.msgID, ts, body)
	if err != nil {
		return attempt{err: "signing: " + err.Error()}
	}
	if c.previous != nil && c.previousUntil != nil && now.Before(*c.previousUntil) {
		old, err := Sign(*c.previous, c.msgID, ts, body)
		if err == nil {
			sig += " " + old
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return attempt{err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderID, c.msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	ua := s.UserAgent
	if ua == "" {
		ua = "Postdesk-Webhooks/1"
	}
	req.Header.Set("User-Agent", ua)
	start := time.Now()
	resp, err := s.client().Do(req)
	ms := int(time.Since(start).Milliseconds())
	if err != nil {
		return attempt{err: err.Error(), ms: ms}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
	a := attempt{code: resp.StatusCode, ok: resp.StatusCode >= 200 && resp.StatusCode < 300, response: string(bytes.ToValidUTF8(excerpt, nil)), ms: ms}
	if !a.ok {
		a.err = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return a
}

// record writes the attempt and the delivery's new state.
func (s *Sender) record(ctx context.Context, c claim, a attempt, final bool) error {
	now := s.now()
	status := "sent"
	next := now
	switch {
	case a.ok:
	case final || c.attempts >= c.maxAttempts:
		status = "failed"
	default:
		status = "retry"
		next = now.Add(Backoff(c.attempts))
	}
	var code *int
	if a.code != 0 {
		code = &a.code
	}
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, at, code, ok, error, response, ms) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.id, now, code, a.ok, a.err, a.response, a.ms); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, last_code = $4, last_error = $5,
			sent_at = CASE WHEN $2 = 'sent' THEN $6::timestamptz END WHERE id = $1`, c.id, status, next, code, a.err, now)
		return err
	})
	if err != nil {
		return err
	}
	if status == "retry" {
		return ErrRetry
	}
	return nil
}
