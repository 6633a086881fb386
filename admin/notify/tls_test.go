package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/notify"
)

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// authSession accepts mail only after STARTTLS and AUTH PLAIN with the right password.
type authSession struct {
	conn   *smtp.Conn
	authed bool
	got    chan string
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "postdesk" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *authSession) Mail(string, *smtp.MailOptions) error {
	if _, tlsOn := s.conn.TLSConnectionState(); !tlsOn || !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *authSession) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	s.got <- string(b)
	return nil
}
func (s *authSession) Reset()        {}
func (s *authSession) Logout() error { return nil }

// E-mail goes over STARTTLS with authentication; wrong credentials fail without retries.
func TestSMTPWithSTARTTLSAndAuth(t *testing.T) {
	t.Parallel()
	got := make(chan string, 4)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &authSession{conn: c, got: got}, nil }))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)

	raw := "smtp://postdesk:s3cret@127.0.0.1:" + port + "?tls=starttls&from=noreply@postdesk.test&name=Postdesk"
	cfg, err := notify.ParseSMTPURL(raw)
	require.NoError(t, err)
	require.Equal(t, notify.SMTPConfig{Host: "127.0.0.1", Port: p, Username: "postdesk", Password: "s3cret", TLS: "starttls",
		From: "noreply@postdesk.test", FromName: "Postdesk", Timeout: 30 * time.Second}, cfg)
	cfg.InsecureSkipVerify = true // the test's own certificate
	m := &notify.SMTPMailer{Config: cfg}
	res := m.SendMail(context.Background(), []notify.Mail{{ID: 1, To: "olena@example.com", Subject: "Привіт", Text: "Текст"}})
	require.NoError(t, res[0].Err)
	require.NotEmpty(t, res[0].ProviderID)
	select {
	case data := <-got:
		require.Contains(t, data, "X-Postdesk-Notification: 1")
	case <-time.After(5 * time.Second):
		t.Fatal("nothing delivered")
	}

	cfg.Password = "wrong"
	res = (&notify.SMTPMailer{Config: cfg}).SendMail(context.Background(), []notify.Mail{{ID: 2, To: "olena@example.com", Subject: "s", Text: "t"}})
	require.Error(t, res[0].Err)

	// A server that does not offer TLS is refused when TLS is required.
	plain := newMailServer(t)
	pm := plain.mailer()
	pm.Config.TLS = "starttls"
	res = pm.SendMail(context.Background(), []notify.Mail{{ID: 3, To: "a@example.com", Subject: "s", Text: "t"}})
	require.Error(t, res[0].Err)
	require.Empty(t, plain.messages())
}
