// Package config reads Postdesk's settings from flags and environment variables, with working defaults.
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
	Addr          string
	DataDir       string
	TZ            *time.Location
	Currency      string
	Lang          string
	SessionSecret string
	SecureCookies bool
	// Workers is how many River workers run in this process (serve and worker).
	Workers int

	tzName string
}

// Lookup returns an environment variable, or def when it is unset or empty.
func Lookup(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

// Flags registers the flags on fs with defaults from the environment. Call Finish after fs.Parse.
func Flags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.DatabaseURL, "database-url", Lookup("DATABASE_URL", ""), "PostgreSQL URL; empty starts a local server under the data folder (env DATABASE_URL)")
	fs.StringVar(&c.Addr, "addr", Lookup("POSTDESK_ADDR", "127.0.0.1:8080"), "HTTP listen address (env POSTDESK_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", Lookup("POSTDESK_DATA_DIR", "var"), "data folder: local PostgreSQL, session secret, files (env POSTDESK_DATA_DIR)")
	fs.StringVar(&c.Currency, "currency", Lookup("POSTDESK_CURRENCY", "UAH"), "deployment currency, ISO 4217 (env POSTDESK_CURRENCY)")
	fs.StringVar(&c.Lang, "lang", Lookup("POSTDESK_LANG", "uk"), "default UI language: uk, ru or en (env POSTDESK_LANG)")
	fs.StringVar(&c.SessionSecret, "session-secret", Lookup("POSTDESK_SESSION_SECRET", ""), "cookie encryption key, 32 bytes base64; generated into the data folder when empty (env POSTDESK_SESSION_SECRET)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", Lookup("POSTDESK_SECURE_COOKIES", "") == "true", "mark cookies Secure (set when served over TLS) (env POSTDESK_SECURE_COOKIES)")
	fs.IntVar(&c.Workers, "workers", 10, "River workers in this process")
	fs.StringVar(&c.tzName, "tz", Lookup("POSTDESK_TZ", "Europe/Kyiv"), "platform time zone for deadlines and pages (env POSTDESK_TZ)")
	c.TZ = time.UTC
	return c
}

// Finish validates the parsed values and fills in derived ones.
func (c *Config) Finish() error {
	loc, err := time.LoadLocation(c.tzName)
	if err != nil {
		return fmt.Errorf("POSTDESK_TZ %q: %w", c.tzName, err)
	}
	c.TZ = loc
	switch c.Lang {
	case "uk", "ru", "en":
	default:
		return fmt.Errorf("POSTDESK_LANG %q: want uk, ru or en", c.Lang)
	}
	if len(c.Currency) != 3 {
		return fmt.Errorf("POSTDESK_CURRENCY %q: want an ISO 4217 code such as UAH or KZT", c.Currency)
	}
	c.Currency = strings.ToUpper(c.Currency)
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
