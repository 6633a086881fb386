package orders_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/orders"
)

// The round-trip accounts: the same ids in every database the test builds.
const rtClient, rtCourier = 900001, 900002

func roundTripAccounts(t *testing.T, env *admintest.Env) {
	t.Helper()
	_, err := env.Pool.Exec(context.Background(), `INSERT INTO accounts (id, kind, name, phone) OVERRIDING SYSTEM VALUE VALUES
		($1, 'client', 'Магазин «Кругообіг»', '+380500009001'), ($2, 'courier', 'Кур''єр Кругообігу', '+380500009002')`, rtClient, rtCourier)
	require.NoError(t, err)
}

type rtOrder struct {
	Grams, Cost, Declared                        int64
	Courier                                      int64
	SenderName, SenderPhone, SenderAddress       string
	RecipientName, RecipientPhone, RecipientAddr string
	Item, Comment                                string
	Expected                                     time.Time
}

func rtOrders(t *testing.T, env *admintest.Env) map[string]rtOrder {
	t.Helper()
	rows, err := env.Pool.Query(context.Background(), `SELECT external_ref, weight_grams, cost, declared_value, coalesce(courier_id, 0),
			sender_name, sender_phone, sender_address, recipient_name, recipient_phone, recipient_address, item, comment,
			coalesce(expected_at, 'epoch')
		FROM orders WHERE client_id = $1`, rtClient)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]rtOrder{}
	for rows.Next() {
		var ref string
		var o rtOrder
		require.NoError(t, rows.Scan(&ref, &o.Grams, &o.Cost, &o.Declared, &o.Courier, &o.SenderName, &o.SenderPhone, &o.SenderAddress,
			&o.RecipientName, &o.RecipientPhone, &o.RecipientAddr, &o.Item, &o.Comment, &o.Expected))
		o.Expected = o.Expected.UTC()
		out[ref] = o
	}
	require.NoError(t, rows.Err())
	return out
}

// An export of orders, trimmed with excelize to the template's columns (the other columns
// deleted), imports into an empty database of the same accounts and gives back the same weights,
// costs, declared values, recipients, senders, couriers and dates.
func TestExportTrimmedToTemplateImportsUnchanged(t *testing.T) {
	t.Parallel()
	src := admintest.New(t)
	startWorkers(t, src)
	roundTripAccounts(t, src)
	admin := src.Login("admin@demo.postdesk")

	// The orders, put in through the template.
	r := admin.Get("/orders/import/template")
	require.Equal(t, http.StatusOK, r.Status)
	due := time.Now().Add(96 * time.Hour).Truncate(time.Minute)
	rows := [][]any{
		{"RT-1", rtClient, rtCourier, "Олена Коваленко", "+380501234567", "Київ, Хрещатик 1", "Әлия Нұрланқызы", "+77011234567",
			"Алматы, пр. Абая 10, кв. 5", "Книги", "1.25", 1500.5, due, "=1+1 is text here"},
		{"RT-2", rtClient, nil, "ТОВ «Ромашка»", "+380671112233", "Львів, пл. Ринок 1", "Іван Петренко", "0501234567",
			"Одеса, вул. Дерибасівська 5", "Документи", "0.007", 0, nil, ""},
		{"RT-3", rtClient, rtCourier, "Sender Three", "+380931112233", "Дніпро, пр. Яворницького 2", "Recipient Three", "+380991112233",
			"Харків, вул. Сумська 3", "Запчастини", "12.345", 99999.99, due.Add(26 * time.Hour), "крихке"},
	}
	page := runImport(t, src, admin, fill(t, []byte(r.Body), rows), "keep")
	require.Contains(t, page, "Created: 3. Already imported, skipped: 0. Rows with errors: 0.", page)
	want := rtOrders(t, src)
	require.Len(t, want, 3)
	require.Equal(t, int64(1250), want["RT-1"].Grams)
	require.Equal(t, int64(7), want["RT-2"].Grams)

	// Exported with every column, the template's in its order with others between them. (The
	// first is the template's: excelize v2.10.0 cannot delete column A under an autofilter.)
	cols := []string{"external_ref", "number", "status", "client", "client_id", "courier_id", "courier", "sender_name", "sender_phone",
		"sender_address", "recipient_name", "recipient_phone", "recipient_address", "item", "weight", "declared_value", "cost",
		"expected", "created", "comment", "waybill"}
	form := url.Values{"col": cols}
	for i, k := range cols {
		form.Set("pos_"+k, strconv.Itoa(i+1))
	}
	require.Equal(t, http.StatusOK, admin.PostForm("/orders/columns", form).Status)
	r = htmxPost(admin, "/orders/export", map[string][]string{"client": {strconv.Itoa(rtClient)}})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	frag, _ := waitJob(t, admin, r)
	require.Contains(t, frag, `data-state="done"`, frag)
	body, _ := download(t, admin, frag)

	f, err := excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	sheet := f.GetSheetName(0)
	header, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Contains(t, header[0], "Weight, kg")
	// Weight is a number cell in kilograms with three decimals.
	weightCol := -1
	for i, h := range header[0] {
		if h == "Weight, kg" {
			weightCol = i
		}
	}
	for i, row := range header[1:] {
		cell, _ := excelize.CoordinatesToCellName(weightCol+1, i+2)
		raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		g, err := orders.ParseKg(raw)
		require.NoError(t, err, raw)
		ref := row[0]
		require.Equal(t, want[ref].Grams, g, "%s: %s", ref, raw)
		shown, _ := f.GetCellValue(sheet, cell)
		require.Regexp(t, `^\d+\.\d{3}$`, shown)
	}

	// Trim: delete every column the template does not have, right to left.
	template := orders.ImportHeader("en")
	inTemplate := map[string]bool{}
	for _, h := range template {
		inTemplate[h] = true
	}
	for i := len(header[0]) - 1; i >= 0; i-- {
		if !inTemplate[header[0][i]] {
			name, _ := excelize.ColumnNumberToName(i + 1)
			require.NoError(t, f.RemoveCol(sheet, name))
		}
	}
	trimmedRows, _ := f.GetRows(sheet)
	require.Equal(t, template, trimmedRows[0], "the export's headers are the template's")
	var trimmed bytes.Buffer
	require.NoError(t, f.Write(&trimmed))

	// An empty database of the same accounts.
	dst := admintest.New(t)
	startWorkers(t, dst)
	roundTripAccounts(t, dst)
	require.Empty(t, rtOrders(t, dst))
	page = runImport(t, dst, dst.Login("admin@demo.postdesk"), trimmed.Bytes(), "keep")
	require.Contains(t, page, "Created: 3. Already imported, skipped: 0. Rows with errors: 0.", page)
	require.Equal(t, want, rtOrders(t, dst))
}

