package finance_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/finance"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

func TestReasonText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lang, code, want string }{
		{"en", "topup", "Top-up"},
		{"uk", "payout_placed", "Запит на виплату"},
		{"ru", "order.deposit", "Залог курьера заблокирован под заказ"},
		{"en", "complaint refund CM-000042", "Refund by complaint decision CM-000042"},
		{"en", "a reason typed by a finance officer", "a reason typed by a finance officer"},
	} {
		require.Equal(t, c.want, finance.ReasonText(c.lang, c.code), c.code)
	}
}

// The statement says why money moved in words, on the page and in Excel, and its Excel closing
// row stands on the period's last day, not the day after.
func TestStatementReasonsInWordsAndClosingDay(t *testing.T) {
	t.Parallel()
	env := admintest.New(t)
	ctx := context.Background()
	var client int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 1`).Scan(&client))
	p, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	ua, err := ledger.EnsureUserAccounts(ctx, env.Pool, ledger.UserID(client))
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "reasons-test", Reason: "payout_placed",
			Legs: ledger.Move(p.GatewayClearing, ua.Available, 100_00)})
		return err
	}))
	fin := env.Login("finance@demo.postdesk")
	today := time.Now().In(env.Config.TZ).Format("2006-01-02")
	q := "?user=" + strconv.FormatInt(client, 10) + "&from=" + today + "&to=" + today

	r := fin.Get("/finance/statement" + q)
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Body, "Payout requested")
	require.NotContains(t, r.Body, ">payout_placed<")

	r = fin.Get("/finance/statement.xlsx" + q)
	require.Equal(t, http.StatusOK, r.Status)
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.Body)))
	require.NoError(t, err)
	rows, err := f.GetRows(f.GetSheetName(0))
	require.NoError(t, err)
	var reasons []string
	for _, row := range rows[2 : len(rows)-1] {
		reasons = append(reasons, row[1])
	}
	require.Contains(t, reasons, "Payout requested")
	require.NotContains(t, reasons, "payout_placed")
	last := len(rows)
	raw, err := f.GetCellValue(f.GetSheetName(0), "A"+strconv.Itoa(last), excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	serial, err := strconv.ParseFloat(raw, 64)
	require.NoError(t, err)
	closing, err := excelize.ExcelDateToTime(serial, false)
	require.NoError(t, err)
	require.Equal(t, today, closing.Format("2006-01-02"), "the closing row is dated the period's last day")
	require.Equal(t, "Closing balance", rows[last-1][1])
}

// The act prints the reasons in words too.
func TestActReasonsInWords(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	st := ledger.UserStatement{User: 7, From: day, To: day.AddDate(0, 0, 1), Opening: 0, Closing: 50_00, Lines: []ledger.StatementLine{
		{At: day.Add(10 * time.Hour), Reason: "topup", Amount: 100_00, Balance: 100_00},
		{At: day.Add(11 * time.Hour), Reason: "order.deposit", Amount: -50_00, Balance: 50_00},
	}}
	l := finance.ActLabels{Title: "Act", Period: "30.11.2026", Platform: "Platform", Counterparty: "Counterparty", Opening: "Opening",
		Closing: "Closing", When: "When", Reason: "Reason", Order: "Order", Amount: "Amount", Balance: "Balance", Signature: "signature",
		Stamp: "stamp", PageOf: "page", Lang: "uk"}
	var buf bytes.Buffer
	require.NoError(t, finance.WriteAct(&buf, l, finance.Party{ID: 7, Name: "Олена"}, st, "UAH"))
	path := filepath.Join(t.TempDir(), "act.pdf")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	text := strings.Join(strings.Fields(string(out)), " ")
	require.Contains(t, text, "Поповнення")
	require.Contains(t, text, "Заставу кур'єра заблоковано під замовлення")
	require.NotContains(t, text, "topup")
	require.NotContains(t, text, "order.deposit")
}
