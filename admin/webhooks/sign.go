package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks scheme (https://www.standardwebhooks.com): every delivery carries
//
//	webhook-id:        the message id (the same on every attempt and resend)
//	webhook-timestamp: Unix seconds when this attempt was signed
//	webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed by the secret's bytes>
//
// space-separated when more than one secret signs (a rotation's overlap). The secret is
// "whsec_" + base64 of 32 random bytes; the key is those bytes.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	SecretPrefix    = "whsec_"
)

// Tolerance is how far a receiver accepts a timestamp from its own clock: an older one is a replay.
const Tolerance = 5 * time.Minute

// NewSecret makes a fresh signing secret.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

func secretKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
}

// Sign is one signature, "v1,<base64>", of the message id, timestamp and body.
func Sign(secret, msgID string, ts int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Errors a receiver gets from Verify.
var (
	ErrMissingHeaders = errors.New("webhooks: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrTimestamp      = errors.New("webhooks: timestamp outside the tolerance (a replay, or a clock far off)")
	ErrSignature      = errors.New("webhooks: no signature matches")
)

// Verify is what a receiver does with a delivery: the timestamp must be within Tolerance of now
// (so a captured delivery cannot be replayed later) and one of the signatures must be the
// secret's over id.timestamp.body, compared in constant time.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	want, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrSignature
}
