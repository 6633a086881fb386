package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
)

// The portal counts days in the platform's zone (Europe/Kyiv), by its own clock, whatever the
// machine's zone: run at 23:30 and at 00:30 Kyiv time on the nights the clocks change and at a
// month's end, the statement's default period (the month so far) is Kyiv's month and day. Run it
// with TZ=Etc/GMT+12 or TZ=Pacific/Kiritimati (as .ci/run does) and the machine's date differs.
func TestThePortalsDayIsKyivsAtEveryHour(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	kyiv := env.Config.TZ
	var user int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM accounts WHERE kind = 'client' ORDER BY id LIMIT 1`).Scan(&user))

	for _, c := range []struct {
		name     string
		at       time.Time
		from, to string
	}{
		{"before the spring change", time.Date(2026, 3, 28, 23, 30, 0, 0, kyiv), "2026-03-01", "2026-03-28"},
		{"the spring night", time.Date(2026, 3, 29, 0, 30, 0, 0, kyiv), "2026-03-01", "2026-03-29"},
		{"the spring night, past the change", time.Date(2026, 3, 29, 4, 30, 0, 0, kyiv), "2026-03-01", "2026-03-29"},
		{"before the autumn change", time.Date(2026, 10, 24, 23, 30, 0, 0, kyiv), "2026-10-01", "2026-10-24"},
		{"the autumn night", time.Date(2026, 10, 25, 0, 30, 0, 0, kyiv), "2026-10-01", "2026-10-25"},
		{"a month's last evening", time.Date(2026, 10, 31, 23, 30, 0, 0, kyiv), "2026-10-01", "2026-10-31"},
		{"the next month's first night", time.Date(2026, 11, 1, 0, 30, 0, 0, kyiv), "2026-11-01", "2026-11-01"},
		{"a year's last evening", time.Date(2026, 12, 31, 23, 30, 0, 0, kyiv), "2026-12-01", "2026-12-31"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env.Clock.Freeze(c.at)
			fin := env.Login("finance@demo.postdesk")
			r := fin.Get(fmt.Sprintf("/finance/statement?user=%d", user))
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.Contains(t, r.Body, `name="from" type="date" value="`+c.from+`"`, "at %s UTC", c.at.UTC().Format(time.DateTime))
			require.Contains(t, r.Body, `name="to" type="date" value="`+c.to+`"`, "at %s UTC", c.at.UTC().Format(time.DateTime))
		})
	}
}

// Times on pages are the platform's (Kyiv), not UTC and not the machine's: an order's creation time
// on its page reads as in Kyiv.
func TestPagesShowTimesInKyiv(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	var number string
	var created time.Time
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT number, created_at FROM orders ORDER BY id LIMIT 1`).Scan(&number, &created))
	r := env.Login("admin@demo.postdesk").Get("/orders/" + number)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, created.In(env.Config.TZ).Format("2006-01-02 15:04"))
	if created.In(env.Config.TZ).Hour() != created.UTC().Hour() {
		require.NotContains(t, r.Body, created.UTC().Format("2006-01-02 15:04"), "not in UTC")
	}
}
