package auth

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"image/png"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/staff"
)

// Two-factor log-in: TOTP (RFC 6238: six digits, 30-second steps, SHA-1, as every authenticator
// app reads it) with ten one-time recovery codes.
const (
	// FreshFor is how long a checked second factor counts as fresh for sensitive actions.
	FreshFor = 5 * time.Minute
	// PendingFor is how long a right password waits for its code.
	PendingFor = 5 * time.Minute
	// RecoveryCodeCount codes are made at each enrolment.
	RecoveryCodeCount = 10
	issuer            = "Postdesk"
)

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Secrets at rest: the TOTP secret is sealed with AES-256-GCM under a key derived from the
// portal's session secret, which lives outside the database (a file or the environment), so a
// copy of the database alone does not give anyone the codes. Changing the session secret makes
// every enrolment unreadable: members then log in with a recovery code, or an administrator
// resets their enrolment.
func (s *Service) sealKey() []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("postdesk/totp-secret/v1"))
	return m.Sum(nil)
}

func (s *Service) seal(plain string) ([]byte, error) {
	block, err := aes.NewCipher(s.sealKey())
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, []byte(plain), nil), nil
}

func (s *Service) unseal(sealed []byte) (string, error) {
	block, err := aes.NewCipher(s.sealKey())
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	if len(sealed) < gcm.NonceSize() {
		return "", errors.New("auth: sealed secret too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], nil)
	return string(plain), err
}

// Enrolment is a new secret waiting for its first code: the QR code (a PNG data URL) and the
// secret written out, for apps that cannot scan.
type Enrolment struct {
	QR     string
	Secret string
}

// beginEnrolment makes a new secret for a member not yet enrolled and keeps it, sealed, until a
// code confirms it.
func (s *Service) beginEnrolment(ctx context.Context, st staff.Staff) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: st.Email, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, err
	}
	sealed, err := s.seal(key.Secret())
	if err != nil {
		return Enrolment{}, err
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE staff SET totp_secret = $2, totp_last_step = 0 WHERE id = $1 AND totp_enabled_at IS NULL`, st.ID, sealed)
	if err != nil {
		return Enrolment{}, err
	}
	if tag.RowsAffected() == 0 {
		return Enrolment{}, apperr.New(apperr.Conflict, "auth.2fa_already")
	}
	return enrolmentOf(key)
}

func enrolmentOf(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(220, 220)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), Secret: key.Secret()}, nil
}

// waitingEnrolment shows again the secret waiting for its first code (after a wrong one).
func (s *Service) waitingEnrolment(ctx context.Context, st staff.Staff) (Enrolment, error) {
	var sealed []byte
	if err := s.Pool.QueryRow(ctx, `SELECT totp_secret FROM staff WHERE id = $1 AND totp_enabled_at IS NULL`, st.ID).Scan(&sealed); err != nil || sealed == nil {
		return Enrolment{}, apperr.New(apperr.Conflict, "auth.2fa_start_again")
	}
	secret, err := s.unseal(sealed)
	if err != nil {
		return Enrolment{}, apperr.New(apperr.Conflict, "auth.2fa_start_again")
	}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + st.Email,
		RawQuery: url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return Enrolment{}, err
	}
	return enrolmentOf(key)
}

// confirmEnrolment turns the waiting secret on when code matches it, and returns the recovery
// codes, in plain text this once.
func (s *Service) confirmEnrolment(ctx context.Context, id staff.ID, code string) (codes []string, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var sealed []byte
		var enabled *time.Time
		var last int64
		if err := tx.QueryRow(ctx, `SELECT totp_secret, totp_enabled_at, totp_last_step FROM staff WHERE id = $1 FOR UPDATE`, id).
			Scan(&sealed, &enabled, &last); err != nil {
			return err
		}
		if enabled != nil {
			return apperr.New(apperr.Conflict, "auth.2fa_already")
		}
		if sealed == nil {
			return apperr.InvalidField("code", "auth.2fa_start_again")
		}
		secret, err := s.unseal(sealed)
		if err != nil {
			return apperr.InvalidField("code", "auth.2fa_start_again")
		}
		step, ok := matchStep(secret, code, s.now(), last)
		if !ok {
			return apperr.InvalidField("code", "auth.code_wrong")
		}
		if _, err := tx.Exec(ctx, `UPDATE staff SET totp_enabled_at = $2, totp_last_step = $3 WHERE id = $1`, id, s.now(), step); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "staff.two_factor_enrolled", "staff", id, nil, nil)
	})
	return codes, err
}

func newRecoveryCodes(ctx context.Context, tx pgx.Tx, id staff.ID) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM staff_recovery_codes WHERE staff_id = $1`, id); err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		raw := randomCode(10)
		codes[i] = raw[:5] + "-" + raw[5:]
		h, err := argon2id.CreateHash(raw, staff.HashParams)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	_, err := tx.Exec(ctx, `INSERT INTO staff_recovery_codes (staff_id, code_hash) SELECT $1, unnest($2::text[])`, id, hashes)
	return codes, err
}

// randomCode is n characters without look-alikes (about 5 bits each).
func randomCode(n int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// matchStep finds the time step (now, or one either side for clock drift) whose code is code,
// later than the last one accepted, so each code is good once.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / int64(totpOpts.Period)
	for _, step := range []int64{cur - 1, cur, cur + 1} {
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*int64(totpOpts.Period), 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// verifySecondFactor checks a code from the authenticator app, or else a recovery code (used up
// by it). It says which one worked: "totp" or "recovery".
func (s *Service) verifySecondFactor(ctx context.Context, id staff.ID, code string) (method string, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var sealed []byte
		var last int64
		err := tx.QueryRow(ctx, `SELECT totp_secret, totp_last_step FROM staff WHERE id = $1 AND totp_enabled_at IS NOT NULL FOR UPDATE`, id).Scan(&sealed, &last)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.InvalidField("code", "auth.code_wrong")
		}
		if err != nil {
			return err
		}
		if secret, err := s.unseal(sealed); err == nil {
			if step, ok := matchStep(secret, code, s.now(), last); ok {
				method = "totp"
				_, err := tx.Exec(ctx, `UPDATE staff SET totp_last_step = $2 WHERE id = $1`, id, step)
				return err
			}
		}
		raw := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
		if len(raw) != 10 {
			return apperr.InvalidField("code", "auth.code_wrong")
		}
		rows, err := tx.Query(ctx, `SELECT id, code_hash FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, id)
		if err != nil {
			return err
		}
		var codeID int64
		var hash string
		var found int64
		_, err = pgx.ForEachRow(rows, []any{&codeID, &hash}, func() error {
			if found == 0 {
				if ok, _ := argon2id.ComparePasswordAndHash(raw, hash); ok {
					found = codeID
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if found == 0 {
			return apperr.InvalidField("code", "auth.code_wrong")
		}
		method = "recovery"
		if _, err := tx.Exec(ctx, `UPDATE staff_recovery_codes SET used_at = $2 WHERE id = $1`, found, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "staff.recovery_code_used", "staff", id, nil, nil)
	})
	return method, err
}

// recoveryCodesLeft counts the member's unused recovery codes.
func (s *Service) recoveryCodesLeft(ctx context.Context, id staff.ID) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, id).Scan(&n)
	return n, err
}
