// Package auth logs staff in and out, keeps their sessions in PostgreSQL, and works out who is
// behind each request (the actor) for every later check.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/staff"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
)

// The lockout rule: the tenth failed log-in in a row locks the account for a quarter of an hour.
const (
	LockAfter = 10
	LockFor   = 15 * time.Minute
)

// Session keys.
const (
	keyStaffID = "staff_id"
	keyLang    = "lang"
	keyTouched = "touched"
	localSess  = "session"
)

// Service holds what log-in and the per-request actor need.
type Service struct {
	Pool        *pgxpool.Pool
	Sessions    *session.Store
	Log         *slog.Logger
	DefaultLang string
}

// dummyHash is compared against when the e-mail is unknown, so a wrong e-mail takes as long as a
// wrong password and timing does not reveal which staff e-mails exist.
var dummyHash, _ = staff.HashPassword("postdesk-timing-equaliser")

// Login checks e-mail and password. Failures are counted, audited and committed even though
// the log-in fails; the tenth in a row locks the account.
func Login(ctx context.Context, pool *pgxpool.Pool, email, password string) (staff.Staff, error) {
	email = staff.NormalizeEmail(email)
	var s staff.Staff
	var result error
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var hash string
		var lockedUntil *time.Time
		var failed int
		var active bool
		var id int64
		err := tx.QueryRow(ctx, `SELECT id, password_hash, locked_until, failed_logins, active FROM staff WHERE email = $1 FOR UPDATE`, email).
			Scan(&id, &hash, &lockedUntil, &failed, &active)
		if errors.Is(err, pgx.ErrNoRows) {
			_, _ = argon2id.ComparePasswordAndHash(password, dummyHash)
			result = apperr.New(apperr.Unauthorized, "auth.bad_credentials")
			return audit.Record(ctx, tx, "auth.login_failed", "staff", "", nil, map[string]any{"email": email, "reason": "unknown email"})
		}
		if err != nil {
			return err
		}
		now := time.Now()
		if lockedUntil != nil && lockedUntil.After(now) {
			result = &apperr.Error{Code: apperr.TooMany, Message: "auth.locked", Args: map[string]any{"Minutes": int(time.Until(*lockedUntil).Minutes()) + 1}}
			return audit.Record(ctx, tx, "auth.login_refused_locked", "staff", id, nil, map[string]any{"email": email})
		}
		ok, err := argon2id.ComparePasswordAndHash(password, hash)
		if err != nil {
			return err
		}
		if !ok {
			failed++
			if failed >= LockAfter {
				_, err = tx.Exec(ctx, `UPDATE staff SET failed_logins = 0, locked_until = $2 WHERE id = $1`, id, now.Add(LockFor))
				result = &apperr.Error{Code: apperr.TooMany, Message: "auth.locked", Args: map[string]any{"Minutes": int(LockFor.Minutes())}}
				if err == nil {
					err = audit.Record(ctx, tx, "auth.locked", "staff", id, nil, map[string]any{"email": email, "until": now.Add(LockFor)})
				}
				return err
			}
			if _, err = tx.Exec(ctx, `UPDATE staff SET failed_logins = $2 WHERE id = $1`, id, failed); err != nil {
				return err
			}
			result = apperr.New(apperr.Unauthorized, "auth.bad_credentials")
			return audit.Record(ctx, tx, "auth.login_failed", "staff", id, nil, map[string]any{"email": email, "failures": failed})
		}
		if !active {
			result = apperr.New(apperr.Forbidden, "auth.inactive")
			return audit.Record(ctx, tx, "auth.login_refused_inactive", "staff", id, nil, map[string]any{"email": email})
		}
		if _, err := tx.Exec(ctx, `UPDATE staff SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if s, err = staff.ByID(ctx, tx, id); err != nil {
			return err
		}
		// The actor is not in ctx yet: name them explicitly.
		return audit.Record(actor.With(ctx, &actor.Actor{ID: id, Email: email, IP: ipOf(ctx), RequestID: requestIDOf(ctx)}), tx, "auth.login", "staff", id, nil, nil)
	})
	if err != nil {
		return staff.Staff{}, err
	}
	return s, result
}

// Session returns the request's session, loading it once per request.
func (s *Service) Session(c *fiber.Ctx) (*session.Session, error) {
	if sess, ok := c.Locals(localSess).(*session.Session); ok {
		return sess, nil
	}
	sess, err := s.Sessions.Get(c)
	if err != nil {
		return nil, err
	}
	c.Locals(localSess, sess)
	return sess, nil
}

// SessionID is the id the CSRF token is bound to. An anonymous visitor gets a short session the
// first time a page needs a token (the log-in form).
func (s *Service) SessionID(c *fiber.Ctx) string {
	sess, err := s.Session(c)
	if err != nil {
		return ""
	}
	if sess.Fresh() {
		if c.Method() != fiber.MethodGet {
			return "" // a state change without a session cannot carry a valid token
		}
		sess.SetExpiry(30 * time.Minute)
		if err := sess.Save(); err != nil {
			return ""
		}
		// Save releases the session; load it again for the rest of the request.
		c.Locals(localSess, nil)
		if sess, err = s.Session(c); err != nil {
			return ""
		}
	}
	return sess.ID()
}

// SessionTTL is how long a staff session lasts without activity.
const SessionTTL = 12 * time.Hour

// Load finds the staff member behind the request and puts the actor, with their language and
// field view, into the request context. Anonymous requests get the session's or default language.
func (s *Service) Load(c *fiber.Ctx) error {
	ctx := c.UserContext()
	base := &actor.Actor{IP: c.IP(), RequestID: requestID(c)}
	ctx = actor.With(ctx, base)
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	lang := s.DefaultLang
	if l, ok := sess.Get(keyLang).(string); ok {
		lang = l
	}
	if id, ok := sess.Get(keyStaffID).(int64); ok {
		st, err := staff.ByID(ctx, s.Pool, id)
		switch {
		case err == nil && st.Active:
			view, err := rbac.LoadView(ctx, s.Pool, st.ID)
			if err != nil {
				return err
			}
			a := &actor.Actor{ID: st.ID, Email: st.Email, Name: st.Name, Lang: st.Lang, Roles: st.Roles,
				IP: base.IP, RequestID: base.RequestID, View: view, MustChangePassword: st.MustChangePassword}
			ctx = actor.With(ctx, a)
			c.Locals(web.LocalActor, a)
			lang = st.Lang
			s.touch(sess)
		case err == nil || apperr.CodeOf(err) == apperr.NotFound:
			// Deactivated or removed while logged in: the session ends here.
			_ = sess.Destroy()
		default:
			return err
		}
	}
	c.SetUserContext(i18n.WithLang(ctx, lang))
	return c.Next()
}

// touch slides the session's expiry, writing it at most every ten minutes rather than per request.
func (s *Service) touch(sess *session.Session) {
	last, _ := sess.Get(keyTouched).(int64)
	if time.Since(time.Unix(last, 0)) < 10*time.Minute {
		return
	}
	sess.Set(keyTouched, time.Now().Unix())
	sess.SetExpiry(SessionTTL)
	if err := sess.Save(); err != nil {
		s.Log.Warn("session touch", "err", err)
	}
}

// Start begins a logged-in session under a new id (so a planted session id is worthless).
func (s *Service) Start(c *fiber.Ctx, st staff.Staff) error {
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sess.Set(keyStaffID, st.ID)
	sess.Set(keyLang, st.Lang)
	sess.Set(keyTouched, time.Now().Unix())
	sess.SetExpiry(SessionTTL)
	c.Locals(localSess, nil)
	return sess.Save()
}

// End destroys the session.
func (s *Service) End(c *fiber.Ctx) error {
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	c.Locals(localSess, nil)
	return sess.Destroy()
}

// SetSessionLang remembers an anonymous visitor's language choice.
func (s *Service) SetSessionLang(c *fiber.Ctx, lang string) error {
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	sess.Set(keyLang, lang)
	c.Locals(localSess, nil)
	return sess.Save()
}

func ipOf(ctx context.Context) string {
	if a := actor.From(ctx); a != nil {
		return a.IP
	}
	return ""
}

func requestIDOf(ctx context.Context) string {
	if a := actor.From(ctx); a != nil {
		return a.RequestID
	}
	return ""
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}
