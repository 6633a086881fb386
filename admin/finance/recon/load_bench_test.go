package recon_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/recon"
)

// benchPeriod is the period both sides fall into: March 2026, Kyiv time (UTC+2 until the 29th).
var benchStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("EET", 2*3600)).Unix()

// benchSpan keeps every line and entry well inside the period.
const benchSpan = 28 * 24 * 3600

// benchLine is line i of the statement and entry i of the ledger: the same reference, amount and
// (within an hour) time, except that 1 % of the lines carry no reference (matched by amount and
// time), 1 % differ in amount and 1 % repeat the reference before them (duplicates).
func benchLine(i int) (ref string, amount, fee, at, entryAt int64) {
	ref = fmt.Sprintf("PO%09d", i)
	amount = 100 + int64(i*7919%1_000_000)
	at = benchStart + 3600 + int64(i*104_729%benchSpan)
	entryAt = at - int64(i%3600)
	return ref, amount, amount / 200, at, entryAt
}

func benchVariant(i int) int { return (i * 31) % 100 } // 0: no reference, 1: amount differs, 2: duplicate

// seedLedger writes n gateway top-ups into the ledger in the period, with COPY and one INSERT ...
// SELECT, as the schema's owner (the app role cannot write the ledger's tables): a million
// transfers in well under a minute, where ledger_post would take ten. The per-row triggers are off
// for the load (balanced by construction, nothing closed), and the two accounts' balances are
// moved by the total, so the ledger's invariants hold afterwards.
func seedLedger(b *testing.B, env *admintest.Env, n int) {
	ctx := context.Background()
	plat, err := ledger.Platform(ctx, env.Pool)
	require.NoError(b, err)
	tx, err := env.Pool.Begin(ctx)
	require.NoError(b, err)
	defer tx.Rollback(ctx)
	var from int64
	_, err = tx.Exec(ctx, `ALTER TABLE ledger_transfers DISABLE TRIGGER USER; ALTER TABLE ledger_entries DISABLE TRIGGER USER`)
	require.NoError(b, err)
	require.NoError(b, tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM ledger_transfers`).Scan(&from))
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		for i := range n {
			ref, amount, _, _, entryAt := benchLine(i)
			fmt.Fprintf(w, "bench:%d\t\\\\x00\ttop_up\t%d\t2\t%s\t%s\n", i, amount, ref, time.Unix(entryAt, 0).UTC().Format("2006-01-02 15:04:05+00"))
		}
		pw.CloseWithError(w.Flush())
	}()
	_, err = tx.Conn().PgConn().CopyFrom(ctx, pr, `COPY ledger_transfers (idempotency_key, request_hash, reason, amount, legs, order_ref, created_at) FROM STDIN`)
	require.NoError(b, err)
	_, err = tx.Exec(ctx, `
		INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount, created_at)
		SELECT id, 1, 2, $2::bigint, -amount, created_at FROM ledger_transfers WHERE id > $1
		UNION ALL
		SELECT id, 2, 2, $3::bigint, amount, created_at FROM ledger_transfers WHERE id > $1`, from, plat.GatewayClearing, plat.Revenue)
	require.NoError(b, err)
	_, err = tx.Exec(ctx, `
		WITH t AS (SELECT sum(amount) AS total FROM ledger_transfers WHERE id > $1)
		UPDATE ledger_balances b SET balance = b.balance + CASE b.ledger_account_id WHEN $2::bigint THEN -t.total ELSE t.total END
		FROM t WHERE b.slot = 0 AND b.ledger_account_id IN ($2::bigint, $3::bigint)`, from, plat.GatewayClearing, plat.Revenue)
	require.NoError(b, err)
	_, err = tx.Exec(ctx, `ALTER TABLE ledger_transfers ENABLE TRIGGER USER; ALTER TABLE ledger_entries ENABLE TRIGGER USER`)
	require.NoError(b, err)
	require.NoError(b, tx.Commit(ctx))
	_, err = env.Pool.Exec(ctx, `ANALYZE ledger_transfers; ANALYZE ledger_entries`)
	require.NoError(b, err)
}

// writeStatement writes the gateway's export of n lines, as CSV or XLSX, into a file.
func writeStatement(b *testing.B, kind string, n int) string {
	path := filepath.Join(b.TempDir(), "statement."+kind)
	f, err := os.Create(path)
	require.NoError(b, err)
	defer f.Close()
	row := func(i int) (string, int64, int64, int64) {
		ref, amount, fee, at, _ := benchLine(i)
		switch benchVariant(i) {
		case 0:
			ref = ""
		case 1:
			amount++
		case 2:
			if i > 0 {
				ref, _, _, _, _ = benchLine(i - 1)
			}
		}
		return ref, amount, fee, at
	}
	if kind == "csv" {
		w := bufio.NewWriterSize(f, 1<<20)
		_, _ = w.WriteString("orderReference,amount,fee,currency,transactionStatus,createdDate\n")
		var buf []byte
		for i := range n {
			ref, amount, fee, at := row(i)
			buf = append(buf[:0], ref...)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, amount/100, 10)
			buf = append(buf, '.', byte('0'+amount%100/10), byte('0'+amount%10), ',')
			buf = strconv.AppendInt(buf, fee/100, 10)
			buf = append(buf, '.', byte('0'+fee%100/10), byte('0'+fee%10))
			buf = append(buf, ",UAH,Approved,"...)
			buf = strconv.AppendInt(buf, at, 10)
			buf = append(buf, '\n')
			_, _ = w.Write(buf)
		}
		require.NoError(b, w.Flush())
		return path
	}
	x, err := xlsx.NewWriter(f, "Statement", time.UTC)
	require.NoError(b, err)
	cols := make([]xlsx.Column, 6)
	for i, h := range []string{"orderReference", "amount", "fee", "currency", "transactionStatus", "createdDate"} {
		cols[i] = xlsx.Column{Title: h, Kind: xlsx.Text}
	}
	require.NoError(b, x.SetColumns(cols))
	ctx := context.Background()
	for i := range n {
		ref, amount, fee, at := row(i)
		require.NoError(b, x.WriteRow(ctx, ref, fmt.Sprintf("%d.%02d", amount/100, amount%100), fmt.Sprintf("%d.%02d", fee/100, fee%100),
			"UAH", "Approved", strconv.FormatInt(at, 10)))
	}
	require.NoError(b, x.Close())
	return path
}

// peakRSS is the process's resident peak (VmHWM) in MB; resetPeak starts it again from now
// (Linux: clear_refs 5).
func peakRSS() float64 { return procStatus("VmHWM:") }

// rss is the process's resident size now, in MB.
func rss() float64 { return procStatus("VmRSS:") }

func procStatus(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// sampleRSS records the largest resident size seen in each phase of the load (the job's progress
// message) until stop is closed.
func sampleRSS(env *admintest.Env, periodID int64, stop <-chan struct{}) map[string]float64 {
	out := map[string]float64{}
	for {
		select {
		case <-stop:
			return out
		case <-time.After(50 * time.Millisecond):
		}
		phase := "upload"
		if f, err := recon.LatestLoad(context.Background(), env.AppPool, periodID); err == nil && f != nil {
			phase = f.State + " " + f.Message
		}
		out[phase] = max(out[phase], rss())
	}
}

func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o600)
}

// BenchmarkReconcileMillionCSV is reconciliation end to end as finance does it, against the
// whole portal (HTTP server, River workers, PostgreSQL) in this process: upload a 1,000,000-line
// CSV statement (about 48 MB) to a period holding 1,000,000 gateway-clearing entries, through
// the HTTP route, and poll the period's page until it shows the outcome. It reports the seconds
// from the upload's first byte to the page with the outcome, the process's peak RSS over that
// span, and the job's own seconds. Target: ≤ 30 s and ≤ 300 MB.
//
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench ReconcileMillionCSV -benchtime 1x -timeout 30m ./admin/finance/recon/
func BenchmarkReconcileMillionCSV(b *testing.B) { benchReconcile(b, "csv", 1_000_000) }

// BenchmarkReconcileMillionXLSX is the same with the gateway's XLSX export. Target: ≤ 60 s.
func BenchmarkReconcileMillionXLSX(b *testing.B) { benchReconcile(b, "xlsx", 1_000_000) }

func benchReconcile(b *testing.B, kind string, n int) {
	if v := os.Getenv("RECON_BENCH_LINES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	env := admintest.New(b)
	base := env.Serve()
	c := env.Login("finance@demo.postdesk")
	period, periodID := openPeriod(b, env, c, "2026-03-01", "2026-03-31")
	t0 := time.Now()
	seedLedger(b, env, n)
	statement := writeStatement(b, kind, n)
	st, err := os.Stat(statement)
	require.NoError(b, err)
	b.Logf("set-up: %d ledger entries and a %.1f MB %s statement in %s", n, float64(st.Size())/(1<<20), kind, time.Since(t0).Round(time.Second))
	startWorkers(b, env)

	var seconds, jobSeconds, peak float64
	b.ResetTimer()
	for range b.N {
		resetPeak()
		b.Logf("resident before the upload: %.0f MB", rss())
		stop := make(chan struct{})
		phases := make(chan map[string]float64)
		go func() { phases <- sampleRSS(env, periodID, stop) }()
		start := time.Now()
		status, body := streamUpload(b, base, c, period+"/statement", filepath.Base(statement), st.Size(), func(w io.Writer) error {
			f, err := os.Open(statement)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
		require.Equal(b, http.StatusSeeOther, status, body)
		uploaded := time.Since(start)
		for {
			page := c.Get(period)
			require.Equal(b, http.StatusOK, page.Status)
			if !strings.Contains(page.Body, `id="recon-load"`) && strings.Contains(page.Body, `id="recon-results"`) {
				break
			}
			if strings.Contains(page.Body, `id="recon-load-error"`) {
				b.Fatalf("the load failed: %s", page.Body)
			}
			time.Sleep(200 * time.Millisecond)
		}
		seconds += time.Since(start).Seconds()
		peak = max(peak, peakRSS())
		close(stop)
		b.Logf("resident by phase (MB): %v", <-phases)
		job, err := recon.LatestLoad(context.Background(), env.AppPool, periodID)
		require.NoError(b, err)
		require.Equal(b, files.Done, job.State)
		jobSeconds += job.FinishedAt.Sub(job.CreatedAt).Seconds()
		var lines, results int
		require.NoError(b, env.Pool.QueryRow(context.Background(), `SELECT s.lines, (SELECT count(*) FROM recon_results r WHERE r.statement_id = s.id)
			FROM recon_statements s WHERE s.period_id = $1 ORDER BY s.id DESC LIMIT 1`, periodID).Scan(&lines, &results))
		require.Equal(b, n, lines)
		b.Logf("upload %s, page with the outcome after %.1f s; %d results; %s", uploaded.Round(time.Millisecond), time.Since(start).Seconds(), results, job.Result)
		// Paging through the results, as finance then does.
		for _, q := range []string{"", "?kind=open", "?kind=missing_in_ledger", "?kind=matched"} {
			t := time.Now()
			page := c.Get(period + q)
			require.Equal(b, http.StatusOK, page.Status)
			next := regexp.MustCompile(`href="(/finance/reconciliation/\d+\?[^"]*after=[^"]*)"`).FindStringSubmatch(page.Body)
			t2 := time.Now()
			if next != nil {
				require.Equal(b, http.StatusOK, c.Get(strings.ReplaceAll(next[1], "&amp;", "&")).Status)
			}
			b.Logf("page %q: %s, its next page %s", q, t2.Sub(t).Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
		}
	}
	b.StopTimer()
	b.ReportMetric(seconds/float64(b.N), "s/reconciliation")
	b.ReportMetric(jobSeconds/float64(b.N), "s-job")
	b.ReportMetric(peak, "peak-RSS-MB")
	b.ReportMetric(float64(n)*float64(b.N)/seconds, "lines/s")
}
