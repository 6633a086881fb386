package finance_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/orders"
)

// Issue 14, item 6: the finance overview draws its revenue chart in Chromium — a sized, labelled
// SVG with dates and amounts on its axes that do not run into each other — without a script error.
func TestBrowserOverviewChartDraws(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	var client, courier int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT (SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1),
		(SELECT id FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1)`).Scan(&client, &courier))
	p, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	for _, u := range []int64{client, courier} {
		ua, err := ledger.EnsureUserAccounts(ctx, env.Pool, ledger.UserID(u))
		require.NoError(t, err)
		require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
			_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "test-topup:" + strconv.FormatInt(u, 10), Reason: "topup",
				Legs: ledger.Move(p.GatewayClearing, ua.Available, 5000_00)})
			return err
		}))
	}
	var number string
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO orders (client_id, courier_id, sender_name, sender_phone, sender_address,
			recipient_name, recipient_phone, recipient_address, item, weight_grams, declared_value, cost)
		VALUES ($1, $2, 'Олена', '+380501112233', 'Київ', 'Петро', '+380501112234', 'Львів', 'книга', 1500, 20000, 7500) RETURNING number`,
		client, courier).Scan(&number))
	for _, to := range []orders.Status{orders.Deal, orders.PickedUp, orders.Delivered} {
		require.NoError(t, lifecycle.Move(ctx, env.Pool, number, orders.MoveRequest{To: to}, time.Now()))
	}
	base := env.Serve()
	b := admintest.Browser(t)
	var errs []string
	chromedp.ListenTarget(b, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			errs = append(errs, e.ExceptionDetails.Text)
		}
	})
	var r struct {
		Sized, Labelled bool
		Texts           []string
		Overlaps        int
	}
	require.NoError(t, chromedp.Run(b, admintest.LogIn(base, "finance@demo.postdesk"),
		chromedp.Navigate(base+"/finance"),
		chromedp.WaitVisible(`svg.chart`, chromedp.ByQuery),
		chromedp.Evaluate(`(() => {
  const svg = document.querySelector('svg.chart'), b = svg.getBoundingClientRect();
  const r = {Sized: b.width > 0 && b.height > 0, Labelled: svg.getAttribute('role') === 'img' && !!svg.getAttribute('aria-label'), Texts: [], Overlaps: 0};
  const boxes = [];
  for (const t of svg.querySelectorAll(':scope > text')) { r.Texts.push(t.textContent.trim()); boxes.push(t.getBoundingClientRect()); }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], c = boxes[j];
    if (a.width && c.width && a.left < c.right - 0.5 && c.left < a.right - 0.5 && a.top < c.bottom - 0.5 && c.top < a.bottom - 0.5) r.Overlaps++;
  }
  return r;
})()`, &r),
	))
	require.True(t, r.Sized)
	require.True(t, r.Labelled)
	require.GreaterOrEqual(t, len(r.Texts), 3, "axis labels: %v", r.Texts)
	require.Zero(t, r.Overlaps, "labels run together: %v", r.Texts)
	require.Empty(t, errs)
}
