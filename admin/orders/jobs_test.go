package orders_test

import (
	"archive/zip"
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/admintest"
)

var downloadLink = regexp.MustCompile(`href="(/files/\d+)"`)

func download(t *testing.T, c *admintest.Client, fragment string) ([]byte, admintest.Response) {
	t.Helper()
	m := downloadLink.FindStringSubmatch(fragment)
	require.NotNil(t, m, "no download link in %s", fragment)
	r := c.Get(m[1])
	require.Equal(t, http.StatusOK, r.Status)
	return []byte(r.Body), r
}

// The export has the rows of the filtered list with the user's columns, typed cells, nothing the
// user may not see, and text that starts like a formula stays text.
func TestExportExcel(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	startWorkers(t, env)
	ctx := context.Background()
	var client int64
	var phone string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT client_id, recipient_phone FROM orders WHERE status = 'delivered' ORDER BY id LIMIT 1`).Scan(&client, &phone))
	_, err := env.Pool.Exec(ctx, `UPDATE orders SET comment = '=HYPERLINK("http://evil","x")', item = '+1+2', sender_name = '@SUM(1)' WHERE client_id = $1`, client)
	require.NoError(t, err)
	var want int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE client_id = $1 AND status = 'delivered'`, client).Scan(&want))

	agent := env.Login("agent@demo.postdesk")
	agent.PostForm("/orders/columns", map[string][]string{"col": {"number", "created", "recipient_phone", "sender_name", "item", "weight", "cost", "comment", "status"},
		"pos_number": {"1"}, "pos_created": {"2"}, "pos_recipient_phone": {"3"}, "pos_sender_name": {"4"}, "pos_item": {"5"},
		"pos_weight": {"6"}, "pos_cost": {"7"}, "pos_comment": {"8"}, "pos_status": {"9"}})
	r := htmxPost(agent, "/orders/export", map[string][]string{"client": {strconv.FormatInt(client, 10)}, "status": {"delivered"}})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	require.Contains(t, r.Body, `role="progressbar"`)
	frag, id := waitJob(t, agent, r)
	require.Contains(t, frag, `data-state="done"`, frag)
	body, resp := download(t, agent, frag)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")

	// Another staff member cannot fetch it, even knowing the id.
	require.Equal(t, http.StatusNotFound, env.Login("lead@demo.postdesk").Get("/files/"+strconv.FormatInt(id, 10)).Status)

	f, err := excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.Len(t, rows, want+1)
	require.Equal(t, []string{"Order", "Created", "Recipient's phone", "Sender", "Item", "Weight, kg", "Delivery cost", "Comment", "Status"}, rows[0])
	for _, row := range rows[1:] {
		require.Regexp(t, `^PD\d{8}$`, row[0])
		require.Regexp(t, `^\+\d+ •`, row[2], "phones stay masked for the agent")
		require.Equal(t, "Delivered", row[8])
	}
	// Types: the creation time is a date cell, weight and cost are numbers, formulas are text.
	ct, err := f.GetCellType(sheet, "B2")
	require.NoError(t, err)
	require.NotEqual(t, excelize.CellTypeInlineString, ct)
	raw, err := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	_, err = strconv.ParseFloat(raw, 64)
	require.NoError(t, err, "a date is stored as a serial number: %q", raw)
	for _, cell := range []string{"F2", "G2"} {
		ct, err := f.GetCellType(sheet, cell)
		require.NoError(t, err)
		require.Contains(t, []excelize.CellType{excelize.CellTypeNumber, excelize.CellTypeUnset}, ct, cell)
	}
	for _, cell := range []string{"D2", "E2", "H2"} {
		formula, err := f.GetCellFormula(sheet, cell)
		require.NoError(t, err)
		require.Empty(t, formula, "%s must not be a formula", cell)
	}
	v, _ := f.GetCellValue(sheet, "H2")
	require.Equal(t, `=HYPERLINK("http://evil","x")`, v)
	v, _ = f.GetCellValue(sheet, "E2")
	require.Equal(t, "+1+2", v)

	// No hidden value anywhere in the file: not the raw phone, and for finance no phones at all.
	xml := unzipAll(t, body)
	require.NotContains(t, xml, phone)
	fin := env.Login("finance@demo.postdesk")
	fin.PostForm("/orders/columns", map[string][]string{"col": {"number", "recipient_phone", "sender_phone", "recipient_address", "cost"}})
	r = htmxPost(fin, "/orders/export", map[string][]string{"client": {strconv.FormatInt(client, 10)}})
	frag, _ = waitJob(t, fin, r)
	body, _ = download(t, fin, frag)
	xml = unzipAll(t, body)
	require.NotContains(t, xml, phone)
	require.NotRegexp(t, `\+380\d{9}|\+7\d{10}`, xml)
	f, err = excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	rows, _ = f.GetRows(f.GetSheetName(0))
	require.Equal(t, []string{"Order", "Delivery cost"}, rows[0])
}

