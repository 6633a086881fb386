package auth

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/staff"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/authv"
)

// LoginPage shows the log-in form (or sends a logged-in user on).
func (s *Service) LoginPage(c *fiber.Ctx) error {
	if web.Actor(c) != nil {
		return c.Redirect(web.SafeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "login.title"), authv.Login(authv.LoginForm{Next: web.SafeNext(c.Query("next")), CSRF: web.PageOf(c, "").CSRF}))
}

// LoginSubmit checks the credentials; then either starts a session or, for a member enrolled in
// two factors, asks for the code.
func (s *Service) LoginSubmit(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	email, next := utils.CopyString(c.FormValue("email")), web.SafeNext(c.FormValue("next"))
	ip := utils.CopyString(c.IP())
	normal := staff.NormalizeEmail(email)
	err := s.throttled(ctx, s.Pool, ip, normal)
	var st staff.Staff
	if err == nil {
		st, err = Login(ctx, s.Pool, email, c.FormValue("password"))
		if apperr.CodeOf(err) == apperr.Unauthorized {
			if ferr := s.failed(ctx, s.Pool, ip, normal); ferr != nil {
				return ferr
			}
		}
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		form := authv.LoginForm{Email: email, Next: next, Error: message(c, err), CSRF: web.PageOf(c, "").CSRF}
		return web.Render(c, apperr.Status(apperr.CodeOf(err)), web.T(c, "login.title"), authv.Login(form))
	}
	if st.TwoFactor {
		if err := s.update(c, func(sess *session.Session) {
			sess.Set(keyPending, st.ID)
			sess.Set(keyPendingAt, s.now().Unix())
			sess.Set(keyPendingTries, 0)
		}); err != nil {
			return err
		}
		return c.Redirect("/login/code?next="+url.QueryEscape(next), fiber.StatusSeeOther)
	}
	return s.finishLogin(c, st, "", next)
}

func (s *Service) finishLogin(c *fiber.Ctx, st staff.Staff, method, next string) error {
	if err := s.Start(c, st, method != ""); err != nil {
		return err
	}
	if err := recordLogin(web.Ctx(c), s.Pool, st, method); err != nil {
		return err
	}
	if st.MustChangePassword || (st.RequireTwoFactor && !st.TwoFactor) {
		return c.Redirect("/me", fiber.StatusSeeOther)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// message translates an error with its arguments.
func message(c *fiber.Ctx, err error) string {
	var args []any
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for k, v := range ae.Args {
			args = append(args, k, v)
		}
	}
	return web.T(c, apperr.MessageOf(err), args...)
}

// pending is the member whose password was right and whose code is awaited, if still in time.
func (s *Service) pending(c *fiber.Ctx) (staff.ID, *session.Session, bool) {
	sess, err := s.Session(c)
	if err != nil {
		return 0, nil, false
	}
	id, ok := sess.Get(keyPending).(int64)
	at, _ := sess.Get(keyPendingAt).(int64)
	if !ok || s.now().Sub(time.Unix(at, 0)) > PendingFor {
		return 0, sess, false
	}
	return id, sess, true
}

// CodePage asks for the second factor.
func (s *Service) CodePage(c *fiber.Ctx) error {
	if _, _, ok := s.pending(c); !ok {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "login.title"), authv.Code(authv.CodeForm{Next: web.SafeNext(c.Query("next")), CSRF: web.PageOf(c, "").CSRF}))
}

