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
	"github.com/gofiber/fiber/v2/utils"
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

// Session keys.
const (
	keyStaffID  = "staff_id"
	keyLang     = "lang"
	keyTouched  = "touched"
	keyEpoch    = "epoch"
	keyVerified = "verified" // when a second factor was last checked (Unix seconds)
	// A log-in whose password was right and whose code is still to come.
	keyPending      = "pending_staff_id"
	keyPendingAt    = "pending_at"
	keyPendingTries = "pending_tries"
	localSess       = "session"
)

// TouchEvery is how often the sliding expiry is written (not on every request).
const TouchEvery = 10 * time.Minute

// Service holds what log-in and the per-request actor need.
type Service struct {
	Pool        *pgxpool.Pool
	Sessions    *session.Store
	Log         *slog.Logger
	DefaultLang string
	// Now is the portal's clock (time.Now when nil).
	Now func() time.Time
	// Loc is the platform's zone, carried by every actor this service makes.
	Loc *time.Location
	// Secret is the portal's session secret; the key that seals TOTP secrets is derived from it.
	Secret []byte
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// dummyHash is compared against when the e-mail is unknown, so a wrong e-mail takes as long as a
// wrong password and timing does not reveal which staff e-mails exist.
var dummyHash, _ = staff.HashPassword("postdesk-timing-equaliser")

// Login checks e-mail and password. A failure is audited and answers the same, in about the same
// time, whether the e-mail belongs to staff or not. There is no per-account lockout (anyone could
// lock a colleague out with it): guessing is throttled by address and by address + e-mail.
func Login(ctx context.Context, pool *pgxpool.Pool, email, password string) (staff.Staff, error) {
	email = staff.NormalizeEmail(email)
	var s staff.Staff
	var result error
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var hash string
		var active bool
		var id int64
		err := tx.QueryRow(ctx, `SELECT id, password_hash, active FROM staff WHERE email = $1`, email).Scan(&id, &hash, &active)
		if errors.Is(err, pgx.ErrNoRows) {
			_, _ = argon2id.ComparePasswordAndHash(password, dummyHash)
			result = apperr.New(apperr.Unauthorized, "auth.bad_credentials")
			return audit.Record(ctx, tx, "auth.login_failed", "staff", "", nil, map[string]any{"email": email, "reason": "unknown email"})
		}
		if err != nil {
			return err
		}
		ok, err := argon2id.ComparePasswordAndHash(password, hash)
		if err != nil {
			return err
		}
		if !ok {
			result = apperr.New(apperr.Unauthorized, "auth.bad_credentials")
			return audit.Record(ctx, tx, "auth.login_failed", "staff", id, nil, map[string]any{"email": email})
		}
		if !active {
			result = apperr.New(apperr.Forbidden, "auth.inactive")
			return audit.Record(ctx, tx, "auth.login_refused_inactive", "staff", id, nil, map[string]any{"email": email})
		}
		s, err = staff.ByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return staff.Staff{}, err
	}
	return s, result
}

