package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Catcher is a small SMTP server built into the binary. With no mail server configured (the
// default in make run) notices go to it through the real SMTP client, and staff read what it
// caught at /notifications/caught: the whole flow works with no outside service.
type Catcher struct {
	Addr string
	srv  *smtp.Server
}

// StartCatcher listens on addr (falling back to any free loopback port when it is taken).
func StartCatcher(pool *pgxpool.Pool, addr string, log *slog.Logger) (*Catcher, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &catcherSession{pool: pool}, nil
	}))
	srv.Domain = "postdesk.local"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			log.Error("mail catcher stopped", "err", err)
		}
	}()
	return &Catcher{Addr: ln.Addr().String(), srv: srv}, nil
}

// Close stops the catcher.
func (c *Catcher) Close() error { return c.srv.Close() }

type catcherSession struct {
	pool *pgxpool.Pool
	from string
	to   []string
}

func (s *catcherSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *catcherSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *catcherSession) Reset()        { s.from, s.to = "", nil }
func (s *catcherSession) Logout() error { return nil }

func (s *catcherSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	subject, body := readMail(raw)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = s.pool.Exec(ctx, `INSERT INTO caught_messages (channel, sender, recipients, subject, body, raw) VALUES ('email', $1, $2, $3, $4, $5)`,
		s.from, s.to, subject, body, raw)
	if err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot store the message now"}
	}
	return nil
}

// readMail returns a message's decoded subject and plain-text body.
func readMail(raw []byte) (string, string) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", string(raw)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	return subject, textPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func textPart(contentType, encoding string, body io.Reader) string {
	mt, params, _ := mime.ParseMediaType(contentType)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		first := ""
		for {
			p, err := mr.NextPart()
			if err != nil {
				return first
			}
			t := textPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt == "text/plain" || strings.HasPrefix(pt, "multipart/") {
				return t
			}
			if first == "" {
				first = t
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}

// SMSSink stands in for an SMS provider when none is configured: it keeps each message in the
// same table the mail catcher uses.
type SMSSink struct {
	Pool   *pgxpool.Pool
	Sender string
}

// SendSMS records the message.
func (s *SMSSink) SendSMS(ctx context.Context, m SMSMessage) Result {
	var id int64
	err := s.Pool.QueryRow(ctx, `INSERT INTO caught_messages (channel, sender, recipients, body) VALUES ('sms', $1, $2, $3) RETURNING id`,
		s.Sender, []string{m.To}, m.Text).Scan(&id)
	if err != nil {
		return Result{Err: err, Temporary: true}
	}
	return Result{ProviderID: "sink-" + strconv.FormatInt(id, 10)}
}

// Settings are the outbox's providers, from the portal's configuration (admin/config).
type Settings struct {
	SMTPURL     string // empty: the built-in catcher on MailCatcher
	MailFrom    string
	MailName    string
	MailCatcher string
	SMSURL      string // empty: the SMS sink
	SMSToken    string
	SMSSender   string
	BulkRate    float64 // news and advertising notices per second per process
	Loc         *time.Location
}

// Setup builds this process's delivery: a real SMTP server or the built-in catcher, a real SMS
// provider or the sink. The returned stop closes the catcher, if one was started.
func Setup(pool *pgxpool.Pool, log *slog.Logger, set Settings) (*Delivery, func(), error) {
	d := &Delivery{Log: log, Loc: set.Loc}
	stop := func() {}
	if set.SMTPURL != "" {
		c, err := ParseSMTPURL(set.SMTPURL)
		if err != nil {
			return nil, stop, err
		}
		if c.From == "" {
			c.From = set.MailFrom
		}
		if c.FromName == "" {
			c.FromName = set.MailName
		}
		d.Mail = &SMTPMailer{Config: c}
	} else {
		c, err := StartCatcher(pool, set.MailCatcher, log)
		if err != nil {
			return nil, stop, err
		}
		host, port, _ := net.SplitHostPort(c.Addr)
		p, _ := strconv.Atoi(port)
		d.Mail = &SMTPMailer{Config: SMTPConfig{Host: host, Port: p, TLS: "none", From: set.MailFrom, FromName: set.MailName, Timeout: 30 * time.Second}}
		stop = func() { _ = c.Close() }
		log.Info("e-mail goes to the built-in catcher (see /notifications/caught); set POSTDESK_SMTP_URL for a real server", "addr", c.Addr)
	}
	if set.SMSURL != "" {
		d.SMS = &HTTPSMS{URL: set.SMSURL, Token: set.SMSToken, Sender: set.SMSSender}
	} else {
		d.SMS = &SMSSink{Pool: pool, Sender: set.SMSSender}
	}
	d.BulkRate = set.BulkRate
	if d.BulkRate <= 0 {
		d.BulkRate = 50
	}
	return d, stop, nil
}
