package orders_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/admintest"
)

var importStatus = regexp.MustCompile(`hx-get="/orders/import/(\d+)"`)

// runImport uploads a workbook and polls the import page until the job ends; it returns the page.
func runImport(t *testing.T, testEnv *admintest.Env, c *admintest.Client, file []byte, mode string) string {
	t.Helper()
	r := upload(c, "/orders/import", "file", "orders.xlsx", file, map[string]string{"mode": mode})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	m := importStatus.FindStringSubmatch(r.Body)
	if m == nil {
		return r.Body // the job had ended before the answer was written: the page shows its end
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r = c.Get("/orders/import/" + m[1])
		require.Equal(t, http.StatusOK, r.Status)
		if !importStatus.MatchString(r.Body) {
			return r.Body
		}
		time.Sleep(100 * time.Millisecond)
	}
	var jobErrs string
	_ = testEnv.Pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(state || ': ' || errors::text, ' | '), '') FROM river_job WHERE kind = 'orders_import'`).Scan(&jobErrs)
	t.Fatalf("import did not finish: %s\njobs: %s", r.Body, jobErrs)
	return ""
}

func countOrders(t *testing.T, env *admintest.Env) int {
	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n))
	return n
}

// fill writes rows under the template's header.
func fill(t *testing.T, template []byte, rows [][]any) []byte {
	f, err := excelize.OpenReader(bytes.NewReader(template))
	require.NoError(t, err)
	sheet := f.GetSheetName(0)
	require.NoError(t, f.RemoveRow(sheet, 2)) // the example row
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(t, f.SetSheetRow(sheet, cell, &r))
	}
	var out bytes.Buffer
	require.NoError(t, f.Write(&out))
	return out.Bytes()
}

func TestImportFromTemplate(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	startWorkers(t, env)
	ctx := context.Background()
	var client, blocked, courier int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&client))
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&courier))
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone, status) VALUES ('client', 'Заблокований', '+380500000001', 'blocked') RETURNING id`).Scan(&blocked))
	// A client who may not place orders (a block of that function alone).
	var noOrders int64
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone) VALUES ('client', 'Обмежений', '+380500000002') RETURNING id`).Scan(&noOrders))
	_, err := env.Pool.Exec(ctx, `INSERT INTO account_blocks (account_id, functions, reason) VALUES ($1, '{place_orders}', 'agreement_breach')`, noOrders)
	require.NoError(t, err)
	agent := env.Login("agent@demo.postdesk")

	r := agent.Get("/orders/import/template")
	require.Equal(t, http.StatusOK, r.Status)
	tpl := []byte(r.Body)
	tf, err := excelize.OpenReader(bytes.NewReader(tpl))
	require.NoError(t, err)
	require.Equal(t, []string{"Orders", "Help"}, tf.GetSheetList())
	header, _ := tf.GetRows("Orders")
	require.Equal(t, "External reference", header[0][0])
	help, _ := tf.GetRows("Help")
	require.Greater(t, len(help), 10, "the help sheet explains each column")

	next := time.Now().Add(72 * time.Hour)
	good := func(ref string) []any {
		return []any{ref, client, courier, "Олена Коваленко", "+380501234567", "Київ, Хрещатик 1", "Әлия Нұрланқызы", "+77011234567",
			"Алматы, пр. Абая 10", "Книги", "1.2", 1500.5, next, "=1+1"}
	}
	rows := [][]any{
		good("R-1"), // row 2
		func() []any { r := good("R-2"); r[7] = "12-34"; return r }(), // row 3: bad phone, column H
		good("R-3"), // row 4
		func() []any { r := good("R-4"); r[1] = blocked; return r }(),                            // row 5: blocked client
		func() []any { r := good("R-5"); r[1] = 99999999; r[6] = ""; r[10] = "500"; return r }(), // row 6: no such client, no recipient, too heavy
		good("R-1"), // row 7: reference repeated
		good("R-6"), // row 8
		func() []any { r := good("R-7"); r[1] = noOrders; return r }(), // row 9: may not place orders
	}
	file := fill(t, tpl, rows)
	before := countOrders(t, env)

	page := runImport(t, env, agent, file, "keep")
	require.Contains(t, page, "Created: 3. Already imported, skipped: 0. Rows with errors: 5.")
	for _, want := range []string{
		`<td class="num">3</td><td>Recipient&#39;s phone</td><td>Not a phone number`,
		`<td class="num">5</td><td>Client ID</td><td>This client is blocked`,
		`<td class="num">6</td><td>Client ID</td><td>No client with this ID.`,
		`<td class="num">6</td><td>Recipient</td><td>Required.`,
		`<td class="num">6</td><td>Weight, kg</td><td>Heavier than the tariff allows (70 kg at most).`,
		`<td class="num">7</td><td>External reference</td><td>This external reference is already used higher up`,
		`<td class="num">9</td><td>Client ID</td><td>Placing orders is blocked for this client.`,
	} {
		require.Contains(t, page, want)
	}
	require.Equal(t, before+3, countOrders(t, env))
	var hist, audits int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM order_status_history h JOIN orders o ON o.id = h.order_id WHERE o.external_ref LIKE 'R-%'`).Scan(&hist))
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'order.import'`).Scan(&audits))
	require.Equal(t, 3, hist)
	require.Equal(t, 3, audits)
	var cost, declared int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT cost, declared_value FROM orders WHERE external_ref = 'R-1'`).Scan(&cost, &declared))
	require.Equal(t, int64(7500), cost)
	require.Equal(t, int64(150050), declared)

	// The failed rows come back as the template (its columns unchanged) plus an error column at
	// the end saying the row and the reason.
	failedURL := regexp.MustCompile(`href="(/files/\d+)" download>Download the failed rows`).FindStringSubmatch(page)
	require.NotNil(t, failedURL, page)
	r = agent.Get(failedURL[1])
	require.Equal(t, http.StatusOK, r.Status)
	failedFile := []byte(r.Body)
	ff, err := excelize.OpenReader(bytes.NewReader(failedFile))
	require.NoError(t, err)
	sheet := ff.GetSheetName(0)
	failed, _ := ff.GetRows(sheet)
	require.Len(t, failed, 6)
	require.Equal(t, append(append([]string(nil), header[0]...), "Error (ignored on import)"), failed[0])
	require.Equal(t, "R-2", failed[1][0])
	require.Contains(t, failed[1][14], "Row 3: Recipient's phone: Not a phone number")
	// Real numbers and dates, not the serial numbers the reader saw.
	for _, cell := range []string{"K2", "L2", "M2"} {
		raw, err := ff.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		_, perr := strconv.ParseFloat(raw, 64)
		require.NoError(t, perr, "%s is a number cell: %q", cell, raw)
		shown, _ := ff.GetCellValue(sheet, cell)
		require.NotEqual(t, raw, shown, "%s has a number format", cell)
	}
	shownWeight, _ := ff.GetCellValue(sheet, "K2")
	require.Equal(t, "1.200", shownWeight)
	due, err := ff.GetCellValue(sheet, "M2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	dueSerial, _ := strconv.ParseFloat(due, 64)
	dueTime, err := excelize.ExcelDateToTime(dueSerial, false)
	require.NoError(t, err)
	// fill wrote next's wall clock, which the import read as the platform's: the same comes back.
	require.Equal(t, next.Round(time.Minute).Format("2006-01-02 15:04"), dueTime.Round(time.Minute).Format("2006-01-02 15:04"))

	// Fixed where the errors say, the failed-rows workbook imports as it is (error column and all).
	for _, fix := range [][2]string{{"H2", "+380671112233"}, {"B3", strconv.FormatInt(client, 10)}, {"B4", strconv.FormatInt(client, 10)},
		{"G4", "Петро Іваненко"}, {"K4", "2.5"}, {"B6", strconv.FormatInt(client, 10)}} {
		if fix[0][0] == 'B' {
			n, _ := strconv.ParseInt(fix[1], 10, 64)
			require.NoError(t, ff.SetCellInt(sheet, fix[0], n))
			continue
		}
		require.NoError(t, ff.SetCellStr(sheet, fix[0], fix[1]))
	}
	var fixed bytes.Buffer
	require.NoError(t, ff.Write(&fixed))
	page = runImport(t, env, agent, fixed.Bytes(), "keep")
	require.Contains(t, page, "Created: 4. Already imported, skipped: 1. Rows with errors: 0.", page)
	require.Equal(t, before+7, countOrders(t, env))
	var grams int
	var gotDue, firstDue time.Time
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT weight_grams, expected_at FROM orders WHERE external_ref = 'R-5'`).Scan(&grams, &gotDue))
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT expected_at FROM orders WHERE external_ref = 'R-1'`).Scan(&firstDue))
	require.Equal(t, 2500, grams)
	require.Equal(t, firstDue.UTC(), gotDue.UTC(), "the date came back as the date")

	// The same file again creates nothing: every good row is already there.
	page = runImport(t, env, agent, file, "keep")
	require.Contains(t, page, "Created: 0. Already imported, skipped: 3. Rows with errors: 5.")
	require.Equal(t, before+7, countOrders(t, env))

	// Refuse the whole file: bad rows mean nothing is imported, even new good ones.
	rows[0] = good("R-100")
	page = runImport(t, env, agent, fill(t, tpl, rows), "all")
	require.Contains(t, page, "Nothing was imported")
	require.Equal(t, before+7, countOrders(t, env))
}

func TestImportRefusesMalformedFiles(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	startWorkers(t, env)
	agent := env.Login("agent@demo.postdesk")
	before := countOrders(t, env)

	// Not a zip at all: refused at once.
	r := upload(agent, "/orders/import", "file", "orders.xlsx", []byte("number;weight\nPD1;2\n"), map[string]string{"mode": "keep"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, toastOf(r), "not an Excel workbook")

	// A zip that is not a workbook.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("word/document.xml")
	_, _ = w.Write([]byte("<w/>"))
	require.NoError(t, zw.Close())
	require.Contains(t, runImport(t, env, agent, zb.Bytes(), "keep"), "This is not an Excel workbook")

	// A workbook with someone else's columns.
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Номер", "Вага", "Адреса"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"1", "2", "Київ"}))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	page := runImport(t, env, agent, buf.Bytes(), "keep")
	require.Contains(t, page, "The header row does not match the template")
	require.Contains(t, page, `A: &#34;Номер&#34;`)

	// A zip bomb: a small file that unpacks to gigabytes.
	var bomb bytes.Buffer
	zw = zip.NewWriter(&bomb)
	w, _ = zw.Create("[Content_Types].xml")
	_, _ = w.Write([]byte(`<Types><Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`))
	w, _ = zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 300 {
		_, _ = w.Write(zeros)
	}
	require.NoError(t, zw.Close())
	require.Contains(t, runImport(t, env, agent, bomb.Bytes(), "keep"), "unpacks to far more data")

	require.Equal(t, before, countOrders(t, env), "malformed files change nothing")
	_ = strconv.Itoa
}