// recordLogin notes a completed log-in (after the second factor, when there is one).
func recordLogin(ctx context.Context, pool *pgxpool.Pool, st staff.Staff, method string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE staff SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1`, st.ID); err != nil {
			return err
		}
		// The actor is not in ctx yet: name them explicitly.
		a := &actor.Actor{ID: st.ID, Email: st.Email, IP: ipOf(ctx), RequestID: requestIDOf(ctx), Loc: actor.Zone(ctx)}
		var after map[string]any
		if method != "" {
			after = map[string]any{"second_factor": method}
		}
		return audit.Record(actor.With(ctx, a), tx, "auth.login", "staff", st.ID, nil, after)
	})
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
		if err := s.save(c, sess); err != nil {
			return ""
		}
		if sess, err = s.Session(c); err != nil {
			return ""
		}
	}
	return sess.ID()
}

// save writes the session. Fiber v2's Save hands the session object back to a pool (its id and
// data are wiped, and another request may take it), so the request forgets it first and loads it
// again if it needs it later: every write goes through here, so no check after a write (the CSRF
// token's session id, above all) reads a released session.
func (s *Service) save(c *fiber.Ctx, sess *session.Session) error {
	c.Locals(localSess, nil)
	return sess.Save()
}

// validSessionID: the ids this portal hands out are UUIDs. Anything else in the cookie (a
// forged, truncated or non-UTF-8 value) is dropped before it reaches the session storage.
func validSessionID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if ch != '-' {
				return false
			}
		} else if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f') {
			return false
		}
	}
	return true
}

// SessionTTL is how long a staff session lasts without activity.
const SessionTTL = 12 * time.Hour

// Load finds the staff member behind the request and puts the actor, with their language and
// field view, into the request context. Anonymous requests get the session's or default language.
func (s *Service) Load(c *fiber.Ctx) error {
	ctx := c.UserContext()
	base := &actor.Actor{IP: utils.CopyString(c.IP()), RequestID: requestID(c), Loc: s.Loc}
	ctx = actor.With(ctx, base)
	if id := c.Cookies(cookieName); id != "" && !validSessionID(id) {
		c.Request().Header.DelCookie(cookieName)
	}
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
		epoch, _ := sess.Get(keyEpoch).(int)
		switch {
		case err == nil && st.Active && epoch == st.SessionEpoch:
			view, err := rbac.LoadView(ctx, s.Pool, st.ID)
			if err != nil {
				return err
			}
			a := &actor.Actor{Loc: s.Loc, ID: st.ID, Email: st.Email, Name: st.Name, Lang: st.Lang, Roles: st.Roles,
				IP: base.IP, RequestID: base.RequestID, View: view, MustChangePassword: st.MustChangePassword,
				MustEnrolTwoFactor: st.RequireTwoFactor && !st.TwoFactor}
			ctx = actor.With(ctx, a)
			c.Locals(web.LocalActor, a)
			c.Locals(localStaff, st)
			lang = st.Lang
			s.touch(c, sess)
		case err == nil || apperr.CodeOf(err) == apperr.NotFound:
			// Deactivated, removed, or their sessions ended (password changed elsewhere, reset by an
			// administrator): this session ends here.
			_ = sess.Destroy()
			c.Locals(localSess, nil)
		default:
			return err
		}
	}
	c.SetUserContext(i18n.WithLang(ctx, lang))
	return c.Next()
}

// touch slides the session's expiry, writing it at most every TouchEvery rather than per request.
// The write keeps the session's id, so a token on a page loaded before it stays good.
func (s *Service) touch(c *fiber.Ctx, sess *session.Session) {
	last, _ := sess.Get(keyTouched).(int64)
	now := s.now()
	if now.Sub(time.Unix(last, 0)) < TouchEvery {
		return
	}
	sess.Set(keyTouched, now.Unix())
	sess.SetExpiry(SessionTTL)
	if err := s.save(c, sess); err != nil {
		s.Log.Warn("session touch", "err", err)
	}
}

// Start begins a logged-in session under a new id (so a planted session id is worthless).
// verified tells whether a second factor was just checked.
func (s *Service) Start(c *fiber.Ctx, st staff.Staff, verified bool) error {
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	if err := sess.Regenerate(); err != nil {
		return err
	}
	for _, k := range []string{keyPending, keyPendingAt, keyPendingTries, keyVerified} {
		sess.Delete(k)
	}
	now := s.now().Unix()
	sess.Set(keyStaffID, st.ID)
	sess.Set(keyLang, st.Lang)
	sess.Set(keyTouched, now)
	sess.Set(keyEpoch, st.SessionEpoch)
	if verified {
		sess.Set(keyVerified, now)
	}
	sess.SetExpiry(SessionTTL)
	return s.save(c, sess)
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
	return s.save(c, sess)
}

// update changes the request's session and writes it.
func (s *Service) update(c *fiber.Ctx, change func(sess *session.Session)) error {
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	change(sess)
	return s.save(c, sess)
}

// staffOf is the logged-in member's record as Load read it.
func staffOf(c *fiber.Ctx) (staff.Staff, bool) {
	st, ok := c.Locals(localStaff).(staff.Staff)
	return st, ok
}

const (
	cookieName = "postdesk_session"
	localStaff = "auth.staff"
)

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
