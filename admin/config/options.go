package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Option is one setting: its environment variable and flag (either may be empty), its default,
// what it means, and how its text becomes a field of Config.
type Option struct {
	Env     string
	Flag    string
	Default string
	Meaning string
	set     func(c *Config, v string) error
}

func (o Option) key() string { return o.Env + "|" + o.Flag }

func (o Option) name() string {
	if o.Env != "" {
		return o.Env
	}
	return "-" + o.Flag
}

// Options is the table of every option, in the order the README lists them.
func Options() []Option {
	return []Option{
		{Env: "DATABASE_URL", Flag: "database-url", Meaning: "PostgreSQL URL; empty starts the project's own server under the data folder",
			set: str(func(c *Config) *string { return &c.DatabaseURL })},
		{Env: "POSTDESK_MIGRATE_URL", Flag: "migrate-url", Meaning: "PostgreSQL URL of the schema's owner, for migrations and the demo seed; empty uses DATABASE_URL for both",
			set: str(func(c *Config) *string { return &c.MigrateURL })},
		{Env: "POSTDESK_ADDR", Flag: "addr", Default: "127.0.0.1:8080", Meaning: "HTTP listen address",
			set: str(func(c *Config) *string { return &c.Addr })},
		{Env: "POSTDESK_DATA_DIR", Flag: "data-dir", Default: "var", Meaning: "local PostgreSQL, the generated session secret, files",
			set: str(func(c *Config) *string { return &c.DataDir })},
		{Env: "POSTDESK_TZ", Flag: "tz", Default: "Europe/Kyiv", Meaning: "platform time zone for deadlines and pages (tz database embedded)",
			set: func(c *Config, v string) error {
				loc, err := time.LoadLocation(v)
				c.TZ = loc
				return err
			}},
		{Env: "POSTDESK_CURRENCY", Flag: "currency", Default: "UAH", Meaning: "deployment currency (amounts are integer minor units)",
			set: func(c *Config, v string) error {
				if len(v) != 3 {
					return fmt.Errorf("want an ISO 4217 code such as UAH or KZT")
				}
				c.Currency = strings.ToUpper(v)
				return nil
			}},
		{Env: "POSTDESK_LANG", Flag: "lang", Default: "uk", Meaning: "default UI language before log-in (uk, ru, en; each user picks their own)",
			set: func(c *Config, v string) error {
				switch v {
				case "uk", "ru", "en":
					c.Lang = v
					return nil
				}
				return fmt.Errorf("want uk, ru or en")
			}},
		{Env: "POSTDESK_SESSION_SECRET", Flag: "session-secret", Meaning: "key for CSRF tokens and sealed secrets; generated into the data folder when empty; set the same value on every process",
			set: str(func(c *Config) *string { return &c.SessionSecret })},
		{Env: "POSTDESK_SECURE_COOKIES", Flag: "secure-cookies", Default: "false", Meaning: "set true when served over TLS (Secure cookies, HSTS)",
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(v)
				c.SecureCookies = b
				return err
			}},
		{Flag: "workers", Default: "10", Meaning: "River workers in this process",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err == nil && n < 1 {
					err = fmt.Errorf("want at least 1")
				}
				c.Workers = n
				return err
			}},
		{Env: "POSTDESK_PROXY_HEADER", Meaning: "behind a reverse proxy: the header that carries the client's address",
			set: str(func(c *Config) *string { return &c.ProxyHeader })},
		{Env: "POSTDESK_TRUSTED_PROXY", Meaning: "the proxies' addresses trusted to set that header, separated by spaces",
			set: func(c *Config, v string) error { c.TrustedProxies = strings.Fields(v); return nil }},
		{Env: "POSTDESK_BLOB_URL", Meaning: "where generated files and attachments go: any gocloud.dev/blob URL; empty: files/ under the data folder",
			set: str(func(c *Config) *string { return &c.BlobURL })},

		{Env: "POSTDESK_SMTP_URL", Meaning: "smtp://user:pass@host:587?tls=starttls (or opportunistic, none), or smtps://…:465; empty: the built-in catcher",
			set: str(func(c *Config) *string { return &c.SMTPURL })},
		{Env: "POSTDESK_MAIL_FROM", Default: "noreply@postdesk.local", Meaning: "the sender's address",
			set: str(func(c *Config) *string { return &c.MailFrom })},
		{Env: "POSTDESK_MAIL_NAME", Default: "Postdesk", Meaning: "the sender's name",
			set: str(func(c *Config) *string { return &c.MailName })},
		{Env: "POSTDESK_MAIL_CATCHER", Default: "127.0.0.1:2525", Meaning: "where the built-in catcher listens (any free port if taken)",
			set: str(func(c *Config) *string { return &c.MailCatcher })},
		{Env: "POSTDESK_SMS_URL", Meaning: "the SMS provider's endpoint; empty: the SMS sink",
			set: str(func(c *Config) *string { return &c.SMSURL })},
		{Env: "POSTDESK_SMS_TOKEN", Meaning: "the SMS provider's bearer token",
			set: str(func(c *Config) *string { return &c.SMSToken })},
		{Env: "POSTDESK_SMS_SENDER", Default: "Postdesk", Meaning: "the platform's sender name on every SMS",
			set: str(func(c *Config) *string { return &c.SMSSender })},
		{Env: "POSTDESK_NOTIFY_BULK_RATE", Default: "50", Meaning: "news and advertising notices per second per worker process",
			set: func(c *Config, v string) error {
				r, err := strconv.ParseFloat(v, 64)
				if err == nil && r <= 0 {
					err = fmt.Errorf("want a positive number")
				}
				c.NotifyBulkRate = r
				return err
			}},

		{Env: "POSTDESK_GATEWAY_URL", Meaning: "the WayForPay-style API endpoint; empty: the built-in sandbox",
			set: str(func(c *Config) *string { return &c.GatewayURL })},
		{Env: "POSTDESK_GATEWAY_MERCHANT", Meaning: "the gateway's merchant account",
			set: str(func(c *Config) *string { return &c.GatewayMerchant })},
		{Env: "POSTDESK_GATEWAY_SECRET", Meaning: "the gateway's HMAC-MD5 signing key",
			set: str(func(c *Config) *string { return &c.GatewaySecret })},
		{Env: "POSTDESK_GATEWAY_TIMEOUT", Default: "15s", Meaning: "per gateway request; a timeout leaves the result unknown and the job checks status before retrying",
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err == nil && d <= 0 {
					err = fmt.Errorf("want a positive duration such as 15s")
				}
				c.GatewayTimeout = d
				return err
			}},
		{Env: "POSTDESK_PAYOUT_TIMEOUT", Default: "1m", Meaning: "one run of a payout's job (its gateway calls and bookkeeping); it is cancelled after this and retried, asking the gateway's status first",
			set: duration(func(c *Config) *time.Duration { return &c.PayoutTimeout })},
		{Env: "POSTDESK_JOB_RESCUE_AFTER", Default: "5m", Meaning: "a job left running by a process that died is handed to another worker after this long (at least a minute; kinds with longer timeouts of their own wait for those)",
			set: duration(func(c *Config) *time.Duration { return &c.JobRescueAfter })},

		{Env: "POSTDESK_COMPLAINTS_IMAP", Meaning: "the complaints mailbox, imaps://user:pass@host:993/INBOX; empty: no intake",
			set: str(func(c *Config) *string { return &c.ComplaintsIMAP })},
	}
}

// duration sets a positive duration field.
func duration(field func(c *Config) *time.Duration) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 {
			err = fmt.Errorf("want a positive duration such as 5m")
		}
		*field(c) = d
		return err
	}
}

// str sets a string field as given.
func str(field func(c *Config) *string) func(c *Config, v string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}
