package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/seed"
)

// TestBrowserTwoFactorLogin: a member enrols on /me with the QR code's key and a first code, is
// shown ten recovery codes, logs out, logs in with a code from the app, and again with a recovery
// code (which then no longer counts).
func TestBrowserTwoFactorLogin(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	ctx := admintest.Browser(t)
	const email = "editor@demo.postdesk"

	var secret, qr string
	var codes []string
	require.NoError(t, chromedp.Run(ctx,
		admintest.LogIn(base, email),
		chromedp.Navigate(base+"/me"),
		chromedp.WaitVisible(`#tf-start`, chromedp.ByQuery),
		chromedp.Click(`#tf-start`, chromedp.ByQuery),
		chromedp.WaitVisible(`#totp-secret`, chromedp.ByQuery),
		chromedp.Text(`#totp-secret`, &secret, chromedp.ByQuery),
		chromedp.AttributeValue(`#totp-qr`, "src", &qr, nil, chromedp.ByQuery),
	))
	require.True(t, strings.HasPrefix(qr, "data:image/png;base64,"), "the QR code is shown inline")
	var naturalWidth int
	require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('#totp-qr').naturalWidth`, &naturalWidth)))
	require.Greater(t, naturalWidth, 0, "the browser could draw the QR code (the page's CSP allows it)")
	code, err := totp.GenerateCode(strings.TrimSpace(secret), time.Now())
	require.NoError(t, err)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys(`#tf-code`, code, chromedp.ByQuery),
		chromedp.Click(`#tf-confirm`, chromedp.ByQuery),
		chromedp.WaitVisible(`#recovery-codes`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('#recovery-codes li')].map(li => li.textContent.trim())`, &codes),
	))
	require.Len(t, codes, 10)

	logInWith := func(second string) string {
		var heading string
		step, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		err := chromedp.Run(step,
			chromedp.Submit(`form[action="/logout"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#login-form`, chromedp.ByQuery),
			chromedp.SendKeys(`#email`, email, chromedp.ByQuery),
			chromedp.SendKeys(`#password`, seed.Password, chromedp.ByQuery),
			chromedp.Submit(`#login-form`, chromedp.ByQuery),
			chromedp.WaitVisible(`#code`, chromedp.ByQuery),
			chromedp.SendKeys(`#code`, second, chromedp.ByQuery),
			chromedp.Submit(`#code-form`, chromedp.ByQuery),
			chromedp.WaitVisible(`nav.nav`, chromedp.ByQuery),
			chromedp.Text(`main h1`, &heading, chromedp.ByQuery),
		)
		if err != nil {
			var loc, html string
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.OuterHTML("main", &html, chromedp.ByQuery))
			t.Fatalf("log in with %q: %v at %s: %.1500s", second, err, loc, html)
		}
		return heading
	}
	next, err := totp.GenerateCode(strings.TrimSpace(secret), time.Now().Add(30*time.Second))
	require.NoError(t, err)
	require.NotEmpty(t, logInWith(next), "logged in with a code from the app")
	require.NotEmpty(t, logInWith(codes[3]), "logged in with a recovery code")

	var left string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(base+"/me"),
		chromedp.Text(`#codes-left`, &left, chromedp.ByQuery),
	))
	require.Contains(t, left, "Recovery codes left: 9")
	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND actor_email = $1 AND after->>'second_factor' IS NOT NULL`, email).Scan(&n))
	require.Equal(t, 2, n, "both log-ins are audited with their second factor")
}
