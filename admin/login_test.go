package admin_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/auth"
	"github.com/postdesk/postdesk/admin/seed"
)

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

// addrClient is a browser at its own loopback address (127.0.0.N), talking to a listening portal,
// so tests can tell the office from an attacker elsewhere.
type addrClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newAddrClient(t *testing.T, base, ip string) *addrClient {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &addrClient{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *addrClient) do(req *http.Request) admintest.Response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfMeta.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return admintest.Response{Status: resp.StatusCode, Body: string(b), Header: resp.Header, Location: resp.Header.Get("Location")}
}

func (c *addrClient) get(path string) admintest.Response {
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

func (c *addrClient) login(email, password string) admintest.Response {
	c.get("/login")
	v := url.Values{"email": {email}, "password": {password}, "_csrf": {c.csrf}}
	req, _ := http.NewRequest(http.MethodPost, c.base+"/login", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// TestLoginThrottleTellsNothing: from one address, wrong passwords for a staff e-mail and for an
// unknown one get the same answers, failure after failure; the throttle is per address, so the
// member logs in from the office while an attacker elsewhere is refused, and no account is locked.
func TestLoginThrottleTellsNothing(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	base := env.Serve()
	attacker := newAddrClient(t, base, "127.0.0.2")
	for i := 1; i <= auth.MaxPerPair+1; i++ {
		known := attacker.login("finance@demo.postdesk", "wrong-password-123")
		unknown := attacker.login("nobody@demo.postdesk", "wrong-password-123")
		require.Equal(t, known.Status, unknown.Status, "attempt %d", i)
		require.Equal(t, between(known.Body, `role="alert" id="login-error">`, "<"), between(unknown.Body, `role="alert" id="login-error">`, "<"), "attempt %d", i)
		if i <= auth.MaxPerPair {
			require.Equal(t, http.StatusUnauthorized, known.Status, "attempt %d", i)
		} else {
			require.Equal(t, http.StatusTooManyRequests, known.Status)
			require.Contains(t, known.Body, "Too many failed attempts from your address")
		}
	}
	// Still refused with the right password from the attacker's address (so guessing stops) ...
	require.Equal(t, http.StatusTooManyRequests, attacker.login("finance@demo.postdesk", seed.Password).Status)
	// ... while the member, elsewhere, is not locked out.
	office := newAddrClient(t, base, "127.0.0.3")
	r := office.login("finance@demo.postdesk", seed.Password)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, http.StatusOK, office.get("/finance").Status)
}

func TestNewStaffChangePasswordFirstAndNoGroupStillWorks(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	admin := env.Login("admin@demo.postdesk")

	// Weak passwords are refused with the reason.
	for pw, msg := range map[string]string{
		"aaaaaaaaaaaa":           "repeats too few characters",
		"qwertyuiop":             "most common",
		"basketball2024":         "most common",
		"nina.petrenko@firm.ua!": "must not contain the e-mail or the name",
		"xx-petrenko-2026":       "must not contain the e-mail or the name",
	} {
		r := admin.PostForm("/admin/staff", url.Values{"email": {"nina.petrenko@firm.ua"}, "name": {"Nina Petrenko"}, "lang": {"en"}, "password": {pw}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, pw)
		require.Contains(t, r.Body, msg, pw)
	}

	// Created by an administrator, in no group at all.
	r := admin.PostForm("/admin/staff", url.Values{"email": {"nina.petrenko@firm.ua"}, "name": {"Nina Petrenko"}, "lang": {"en"}, "password": {"first-day-at-work-91"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)

	nina := env.Anonymous()
	r = nina.LoginAs("nina.petrenko@firm.ua", "first-day-at-work-91")
	require.Equal(t, http.StatusSeeOther, r.Status)
	require.Equal(t, "/me", r.Location, "the password an administrator chose is changed first")
	require.Equal(t, http.StatusOK, nina.Get("/me").Status, "staff in no group see their profile")
	require.Equal(t, "/me", nina.Get("/").Location)

	r = nina.PostForm("/me/password", url.Values{"current": {"first-day-at-work-91"}, "next": {"Nina Petrenko 1990"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "must not contain the e-mail or the name")
	r = nina.PostForm("/me/password", url.Values{"current": {"first-day-at-work-91"}, "next": {"lilac tram at dawn"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, http.StatusForbidden, nina.Get("/").Status, "no group: no dashboard, but no loop to /me either")
	r = nina.PostForm("/logout", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, "staff in no group can log out")
	require.Equal(t, "/login", r.Location)
}

// TestPasswordChangeEndsOtherSessions: changing a password ends the member's other sessions (this
// one carries on); an administrator's reset or a deactivation ends all of them, for good.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	phone := env.Login("agent@demo.postdesk")
	laptop := env.Login("agent@demo.postdesk")
	require.Equal(t, http.StatusOK, phone.Get("/accounts").Status)

	r := laptop.PostForm("/me/password", url.Values{"current": {seed.Password}, "next": {"quiet-river-lantern-7"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, http.StatusOK, laptop.Get("/accounts").Status, "the session the change was made in goes on")
	r = laptop.PostForm("/lang", url.Values{"lang": {"en"}, "next": {"/accounts"}})
	require.Equal(t, http.StatusSeeOther, r.Status, "its form token still works")
	r = phone.Get("/accounts")
	require.Equal(t, http.StatusSeeOther, r.Status, "the other session has ended")
	require.True(t, strings.HasPrefix(r.Location, "/login"))

	admin := env.Login("admin@demo.postdesk")
	fin := env.Login("finance@demo.postdesk")
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM staff WHERE email = 'finance@demo.postdesk'`).Scan(&id))
	require.Equal(t, http.StatusSeeOther, admin.PostForm("/admin/staff/"+itoa(id)+"/active", url.Values{"active": {"false"}}).Status)
	require.Equal(t, http.StatusSeeOther, admin.PostForm("/admin/staff/"+itoa(id)+"/active", url.Values{"active": {"true"}}).Status)
	require.Equal(t, http.StatusSeeOther, fin.Get("/finance").Status, "deactivation ended the session, and reactivation does not revive it")

	fin = env.Login("finance@demo.postdesk")
	require.Equal(t, http.StatusOK, admin.PostForm("/admin/staff/"+itoa(id)+"/reset-password", nil).Status)
	require.Equal(t, http.StatusSeeOther, fin.Get("/finance").Status, "a reset ends the member's sessions")
}

// TestSessionRefreshKeepsForms: the sliding expiry is written every ten minutes; the request that
// writes it (a page or a form) must not lose the session it then checks the form's token against.
// The portal's clock moves 9, 11 and 21 minutes on; each time a form is sent with the token of a
// page loaded before the move.
func TestSessionRefreshKeepsForms(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	start := time.Now()
	env.Clock.Freeze(start)
	move := func(to time.Duration) { env.Clock.Freeze(start.Add(to)) }

	admin := env.Login("admin@demo.postdesk")
	group := 0
	post := func(token string) admintest.Response {
		group++
		return admin.PostForm("/admin/groups", url.Values{"_csrf": {token}, "name": {"Night shift " + itoa(int64(group))}, "role": {"support_agent"}})
	}
	// The form is the first request after the move (at 11 and 21 minutes it writes the session).
	for _, at := range []time.Duration{9 * time.Minute, 11 * time.Minute, 21 * time.Minute} {
		admin.Get("/admin/groups")
		token := admin.CSRF
		require.NotEmpty(t, token)
		move(at)
		r := post(token)
		require.Equal(t, http.StatusSeeOther, r.Status, "form after %s: %s", at, r.Body)
	}
	// A page is the first request after the move: it keeps its token, and the form of the page
	// before it still works.
	admin.Get("/admin/groups")
	token := admin.CSRF
	move(32 * time.Minute)
	r := admin.Get("/admin/staff")
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, token, admin.CSRF, "the page that refreshed the session has its token")
	r = post(token)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM staff_groups WHERE name LIKE 'Night shift %'`).Scan(&n))
	require.Equal(t, group, n)
}
