package admin_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/seed"
)

// TestBrowserEachRoleSeesItsNavigation logs in as every demo role in a real browser and checks the
// navigation shows exactly the sections that role may open.
func TestBrowserEachRoleSeesItsNavigation(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	// What each role should see: the navigation entries whose permission Casbin grants it.
	want := map[string][]string{}
	for _, g := range []struct{ email, role string }{
		{"admin@demo.postdesk", "admin"}, {"agent@demo.postdesk", "support_agent"}, {"lead@demo.postdesk", "support_lead"},
		{"finance@demo.postdesk", "finance"}, {"finance2@demo.postdesk", "finance"}, {"editor@demo.postdesk", "editor"},
	} {
		for _, n := range admin.Nav {
			if env.Enforcer.Can([]string{g.role}, n.Perm) {
				want[g.email] = append(want[g.email], i18n.In("en", n.Key))
			}
		}
	}
	require.Equal(t, []string{"Dashboard"}, want["editor@demo.postdesk"][:1])
	require.NotContains(t, want["agent@demo.postdesk"], "Staff", "agents do not manage staff")
	for _, s := range seed.DemoStaff {
		t.Run(s.Email, func(t *testing.T) {
			ctx := admintest.Browser(t)
			var nav []string
			var heading string
			err := chromedp.Run(ctx,
				chromedp.Navigate(base+"/accounts"),
				chromedp.WaitVisible(`#email`, chromedp.ByQuery),
				chromedp.SendKeys(`#email`, s.Email, chromedp.ByQuery),
				chromedp.SendKeys(`#password`, seed.Password, chromedp.ByQuery),
				chromedp.Submit(`#login-form`, chromedp.ByQuery),
				chromedp.WaitVisible(`nav.nav`, chromedp.ByQuery),
				chromedp.Evaluate(`[...document.querySelectorAll('nav.nav a')].map(a => a.textContent.trim())`, &nav),
				chromedp.Text(`main h1`, &heading, chromedp.ByQuery),
			)
			require.NoError(t, err)
			require.Equal(t, want[s.Email], nav)
			if s.Email == "editor@demo.postdesk" {
				require.Equal(t, "Access denied", heading, "the editor may not open accounts")
			} else {
				require.Equal(t, "Accounts", heading, "after log-in the user lands where they were going")
			}
		})
	}
}

// TestBrowserConfirmDialogAndToast: a destructive action asks first in an accessible dialog, and
// success shows a toast.
func TestBrowserConfirmDialogAndToast(t *testing.T) {
	env := admintest.New(t)
	base := env.Serve()
	ctx := admintest.Browser(t)
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM staff WHERE email = 'editor@demo.postdesk'`).Scan(&id))
	var dialogText, toast, state string
	err := chromedp.Run(ctx,
		admintest.LogIn(base, "admin@demo.postdesk"),
		chromedp.Navigate(base+"/admin/staff/"+itoa(id)),
		chromedp.Click(`button.danger`, chromedp.ByQuery),
		chromedp.WaitVisible(`#confirm`, chromedp.ByQuery),
		chromedp.Text(`#confirm-text`, &dialogText, chromedp.ByQuery),
		chromedp.Click(`#confirm-ok`, chromedp.ByQuery),
		chromedp.WaitVisible(`.toast`, chromedp.ByQuery),
		chromedp.Text(`.toast`, &toast, chromedp.ByQuery),
		// The old page shows a status too: wait for the swapped-in one.
		chromedp.WaitVisible(`main h1 .status.status-deleted`, chromedp.ByQuery),
		chromedp.Text(`main h1 .status`, &state, chromedp.ByQuery),
	)
	require.NoError(t, err)
	require.Contains(t, dialogText, "Deactivate Editor Demo?")
	require.Equal(t, "Account deactivated", toast)
	require.Equal(t, "Deactivated", state)
}