// CodeSubmit checks the code from the authenticator app, or a recovery code, and starts the session.
func (s *Service) CodeSubmit(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	next := web.SafeNext(c.FormValue("next"))
	id, sess, ok := s.pending(c)
	if !ok {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	ip := utils.CopyString(c.IP())
	key := "2fa:" + itoa(id)
	err := s.throttled(ctx, s.Pool, ip, key)
	method := ""
	if err == nil {
		method, err = s.verifySecondFactor(ctx, id, c.FormValue("code"))
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		if apperr.CodeOf(err) == apperr.Invalid {
			if ferr := s.failed(ctx, s.Pool, ip, key); ferr != nil {
				return ferr
			}
			_ = audit.Record(ctx, s.Pool, "auth.code_failed", "staff", id, nil, nil)
		}
		tries, _ := sess.Get(keyPendingTries).(int)
		if tries+1 >= MaxPerPair {
			// Too many wrong codes for this password: start again from the password.
			if uerr := s.update(c, func(sess *session.Session) { sess.Delete(keyPending); sess.Delete(keyPendingAt) }); uerr != nil {
				return uerr
			}
			form := authv.LoginForm{Next: next, Error: web.T(c, "auth.code_too_many"), CSRF: web.PageOf(c, "").CSRF}
			return web.Render(c, fiber.StatusTooManyRequests, web.T(c, "login.title"), authv.Login(form))
		}
		if uerr := s.update(c, func(sess *session.Session) { sess.Set(keyPendingTries, tries+1) }); uerr != nil {
			return uerr
		}
		status := fiber.StatusUnauthorized
		if apperr.CodeOf(err) == apperr.TooMany {
			status = fiber.StatusTooManyRequests
		}
		return web.Render(c, status, web.T(c, "login.title"), authv.Code(authv.CodeForm{Next: next, Error: message(c, err), CSRF: web.PageOf(c, "").CSRF}))
	}
	st, err := staff.ByID(ctx, s.Pool, id)
	if err != nil {
		return err
	}
	if !st.Active {
		return web.Render(c, fiber.StatusForbidden, web.T(c, "login.title"), authv.Login(authv.LoginForm{Error: web.T(c, "auth.inactive"), CSRF: web.PageOf(c, "").CSRF}))
	}
	return s.finishLogin(c, st, method, next)
}

// Logout ends the session.
func (s *Service) Logout(c *fiber.Ctx) error {
	if err := s.End(c); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// SetLang switches the UI language: saved on the staff account, or in the session before log-in.
func (s *Service) SetLang(c *fiber.Ctx) error {
	lang := i18n.Normalize(c.FormValue("lang"))
	if a := web.Actor(c); a != nil {
		if err := staff.SetLang(web.Ctx(c), s.Pool, a.ID, lang); err != nil {
			return err
		}
	}
	if err := s.SetSessionLang(c, lang); err != nil {
		return err
	}
	return c.Redirect(web.SafeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// Me shows the user's profile, the change-password form and two-factor log-in.
func (s *Service) Me(c *fiber.Ctx) error {
	a := web.Actor(c)
	st, err := staff.ByID(web.Ctx(c), s.Pool, a.ID)
	if err != nil {
		return err
	}
	tf, err := s.twoFactorCard(c, st)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, st.Name, authv.Me(authv.PasswordForm{Must: st.MustChangePassword, Name: st.Name, Email: st.Email, Groups: st.Groups}, tf))
}

func (s *Service) twoFactorCard(c *fiber.Ctx, st staff.Staff) (authv.TwoFactor, error) {
	tf := authv.TwoFactor{Enabled: st.TwoFactor, Required: st.RequireTwoFactor}
	if st.TwoFactor {
		n, err := s.recoveryCodesLeft(web.Ctx(c), st.ID)
		if err != nil {
			return tf, err
		}
		tf.CodesLeft = n
	}
	return tf, nil
}

// ChangePassword changes the user's own password. Their other sessions end; this one carries on.
func (s *Service) ChangePassword(c *fiber.Ctx) error {
	a := web.Actor(c)
	ctx := web.Ctx(c)
	var epoch int
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) (err error) {
		epoch, err = staff.ChangePassword(ctx, tx, a.ID, c.FormValue("current"), c.FormValue("next"))
		return err
	})
	form := authv.PasswordForm{Name: a.Name, Email: a.Email}
	if err != nil {
		var e *apperr.Error
		if ae, ok := err.(*apperr.Error); ok && ae.Field != "" {
			e = ae
		}
		if e == nil {
			return err
		}
		form.Errors = map[string]string{e.Field: web.T(c, e.Message, "Min", staff.MinPasswordLen)}
		form.Must = a.MustChangePassword
		return web.Fragment(c, fiber.StatusUnprocessableEntity, authv.PasswordCard(form))
	}
	if err := s.update(c, func(sess *session.Session) { sess.Set(keyEpoch, epoch) }); err != nil {
		return err
	}
	web.Toast(c, "success", "me.password_changed")
	return web.Redirect(c, "/")
}

// BeginTwoFactor makes a new secret and shows its QR code with the form for the first code.
func (s *Service) BeginTwoFactor(c *fiber.Ctx) error {
	st, err := staff.ByID(web.Ctx(c), s.Pool, web.Actor(c).ID)
	if err != nil {
		return err
	}
	e, err := s.beginEnrolment(web.Ctx(c), st)
	if err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	return web.Render(c, fiber.StatusOK, web.T(c, "me.2fa_title"), authv.TwoFactorCard(authv.TwoFactor{Required: st.RequireTwoFactor, QR: e.QR, Secret: e.Secret}))
}

// ConfirmTwoFactor turns two factors on with the first code and shows the recovery codes once.
func (s *Service) ConfirmTwoFactor(c *fiber.Ctx) error {
	a := web.Actor(c)
	codes, err := s.confirmEnrolment(web.Ctx(c), a.ID, c.FormValue("code"))
	if err != nil {
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Field == "" {
			return err
		}
		// A wrong code: the same QR code again, with the reason.
		st, serr := staff.ByID(web.Ctx(c), s.Pool, a.ID)
		if serr != nil {
			return serr
		}
		e, eerr := s.waitingEnrolment(web.Ctx(c), st)
		if eerr != nil {
			return eerr
		}
		c.Set("Cache-Control", "no-store")
		tf := authv.TwoFactor{Required: st.RequireTwoFactor, QR: e.QR, Secret: e.Secret, Error: web.T(c, ae.Message)}
		status := fiber.StatusUnprocessableEntity
		if web.IsHTMX(c) {
			status = fiber.StatusOK
		}
		return web.Render(c, status, web.T(c, "me.2fa_title"), authv.TwoFactorCard(tf))
	}
	if err := s.update(c, func(sess *session.Session) { sess.Set(keyVerified, s.now().Unix()) }); err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	web.Toast(c, "success", "me.2fa_enabled")
	return web.Render(c, fiber.StatusOK, web.T(c, "me.2fa_title"), authv.TwoFactorCard(authv.TwoFactor{Enabled: true, Codes: codes, CodesLeft: len(codes)}))
}

// FreshCode guards a sensitive action (approving a payout, changing field rules): when a group of
// the member requires two factors, the action needs a code checked within FreshFor. Otherwise
// the request is answered with a form for the code that sends the same request again with it.
func (s *Service) FreshCode(c *fiber.Ctx) error {
	st, ok := staffOf(c)
	if !ok || !st.RequireTwoFactor {
		return c.Next()
	}
	if !st.TwoFactor {
		return web.Redirect(c, "/me")
	}
	sess, err := s.Session(c)
	if err != nil {
		return err
	}
	verified, _ := sess.Get(keyVerified).(int64)
	if s.now().Sub(time.Unix(verified, 0)) <= FreshFor {
		return c.Next()
	}
	form := authv.StepUpForm{Action: utils.CopyString(c.OriginalURL())}
	if code := c.FormValue("_2fa_code"); code != "" {
		ctx := web.Ctx(c)
		ip, key := utils.CopyString(c.IP()), "2fa:"+itoa(st.ID)
		err := s.throttled(ctx, s.Pool, ip, key)
		method := ""
		if err == nil {
			method, err = s.verifySecondFactor(ctx, st.ID, code)
		}
		if err == nil {
			if err := s.update(c, func(sess *session.Session) { sess.Set(keyVerified, s.now().Unix()) }); err != nil {
				return err
			}
			_ = audit.Record(ctx, s.Pool, "auth.step_up", "route", form.Action, nil, map[string]any{"second_factor": method})
			return c.Next()
		}
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		if apperr.CodeOf(err) == apperr.Invalid {
			if ferr := s.failed(ctx, s.Pool, ip, key); ferr != nil {
				return ferr
			}
		}
		form.Error = message(c, err)
	}
	c.Context().PostArgs().VisitAll(func(k, v []byte) {
		if key := string(k); key != "_csrf" && key != "_2fa_code" {
			form.Fields = append(form.Fields, [2]string{key, string(v)})
		}
	})
	if c.Get("HX-Request") == "true" {
		c.Set("HX-Retarget", "#main")
		c.Set("HX-Reswap", "innerHTML")
		return web.Fragment(c, fiber.StatusOK, authv.StepUp(form))
	}
	return web.Render(c, fiber.StatusForbidden, web.T(c, "me.fresh_code_title"), authv.StepUp(form))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
