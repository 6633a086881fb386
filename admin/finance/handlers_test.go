package finance_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/orders"
)

// Finance follows one delivered order through its pages: the trial balance sums to zero, the
// ledger browser finds the order's entries and exports them, the client's balances and statement
// show the charge, the act is a PDF; the commission changes for new orders only, audited.
func TestFinancePages(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	var client, courier int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT (SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1),
		(SELECT id FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1)`).Scan(&client, &courier))
	p, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	// The demo gives the client money of its own; the pages show it plus this test's top-up less
	// the order's cost.
	demo, err := ledger.Balances(ctx, env.Pool, ledger.UserID(client))
	require.NoError(t, err)
	after := demo.Available + 5000_00 - 75_00
	shown := money.Format(after, "UAH", "en") // admintest's staff read English
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

	fin := env.Login("finance@demo.postdesk")
	r := fin.Get("/finance")
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `<td class="num" id="trial-total">`+money.Format(0, "UAH", "en")+`</td>`)
	require.Contains(t, r.Body, `<svg class="chart"`)
	require.Contains(t, r.Body, `class="chart-bar"`)
	// Issue 14, item 6: the revenue chart has dates, a y axis in the viewer's number style with the
	// currency, and a legend (it was one bar without axes or dates).
	require.Regexp(t, `<text [^>]*>\d\d\.\d\d</text>`, r.Body)
	require.Regexp(t, `<text [^>]*text-anchor="end"[^>]*>0\.00</text>`, r.Body)
	require.Contains(t, r.Body, `>UAH</text>`)
	require.Contains(t, r.Body, `class="legend"`)

	r = fin.Get("/finance/ledger?order=" + number)
	require.Equal(t, http.StatusOK, r.Status)
	// Issue 14, items 5 and 6: reasons in words (the code kept as the tooltip the reason filter
	// takes) and the owner's name beside the id, not "Client or courier 3".
	require.Contains(t, r.Body, `<td title="order.delivered">Order delivered: payment to the courier</td>`)
	require.Contains(t, r.Body, `<td title="order.placed">Order placed: delivery cost held</td>`)
	var clientName string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT name FROM accounts WHERE id = $1`, client).Scan(&clientName))
	require.Contains(t, r.Body, html.EscapeString(clientName)+` <span class="muted">#`+strconv.FormatInt(client, 10)+`</span>`)
	require.Contains(t, r.Body, money.Format(-75_00, "UAH", "en"))
	r = fin.Get("/finance/ledger.xlsx?order=" + number)
	require.Equal(t, http.StatusOK, r.Status)
	require.True(t, strings.HasPrefix(r.Body, "PK"), "an xlsx is a zip")
	book, err := excelize.OpenReader(strings.NewReader(r.Body))
	require.NoError(t, err)
	rows, err := book.GetRows(book.GetSheetName(0))
	require.NoError(t, err)
	var reasons []string
	for _, row := range rows[1:] {
		reasons = append(reasons, row[5])
	}
	require.Contains(t, reasons, "Order delivered: payment to the courier", "the workbook's reasons are words too")

	uid := strconv.FormatInt(client, 10)
	r = fin.Get("/finance/balances?user=" + uid)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, shown)

	today := time.Now().In(env.Config.TZ).Format("2006-01-02") // the portal's day, not the machine's
	r = fin.Get("/finance/statement?user=" + uid + "&from=" + today + "&to=" + today)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, `id="opening">`+money.Format(0, "UAH", "en")+`<`)
	require.Contains(t, r.Body, `id="closing">`+shown+`<`)
	r = fin.Get("/finance/statement.pdf?user=" + uid + "&from=" + today + "&to=" + today)
	require.Equal(t, http.StatusOK, r.Status)
	require.True(t, strings.HasPrefix(r.Body, "%PDF"))
	// The act as a background job with progress: queued by the page, made by the worker.
	r = fin.PostForm("/finance/statement/act", url.Values{"user": {uid}, "from": {today}, "to": {today}})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	var raw []byte
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT args FROM river_job WHERE kind = 'finance_act'`).Scan(&raw))
	var args finance.ActArgs
	require.NoError(t, json.Unmarshal(raw, &args))
	store, err := files.Open(ctx, env.Pool, env.Config.DataDir)
	require.NoError(t, err)
	require.NoError(t, (&finance.Env{Pool: env.Pool, Files: store, Loc: time.UTC, Currency: "UAH"}).RunAct(ctx, args))
	f, err := store.Get(ctx, args.FileID)
	require.NoError(t, err)
	require.Equal(t, files.Done, f.State)
	rc, err := store.Read(ctx, f, false)
	require.NoError(t, err)
	head := make([]byte, 4)
	_, err = io.ReadFull(rc, head)
	require.NoError(t, err)
	rc.Close()
	require.Equal(t, "%PDF", string(head))

	r = fin.Get("/finance/statement.xlsx?user=" + uid)
	require.Equal(t, http.StatusOK, r.Status)
	require.True(t, strings.HasPrefix(r.Body, "PK"))

	r = fin.PostForm("/finance/settings/commission", url.Values{"percent": {"12.5"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	bp, err := settle.CommissionBP(ctx, env.Pool)
	require.NoError(t, err)
	require.Equal(t, 1250, bp)
	var audited int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'finance.commission'`).Scan(&audited))
	require.Equal(t, 1, audited)
	require.Contains(t, fin.Get("/finance/settings").Body, `value="12.5"`)

	// Support agents have no finance pages; leads read but do not edit.
	require.Equal(t, http.StatusForbidden, env.Login("agent@demo.postdesk").Get("/finance").Status)
	lead := env.Login("lead@demo.postdesk")
	require.Equal(t, http.StatusOK, lead.Get("/finance/ledger").Status)
	require.Equal(t, http.StatusForbidden, lead.PostForm("/finance/settings/commission", url.Values{"percent": {"1"}}).Status)
}

