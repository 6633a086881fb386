package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/postdesk/postdesk/admin/gateway"
)

// Run starts a sandbox on a free localhost port with a fresh secret and returns the client
// configuration that talks to it: what serve uses when no real gateway is configured.
func Run(currency string) (*Server, gateway.Config, error) {
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	o := Options{Merchant: "postdesk_sandbox", Secret: hex.EncodeToString(raw)}
	s := New(o)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		return nil, gateway.Config{}, err
	}
	return s, gateway.Config{URL: url, Merchant: o.Merchant, Secret: o.Secret, Currency: currency, Timeout: 10 * time.Second}, nil
}