func unzipAll(t *testing.T, b []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var all strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, _ := io.ReadAll(rc)
		rc.Close()
		all.Write(data)
	}
	return all.String()
}

func need(t *testing.T, tools ...string) {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install poppler-utils)", tool)
		}
	}
}

// The waybill PDF has the Cyrillic names and the waybill number as text and a barcode a scanner reads.
func TestWaybillPDF(t *testing.T) {
	t.Parallel()
	need(t, "pdftotext", "pdftoppm")
	env := admintest.New(t)
	startWorkers(t, env)
	ctx := context.Background()
	var number, waybill string
	require.NoError(t, env.Pool.QueryRow(ctx, `UPDATE orders SET sender_name = 'Ґанна Їжакевич', recipient_name = 'Әлия Нұрланқызы'
		WHERE id = (SELECT min(id) FROM orders) RETURNING number, waybill`).Scan(&number, &waybill))
	lead := env.Login("lead@demo.postdesk")
	r := htmxPost(lead, "/orders/waybills", map[string][]string{"n": {number}, "per_sheet": {"1"}})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	frag, _ := waitJob(t, lead, r)
	body, resp := download(t, lead, frag)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "filename*=UTF-8''")

	dir := t.TempDir()
	path := filepath.Join(dir, "w.pdf")
	require.NoError(t, os.WriteFile(path, body, 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	text := string(out)
	require.Contains(t, text, "Ґанна Їжакевич")
	require.Contains(t, text, "Әлия Нұрланқызы")
	require.Contains(t, text, waybill)
	require.Contains(t, text, "Waybill")

	out, err = exec.Command("pdftoppm", "-r", "200", "-png", "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, string(out))
	pf, err := os.Open(filepath.Join(dir, "page.png"))
	require.NoError(t, err)
	img, err := png.Decode(pf)
	pf.Close()
	require.NoError(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	require.Equal(t, waybill, res.GetText())

	// Four to a sheet for a filtered list: one PDF, a quarter of the pages.
	r = htmxPost(lead, "/orders/waybills", map[string][]string{"status": {"created"}, "per_sheet": {"4"}})
	frag, _ = waitJob(t, lead, r)
	body, _ = download(t, lead, frag)
	var created int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status = 'created'`).Scan(&created))
	require.NoError(t, os.WriteFile(path, body, 0o600))
	out, err = exec.Command("pdfinfo", path).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Regexp(t, `Pages:\s+`+strconv.Itoa((created+3)/4)+`\n`, string(out))
}

// The handover act lists the courier's parcels with totals and both signatures.
func TestHandoverAct(t *testing.T) {
	t.Parallel()
	need(t, "pdftotext")
	env := admintest.New(t)
	startWorkers(t, env)
	ctx := context.Background()
	var courier int64
	var name string
	var n int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT o.courier_id, a.name, count(*) FROM orders o JOIN accounts a ON a.id = o.courier_id
		WHERE o.status = 'deal' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1`).Scan(&courier, &name, &n))
	agent := env.Login("agent@demo.postdesk")
	r := htmxPost(agent, "/orders/act", map[string][]string{"courier": {strconv.FormatInt(courier, 10)}, "date": {time.Now().In(env.Config.TZ).Format("2006-01-02")}})
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	frag, _ := waitJob(t, agent, r)
	body, _ := download(t, agent, frag)
	path := filepath.Join(t.TempDir(), "act.pdf")
	require.NoError(t, os.WriteFile(path, body, 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	text := string(out)
	require.Contains(t, text, "Handover act")
	require.Contains(t, text, name)
	require.Contains(t, text, "Total: "+strconv.Itoa(n))
	require.Contains(t, text, "Received")

	// A day without parcels for a courier with none ends with a clear message, not a blank act.
	var idle int64
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone) VALUES ('courier', 'Новий Кур''єр', '+380501110000') RETURNING id`).Scan(&idle))
	r = htmxPost(agent, "/orders/act", map[string][]string{"courier": {strconv.FormatInt(idle, 10)}, "date": {"2020-01-01"}})
	frag, _ = waitJob(t, agent, r)
	require.Contains(t, frag, `data-state="failed"`)
	require.Contains(t, frag, "no orders to hand over")
}
