package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "starttls" (required), "tls" (implicit, port 465), "opportunistic" or "none".
	TLS      string
	From     string // address
	FromName string
	Timeout  time.Duration
	// InsecureSkipVerify is for test servers with self-signed certificates only.
	InsecureSkipVerify bool
}

// ParseSMTPURL reads smtp://user:pass@host:port?tls=starttls&from=noreply@example.com&name=Postdesk
// (smtps:// means implicit TLS).
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("POSTDESK_SMTP_URL: %w", err)
	}
	c := SMTPConfig{Host: u.Hostname(), TLS: "starttls", Timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.TLS = 465, "tls"
	default:
		return SMTPConfig{}, fmt.Errorf("POSTDESK_SMTP_URL: scheme %q, want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return SMTPConfig{}, fmt.Errorf("POSTDESK_SMTP_URL: port %q", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	if t := q.Get("tls"); t != "" {
		c.TLS = t
	}
	c.From, c.FromName = q.Get("from"), q.Get("name")
	if c.Host == "" {
		return SMTPConfig{}, errors.New("POSTDESK_SMTP_URL: no host")
	}
	return c, nil
}

// SMTPMailer sends e-mail with go-mail: one connection per batch.
type SMTPMailer struct {
	Config SMTPConfig
}

func (m *SMTPMailer) client() (*mail.Client, error) {
	c := m.Config
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(c.Timeout), mail.WithHELO("postdesk")}
	switch c.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if c.InsecureSkipVerify {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{InsecureSkipVerify: true, ServerName: c.Host})) //nolint:gosec // tests only
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	return mail.NewClient(c.Host, opts...)
}

// SendMail sends the batch over one connection. A refused address fails that mail only; a
// connection that cannot be made fails them all, temporarily.
func (m *SMTPMailer) SendMail(ctx context.Context, mails []Mail) []Result {
	results := make([]Result, len(mails))
	msgs := make([]*mail.Msg, 0, len(mails))
	index := make([]int, 0, len(mails))
	for i, ml := range mails {
		msg := mail.NewMsg()
		if err := msg.FromFormat(m.Config.FromName, m.Config.From); err != nil {
			results[i] = Result{Err: fmt.Errorf("sender: %w", err)}
			continue
		}
		if err := msg.To(ml.To); err != nil {
			results[i] = Result{Err: fmt.Errorf("recipient: %w", err)}
			continue
		}
		msg.Subject(ml.Subject)
		msg.SetMessageID()
		msg.SetGenHeader("X-Postdesk-Notification", strconv.FormatInt(ml.ID, 10))
		msg.SetBodyString(mail.TypeTextPlain, ml.Text)
		if ml.HTML != "" {
			msg.AddAlternativeString(mail.TypeTextHTML, ml.HTML)
		}
		for _, f := range ml.Attachments {
			msg.AttachReadSeeker(f.Name, bytes.NewReader(f.Data), mail.WithFileContentType(mail.ContentType(f.ContentType)))
		}
		msgs = append(msgs, msg)
		index = append(index, i)
	}
	if len(msgs) == 0 {
		return results
	}
	client, err := m.client()
	if err != nil {
		for _, i := range index {
			results[i] = Result{Err: err}
		}
		return results
	}
	sendErr := client.DialAndSendWithContext(ctx, msgs...)
	for k, msg := range msgs {
		i := index[k]
		switch {
		case msg.HasSendError():
			results[i] = Result{Err: msg.SendError(), Temporary: msg.SendErrorIsTemp()}
		case msg.IsDelivered():
			results[i] = Result{ProviderID: msg.GetMessageID()}
		case sendErr != nil:
			results[i] = Result{Err: sendErr, Temporary: true}
		default:
			results[i] = Result{Err: errors.New("not delivered"), Temporary: true}
		}
	}
	return results
}
