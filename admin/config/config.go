// Package config reads Postdesk's settings from flags and environment variables, with working
// defaults. Every option is one row of the table in options.go; nothing else in the portal reads
// the environment, and the README's configuration tables are checked against the table.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // the platform's zone must resolve on machines without a zoneinfo database
)

// Config is everything a Postdesk process needs to start.
type Config struct {
	DatabaseURL   string // empty: start the project's own PostgreSQL under DataDir
	MigrateURL    string // the schema owner's connection for migrations; empty: DatabaseURL
	Addr          string
	DataDir       string
	TZ            *time.Location
	Currency      string
	Lang          string
	SessionSecret string
	SecureCookies bool
	// Workers is how many River workers run in this process (serve and worker).
	Workers int

	// Behind a reverse proxy: the header carrying the client's address and the proxies trusted to set it.
	ProxyHeader    string
	TrustedProxies []string

	// BlobURL is where generated files and attachments go (any gocloud.dev/blob URL); empty: files/
	// under DataDir.
	BlobURL string

	// The outbox's providers: SMTP (empty: the built-in catcher on MailCatcher) and SMS (empty: a sink).
	SMTPURL        string
	MailFrom       string
	MailName       string
	MailCatcher    string
	SMSURL         string
	SMSToken       string
	SMSSender      string
	NotifyBulkRate float64 // news and advertising notices per second per worker process

	// The payment gateway (empty URL: the built-in sandbox).
	GatewayURL      string
	GatewayMerchant string
	GatewaySecret   string
	GatewayTimeout  time.Duration
	// PayoutTimeout bounds one run of the payment job; JobRescueAfter is when River hands a job
	// whose process died to another worker (longer than every job's timeout).
	PayoutTimeout  time.Duration
	JobRescueAfter time.Duration

	// ComplaintsIMAP is the complaints mailbox (empty: no intake).
	ComplaintsIMAP string

	raw map[string]*string // option name → the value given by flag, environment or default
}

// Flags registers every option that has a flag on fs, with its default taken from the environment.
// Call Finish after fs.Parse.
func Flags(fs *flag.FlagSet) *Config {
	c := &Config{raw: map[string]*string{}, TZ: time.UTC}
	for _, o := range Options() {
		v := o.Default
		if o.Env != "" {
			v = lookup(o.Env, o.Default)
		}
		p := &v
		c.raw[o.key()] = p
		if o.Flag != "" {
			usage := o.Meaning
			if o.Env != "" {
				usage += " (env " + o.Env + ")"
			}
			fs.StringVar(p, o.Flag, v, usage)
		}
	}
	return c
}

// Finish parses the values into the Config, validates them and fills in derived ones.
func (c *Config) Finish() error {
	for _, o := range Options() {
		if err := o.set(c, strings.TrimSpace(*c.raw[o.key()])); err != nil {
			return fmt.Errorf("%s %q: %w", o.name(), *c.raw[o.key()], err)
		}
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = abs
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return err
	}
	if c.SessionSecret == "" {
		if c.SessionSecret, err = loadOrCreateSecret(filepath.Join(c.DataDir, "session.key")); err != nil {
			return err
		}
	}
	return nil
}

// DataDirDefault is the data folder the environment names (or the default), for commands that
// need nothing else (postdesk pg).
func DataDirDefault() string { return lookup("POSTDESK_DATA_DIR", "var") }

// lookup returns an environment variable, or def when it is unset or empty.
func lookup(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

// loadOrCreateSecret keeps a generated secret in the data folder so sessions survive restarts.
func loadOrCreateSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw)
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}
