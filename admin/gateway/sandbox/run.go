package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/gateway"
)

// Run starts a sandbox on a free localhost port with a fresh secret and returns the client
// configuration that talks to it: what serve uses when no real gateway is configured. With a pool
// its records live in PostgreSQL, so it remembers what it accepted across restarts and the
// sandboxes of several processes on one database act as one gateway.
func Run(currency string, pool *pgxpool.Pool) (*Server, gateway.Config, error) {
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	o := Options{Merchant: "postdesk_sandbox", Secret: hex.EncodeToString(raw), Pool: pool}
	s := New(o)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		return nil, gateway.Config{}, err
	}
	return s, gateway.Config{URL: url, Merchant: o.Merchant, Secret: o.Secret, Currency: currency, Timeout: 10 * time.Second}, nil
}