// The template's example row is marked (its reference begins with EXAMPLE) and never imports:
// the template uploaded unchanged creates nothing and says why; with rows of one's own under it,
// only those are created.
func TestImportTemplateExampleRowNeverImports(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	startWorkers(t, env)
	agent := env.Login("agent@demo.postdesk")
	r := agent.Get("/orders/import/template")
	require.Equal(t, http.StatusOK, r.Status)
	tpl := []byte(r.Body)
	tf, err := excelize.OpenReader(bytes.NewReader(tpl))
	require.NoError(t, err)
	example, _ := tf.GetCellValue("Orders", "A2")
	require.True(t, orders.IsExample(example), example)
	before := countOrders(t, env)

	page := runImport(t, env, agent, tpl, "keep")
	require.Contains(t, page, "The file holds only the template&#39;s example row")
	require.Equal(t, before, countOrders(t, env), "the unchanged template creates no order")

	// The example left in place with a real row under it: the real row only.
	var client int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&client))
	require.NoError(t, tf.SetSheetRow("Orders", "A3", &[]any{"EX-REAL-1", client, nil, "Олена", "+380501234567", "Київ", "Іван", "+380671112233",
		"Львів", "Книги", 2, 100}))
	var buf bytes.Buffer
	require.NoError(t, tf.Write(&buf))
	page = runImport(t, env, agent, buf.Bytes(), "keep")
	require.Contains(t, page, "Created: 1. Already imported, skipped: 0. Rows with errors: 0.", page)
	require.Contains(t, page, "The template&#39;s example row was not imported (1).")
	require.Equal(t, before+1, countOrders(t, env))
}

// Formula cells are refused, whatever their cached result, and a weight finer than a gram says
// so rather than "not a number".
func TestImportRefusesFormulasAndGramFractions(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	startWorkers(t, env)
	agent := env.Login("agent@demo.postdesk")
	var client int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&client))
	r := agent.Get("/orders/import/template")
	row := func(ref string) []any {
		return []any{ref, client, nil, "Олена", "+380501234567", "Київ", "Іван", "+380671112233", "Львів", "Книги", "1.5", 100}
	}
	file := fill(t, []byte(r.Body), [][]any{row("F-1"), row("F-2"), row("F-3"), row("F-4")})
	f, err := excelize.OpenReader(bytes.NewReader(file))
	require.NoError(t, err)
	require.NoError(t, f.SetCellFormula("Orders", "K2", "1+1"))                       // weight =1+1
	require.NoError(t, f.SetCellFormula("Orders", "G3", `HYPERLINK("http://x","x")`)) // recipient
	require.NoError(t, f.SetCellStr("Orders", "K4", "1.2345"))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	before := countOrders(t, env)

	page := runImport(t, env, agent, buf.Bytes(), "keep")
	require.Contains(t, page, "Created: 1. Already imported, skipped: 0. Rows with errors: 3.", page)
	for _, want := range []string{
		`<td class="num">2</td><td>Weight, kg</td><td>Type the value, not a formula.`,
		`<td class="num">3</td><td>Recipient</td><td>Type the value, not a formula.`,
		`<td class="num">4</td><td>Weight, kg</td><td>At most three decimals`,
	} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "Not a number")
	require.Equal(t, before+1, countOrders(t, env))
}