// The settings take only plain numbers: "−0.50" was saved as 0.50 and "1.-5" as 0.95 (a minus that
// vanished); now each is refused with a message saying what to type, and nothing changes.
func TestSettingsRefuseSignedAndMalformedAmounts(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	fin := env.Login("finance@demo.postdesk")
	before, err := orders.LoadTariff(ctx, env.Pool)
	require.NoError(t, err)
	bp, err := settle.CommissionBP(ctx, env.Pool)
	require.NoError(t, err)
	for _, price := range []string{"\u22120.50", "-0.50", "1.-5", "1.234", "0", "95 UAH", "1e3"} {
		r := fin.PostForm("/finance/settings/tariff", url.Values{"bands": {"1000 95.00\n5000 " + price}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%q: %s", price, r.Body)
	}
	for _, pct := range []string{"\u22120.50", "-0.50", "1.-5", "12.345", "101", "abc"} {
		r := fin.PostForm("/finance/settings/commission", url.Values{"percent": {pct}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%q: %s", pct, r.Body)
	}
	after, err := orders.LoadTariff(ctx, env.Pool)
	require.NoError(t, err)
	require.Equal(t, before, after)
	bp2, err := settle.CommissionBP(ctx, env.Pool)
	require.NoError(t, err)
	require.Equal(t, bp, bp2)

	// The message says what to type, in the user's language.
	r := fin.PostForm("/finance/settings/tariff", url.Values{"bands": {"1000 1.-5"}})
	require.Contains(t, r.Body+r.Header.Get("HX-Trigger"), "plain number with at most two decimals")

	// Plain amounts with a comma or a dot still save.
	r = fin.PostForm("/finance/settings/tariff", url.Values{"bands": {"1000 95,5\n5000 130.00"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	saved, err := orders.LoadTariff(ctx, env.Pool)
	require.NoError(t, err)
	require.Equal(t, orders.Tariff{{MaxGrams: 1000, Price: 9550}, {MaxGrams: 5000, Price: 13000}}, saved)
	r = fin.PostForm("/finance/settings/commission", url.Values{"percent": {"7,25"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	bp3, err := settle.CommissionBP(ctx, env.Pool)
	require.NoError(t, err)
	require.Equal(t, 725, bp3)
}
