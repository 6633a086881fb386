package auth

import (
	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
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

// LoginSubmit checks the credentials and starts a session.
func (s *Service) LoginSubmit(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), c.FormValue("next")
	st, err := Login(web.Ctx(c), s.Pool, email, c.FormValue("password"))
	if err != nil {
		code := apperr.CodeOf(err)
		if code == apperr.Internal {
			return err
		}
		var args []any
		var e *apperr.Error
		if ae, ok := err.(*apperr.Error); ok {
			e = ae
			for k, v := range e.Args {
				args = append(args, k, v)
			}
		}
		form := authv.LoginForm{Email: email, Next: next, Error: web.T(c, apperr.MessageOf(err), args...), CSRF: web.PageOf(c, "").CSRF}
		return web.Render(c, apperr.Status(code), web.T(c, "login.title"), authv.Login(form))
	}
	if err := s.Start(c, st); err != nil {
		return err
	}
	if st.MustChangePassword {
		return c.Redirect("/me", fiber.StatusSeeOther)
	}
	return c.Redirect(web.SafeNext(next), fiber.StatusSeeOther)
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

// Me shows the user's profile and the change-password form.
func (s *Service) Me(c *fiber.Ctx) error {
	a := web.Actor(c)
	st, err := staff.ByID(web.Ctx(c), s.Pool, a.ID)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, st.Name, authv.Me(authv.PasswordForm{Must: st.MustChangePassword, Name: st.Name, Email: st.Email, Groups: st.Groups}))
}

// ChangePassword changes the user's own password.
func (s *Service) ChangePassword(c *fiber.Ctx) error {
	a := web.Actor(c)
	ctx := web.Ctx(c)
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		return staff.ChangePassword(ctx, tx, a.ID, c.FormValue("current"), c.FormValue("next"))
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
		form.Errors = map[string]string{e.Field: web.T(c, e.Message)}
		form.Must = a.MustChangePassword
		return web.Fragment(c, fiber.StatusUnprocessableEntity, authv.PasswordCard(form))
	}
	web.Toast(c, "success", "me.password_changed")
	return web.Redirect(c, "/")
}
