package admintest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/seed"
)

// Browser starts a headless Chromium (Debian's; make test installs it) for one test and returns
// its context, which ends after two minutes or with the test. As root Chromium runs without its
// sandbox, which it refuses otherwise.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	require.NotEmpty(t, path, "Chromium is needed for browser tests: make test installs it (apt-get install chromium)")
	profile, err := os.MkdirTemp("", "postdesk-chromium-")
	require.NoError(t, err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1400, 1400),
		chromedp.UserDataDir(profile),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// A whole test's budget: under make test (-race, two packages at once, each with its Chromium,
	// on two cores) a test that prints and exports through River jobs took just over two minutes.
	ctx, cancelTimeout := context.WithTimeout(ctx, 240*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		// Chromium may still be writing its profile as it exits; t.TempDir would fail the test
		// when it cannot remove it, so the folder is ours and removed on a best-effort basis.
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	require.NoError(t, chromedp.Run(ctx), "start Chromium")
	return ctx
}

// LogIn signs a browser in as a demo staff member through the log-in form and waits for the
// header of the page it lands on (visible at any screen size: on a phone the navigation is folded).
func LogIn(base, email string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible(`#email`, chromedp.ByQuery),
		chromedp.SendKeys(`#email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, seed.Password, chromedp.ByQuery),
		chromedp.Submit(`#login-form`, chromedp.ByQuery),
		chromedp.WaitVisible(`header.top`, chromedp.ByQuery),
	}
}
