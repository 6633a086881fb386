package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// enrol sets up two-factor log-in for a logged-in client over HTTP and returns the secret and the
// recovery codes.
func enrol(t *testing.T, c *admintest.Client) (secret string, codes []string) {
	t.Helper()
	r := c.PostForm("/me/two-factor", nil)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, `src="data:image/png;base64,`)
	secret = between(r.Body, `<code id="totp-secret">`, "<")
	require.NotEmpty(t, secret)
	code, err := totp.GenerateCode(secret, time.Now())
	require.NoError(t, err)
	r = c.PostForm("/me/two-factor/confirm", url.Values{"code": {code}})
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	list := between(r.Body, `<ol class="mono" id="recovery-codes">`, "</ol>")
	codes = splitTags(list)
	require.Len(t, codes, 10)
	return secret, codes
}

func splitTags(s string) []string {
	var out []string
	for {
		v := between(s, "<li>", "</li>")
		if v == "" {
			return out
		}
		out = append(out, v)
		_, s, _ = strings.Cut(s, "</li>")
	}
}

// nextCode is the code of the next time step: a code is good once, so a test that has just used
// the current one takes the next (accepted for clock drift).
func nextCode(t *testing.T, secret string) string {
	code, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	require.NoError(t, err)
	return code
}

// TestTwoFactorRequiredByGroup: an administrator requires two factors for a group; its member is
// sent to enrol before anything else, logs in with a code afterwards, and confirms changing field
// rules with a fresh code; an administrator's reset is audited and ends the member's sessions.
func TestTwoFactorRequiredByGroup(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	admin := env.Login("admin@demo.postdesk")
	var adminGroup, adminID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff_groups WHERE role = 'admin' ORDER BY id LIMIT 1`).Scan(&adminGroup))
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'admin@demo.postdesk'`).Scan(&adminID))

	r := admin.PostForm("/admin/staff/two-factor", url.Values{"group": {itoa(adminGroup)}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, "/me", admin.Get("/admin/staff").Location, "a member of a group that requires two factors enrols first")
	require.Contains(t, admin.Get("/me").Body, "Your group requires two-factor log-in")

	secret, codes := enrol(t, admin)
	require.Equal(t, http.StatusOK, admin.Get("/admin/staff").Status)

	// Field rules need a fresh code: the session's one is fresh for five minutes after enrolment,
	// so a new session (log-in with a code) ages its check by moving the clock.
	fresh := env.Anonymous()
	r = fresh.LoginAs("admin@demo.postdesk", "postdesk-demo")
	require.Equal(t, "/login/code?next=%2F", r.Location)
	fresh.Get(r.Location)
	r = fresh.PostForm("/login/code", url.Values{"code": {"000000"}, "next": {"/"}})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	require.Contains(t, r.Body, "The code is wrong")
	r = fresh.PostForm("/login/code", url.Values{"code": {nextCode(t, secret)}, "next": {"/"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	fresh.Get("/admin/groups")
	env.Clock.Advance(6 * time.Minute)
	r = fresh.PostForm("/admin/groups/rules", url.Values{"rule:1:x": {"read"}})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.Body, "Confirm with a code")
	require.Contains(t, r.Body, `name="rule:1:x" value="read"`, "the form carries the action's fields on")
	r = fresh.PostForm("/admin/groups/rules", url.Values{"_2fa_code": {"123456"}})
	require.Contains(t, r.Body, "The code is wrong")
	r = fresh.PostForm("/admin/groups/rules", url.Values{"_2fa_code": {codes[0]}})
	require.Equal(t, http.StatusSeeOther, r.Status, "a recovery code confirms too: %s", r.Body)
	r = fresh.PostForm("/admin/groups/rules", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, "fresh for a while after")

	// Another administrator resets the enrolment: audited, and the member's sessions end.
	var n int
	r = admin.PostForm("/admin/staff/"+itoa(adminID)+"/two-factor-reset", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'staff.two_factor_reset' AND record_id = $1`, itoa(adminID)).Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1`, adminID).Scan(&n))
	require.Zero(t, n)
	require.Equal(t, http.StatusSeeOther, fresh.Get("/admin/staff").Status, "the member's sessions ended")

	// The demo groups do not require two factors: make run stays one step.
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM staff_groups WHERE require_two_factor AND id <> $1`, adminGroup).Scan(&n))
	require.Zero(t, n)
}
