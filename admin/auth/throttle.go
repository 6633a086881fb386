package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
)

// Log-in throttling. Failures are counted per address and per address + e-mail, whether or not
// the e-mail belongs to staff, so the answer never tells who is staff; and only from the address
// that failed, so nobody can lock a colleague out from elsewhere. (The route's limiter in
// admin/server.go also caps failures per address.)
const (
	ThrottleWindow  = 15 * time.Minute
	MaxPerAddress   = 30 // failures from one address, any e-mails
	MaxPerPair      = 5  // failures from one address for one e-mail (or one pending second factor)
	throttleKeepFor = 24 * time.Hour
)

func addressKey(ip string) string { return "ip:" + ip }

func pairKey(ip, email string) string {
	h := sha256.Sum256([]byte(ip + "\x00" + email))
	return "pair:" + hex.EncodeToString(h[:16])
}

// throttled tells whether the address, or the address with this e-mail, has failed too often.
func (s *Service) throttled(ctx context.Context, q db.Querier, ip, email string) error {
	var perAddress, perPair int
	err := q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE key = $1), count(*) FILTER (WHERE key = $2)
		FROM login_failures WHERE key IN ($1, $2) AND at > $3`,
		addressKey(ip), pairKey(ip, email), s.now().Add(-ThrottleWindow)).Scan(&perAddress, &perPair)
	if err != nil {
		return err
	}
	if perAddress >= MaxPerAddress || perPair >= MaxPerPair {
		return &apperr.Error{Code: apperr.TooMany, Message: "auth.throttled", Args: map[string]any{"Minutes": int(ThrottleWindow.Minutes())}}
	}
	return nil
}

// failed counts one failure for the address and for the address with this e-mail, and forgets
// failures older than a day.
func (s *Service) failed(ctx context.Context, q db.Querier, ip, email string) error {
	now := s.now()
	_, err := q.Exec(ctx, `WITH old AS (DELETE FROM login_failures WHERE key IN ($1, $2) AND at < $4)
		INSERT INTO login_failures (key, at) VALUES ($1, $3), ($2, $3)`,
		addressKey(ip), pairKey(ip, email), now, now.Add(-throttleKeepFor))
	return err
}
