package recon_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
	"github.com/postdesk/postdesk/jobs"
)

// startWorkers runs River workers over the portal's database (admintest's own client only
// inserts), so the loads the pages queue are done.
func startWorkers(t testing.TB, env *admintest.Env, gw ...*gateway.Client) {
	t.Helper()
	var out io.Writer = io.Discard
	if testing.Verbose() {
		out = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := jobs.Options{Work: true, Workers: 2, Files: env.Files, Clock: env.Clock.Now, TZ: env.Config.TZ, Log: log}
	if len(gw) > 0 {
		opts.Gateway = gw[0]
	}
	client, err := jobs.New(env.AppPool, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		jobs.Stop(client, 10*time.Second, log)
		cancel()
	})
}

// waitLoad waits until the period's newest load has ended.
func waitLoad(t testing.TB, env *admintest.Env, periodID int64, within time.Duration) files.File {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		f, err := recon.LatestLoad(context.Background(), env.AppPool, periodID)
		require.NoError(t, err)
		if f != nil && (f.State == files.Done || f.State == files.Failed) {
			return *f
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load of period %d has not ended in %s (%+v)", periodID, within, f)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openPeriod opens a period through the page and returns its path and id.
func openPeriod(t testing.TB, env *admintest.Env, c *admintest.Client, from, to string) (string, int64) {
	t.Helper()
	r := c.PostForm("/finance/reconciliation", map[string][]string{"from": {from}, "to": {to}, "date_tolerance": {"48"}, "basis": {"gross"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var id int64
	require.NoError(t, env.Pool.QueryRow(context.Background(), `SELECT max(id) FROM recon_periods`).Scan(&id))
	return r.Location, id
}

// streamUpload posts a statement to the running portal (env.Serve) over real HTTP, writing the
// file as it goes: a large upload is never held in memory on either side. With size (the file's
// length) the request says its length, as browsers do; with -1 it is sent chunked.
func streamUpload(t testing.TB, base string, c *admintest.Client, path, name string, size int64, write func(io.Writer) error) (int, string) {
	t.Helper()
	var pre bytes.Buffer
	mw := multipart.NewWriter(&pre)
	require.NoError(t, mw.WriteField("_csrf", c.CSRF))
	_, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	head := bytes.Clone(pre.Bytes())
	pre.Reset()
	require.NoError(t, mw.Close())
	tail := pre.Bytes()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	req, err := http.NewRequest(http.MethodPost, base+path, io.MultiReader(bytes.NewReader(head), pr, bytes.NewReader(tail)))
	require.NoError(t, err)
	if size >= 0 {
		req.ContentLength = int64(len(head)) + size + int64(len(tail))
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "postdesk_session", Value: c.Cookie("postdesk_session")})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

const header = "orderReference,amount,fee,currency,transactionStatus,createdDate\n"

func countRows(t testing.TB, env *admintest.Env, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, env.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// The in-request case: the upload returns at once with the load queued (no statement yet); the
// page says so and polls; once the job has run the page shows the outcome, and its owner gets a
// toast once. A file whose rows are bad fails the job, which says why and changes nothing.
func TestUploadQueuesLoad(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	c := env.Login("finance@demo.postdesk")
	period, periodID := openPeriod(t, env, c, "2020-01-01", "2020-01-01")

	r := upload(t, c, period+"/statement", "statement.csv", header+
		"GW-1,100.00,1.50,UAH,Approved,2020-01-01 10:00:00\n"+
		"GW-2,250.25,2.00,UAH,Approved,2020-01-01 11:00:00\n")
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Contains(t, r.Header.Get("HX-Trigger"), "Loading and matching run in the background")
	st, _, _, err := recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.Zero(t, st, "the request only queues the load")
	require.Equal(t, 1, countRows(t, env, `SELECT count(*) FROM river_job WHERE kind = 'recon_load' AND state = 'available'`))

	page := c.Get(period)
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, `id="recon-load"`)
	require.Contains(t, page.Body, `data-state="queued"`)
	require.Contains(t, page.Body, `hx-trigger="every 2s"`, "the page polls while the load runs")
	require.Contains(t, page.Body, "Lines read: 0")
	require.Contains(t, page.Body, "at most 64 MB and 2,000,000 lines", "the limit is stated")
	r = upload(t, c, period+"/statement", "again.csv", header+"GW-3,1.00,0,UAH,Approved,1577872800\n")
	require.Equal(t, http.StatusConflict, r.Status, "one load at a time")
	require.Contains(t, r.Body, "A statement is being loaded into this period")

	startWorkers(t, env)
	job := waitLoad(t, env, periodID, 30*time.Second)
	require.Equal(t, files.Done, job.State, job.Message)
	st, _, _, err = recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.NotZero(t, st)

	page = c.Get(period)
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, "Matched: 0, exceptions: 2")
	require.NotContains(t, page.Body, `hx-trigger="every 2s"`)
	require.Contains(t, page.Header.Get("HX-Trigger"), "is loaded and matched: 2 lines, 0 matched, 2 exceptions")
	require.Empty(t, c.Get(period).Header.Get("HX-Trigger"), "the toast shows once")

	// Rows that cannot be read: the job fails, says where, and the statement stays as it was.
	r = upload(t, c, period+"/statement", "bad-rows.csv", header+"GW-9,1.00,0,UAH,Approved,2020-01-01 10:00:00\nGW-10,lots,0,UAH,Approved,2020-01-01 10:00:00\n")
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	job = waitLoad(t, env, periodID, 30*time.Second)
	require.Equal(t, files.Failed, job.State)
	st2, _, _, err := recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.Equal(t, st, st2, "a failed load leaves the statement as it was")
	page = c.Get(period)
	require.Contains(t, page.Body, `id="recon-load-error"`)
	require.Contains(t, page.Body, "Row 3 cannot be read")
	require.Contains(t, page.Body, "Matched: 0, exceptions: 2", "the earlier statement still shows")
	require.Contains(t, page.Header.Get("HX-Trigger"), "failed")
}

// The 413 case: a statement larger than the server-wide default (32 MB) but under the route's own
// limit is accepted and loaded; one over the limit is refused with a message that says the limit
// and what to do, and changes nothing — both when the request says its length up front (refused
// before a byte of the body is read) and when only the file inside is too large.
func TestUploadLimit(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	base := env.Serve()
	c := env.Login("finance@demo.postdesk")
	period, periodID := openPeriod(t, env, c, "2020-01-01", "2020-01-01")
	startWorkers(t, env)

	// 34 MB: two lines, and blank lines of spaces (which a statement may have) to make it large.
	pad := strings.Repeat(" ", 1023) + "\n"
	status, body := streamUpload(t, base, c, period+"/statement", "big.csv", -1, func(w io.Writer) error { // chunked
		if _, err := io.WriteString(w, header+"GW-1,100.00,1.50,UAH,Approved,2020-01-01 10:00:00\n"); err != nil {
			return err
		}
		for range 34 << 10 {
			if _, err := io.WriteString(w, pad); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "GW-2,250.25,2.00,UAH,Approved,2020-01-01 11:00:00\n")
		return err
	})
	require.Equal(t, http.StatusSeeOther, status, body)
	job := waitLoad(t, env, periodID, time.Minute)
	require.Equal(t, files.Done, job.State, job.Message)
	st, _, _, err := recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.Equal(t, 2, countRows(t, env, `SELECT count(*) FROM recon_lines WHERE statement_id = $1`, st))
	var uploaded int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT size FROM files WHERE kind = 'recon_upload'`).Scan(&uploaded))
	require.Greater(t, uploaded, int64(34<<20))

	before := func() [3]int {
		return [3]int{countRows(t, env, `SELECT count(*) FROM files`), countRows(t, env, `SELECT count(*) FROM recon_statements`),
			countRows(t, env, `SELECT count(*) FROM river_job WHERE kind = 'recon_load'`)}
	}
	was := before()

	// Over the route's limit, said up front: refused before the body is read.
	req := httptest.NewRequest(http.MethodPost, period+"/statement", strings.NewReader("--x\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	req.ContentLength = recon.RouteBodyLimit + 1
	r := c.Do(req)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Contains(t, r.Body, "larger than 64 MB")
	require.Contains(t, r.Body, "Split it by date")
	require.NotContains(t, r.Body, "Request is incorrect")

	// The same from htmx: a toast that says it.
	req = httptest.NewRequest(http.MethodPost, period+"/statement", strings.NewReader("--x\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	req.Header.Set("HX-Request", "true")
	req.ContentLength = recon.RouteBodyLimit + 1
	r = c.Do(req)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Contains(t, r.Header.Get("HX-Trigger"), "larger than 64 MB")

	// Within the route's limit but a file over 64 MB: refused by the page, which states the limit.
	status, body = streamUpload(t, base, c, period+"/statement", "huge.csv", int64(len(header))+(64<<10+1)<<10, func(w io.Writer) error {
		if _, err := io.WriteString(w, header); err != nil {
			return err
		}
		line := strings.Repeat(" ", 1023) + "\n"
		for range 64<<10 + 1 {
			if _, err := io.WriteString(w, line); err != nil {
				return err
			}
		}
		return nil
	})
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Contains(t, body, `id="upload-error"`)
	require.Contains(t, body, "larger than 64 MB")
	require.Contains(t, body, "at most 64 MB and 2,000,000 lines")
	require.Equal(t, was, before(), "a refused upload changes nothing")

	// Other routes keep the default limit. (The server reads the first 8 KB before any handler
	// runs, so the request has that much; its length says more.)
	req = httptest.NewRequest(http.MethodPost, "/finance/reconciliation", strings.NewReader("from="+strings.Repeat("x", 16<<10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	req.ContentLength = 32<<20 + 1
	r = c.Do(req)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	require.Contains(t, r.Body, fmt.Sprintf("at most %d MB", 32))
}

// A closed period's statements take no more lines or results, whether a row comes alone or a
// million come in one COPY (migration 021 checks inserts once per statement).
func TestClosedPeriodRefusesBulkInserts(t *testing.T) {
	f := newReconFixture(t)
	now := time.Now().UTC()
	p, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-48*time.Hour), now.Add(-24*time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	st := f.load(p, "")
	require.NoError(t, recon.Close(f.ctx, f.pool, p.ID, now))

	_, err = f.pool.Exec(f.ctx, `INSERT INTO recon_lines (statement_id, line_no, reference, amount, occurred_at) VALUES ($1, 99, 'X', 1, now())`, st)
	require.ErrorContains(t, err, "closed")
	_, err = f.pool.Exec(f.ctx, `INSERT INTO recon_results (statement_id, kind, reference) SELECT $1, 'missing_in_ledger', 'X' || g FROM generate_series(1, 1000) g`, st)
	require.ErrorContains(t, err, "closed")
	var n int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM recon_results WHERE statement_id = $1`, st).Scan(&n))
	require.Zero(t, n)
	// An open period's statement takes them.
	p2, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-24*time.Hour), now.Add(time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	st2 := f.load(p2, "")
	_, err = f.pool.Exec(f.ctx, `INSERT INTO recon_results (statement_id, kind, reference) SELECT $1, 'missing_in_ledger', 'X' || g FROM generate_series(1, 1000) g`, st2)
	require.NoError(t, err)
}

// Fetching from the gateway goes the same way as an upload: the request queues the job, which
// asks the gateway for the period's transactions, loads and matches them, and the page shows the
// outcome.
func TestFetchQueuesLoad(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	gw := sandbox.New(sandbox.Options{Merchant: "test_merch", Secret: "test-secret"})
	url, err := gw.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	at := time.Date(2020, 1, 1, 10, 0, 0, 0, time.UTC)
	gw.Add(sandbox.Payment{Ref: "GW-1", Amount: 100_00, Fee: 1_50, Currency: "UAH", Status: gateway.StatusApproved, Created: at})
	gw.Add(sandbox.Payment{Ref: "GW-2", Amount: 250_25, Fee: 2_00, Currency: "UAH", Status: gateway.StatusApproved, Created: at.Add(time.Hour)})
	c := env.Login("finance@demo.postdesk")
	period, periodID := openPeriod(t, env, c, "2020-01-01", "2020-01-01")

	r := c.PostForm(period+"/fetch", nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Contains(t, c.Get(period).Body, `id="recon-load"`)
	startWorkers(t, env, gateway.New(gateway.Config{URL: url, Merchant: "test_merch", Secret: "test-secret", Currency: "UAH", Timeout: 5 * time.Second}))
	job := waitLoad(t, env, periodID, 30*time.Second)
	require.Equal(t, files.Done, job.State, job.Message)
	st, state, _, err := recon.Statement(ctx, env.Pool, periodID)
	require.NoError(t, err)
	require.Equal(t, "matched", state)
	var source string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT source FROM recon_statements WHERE id = $1`, st).Scan(&source))
	require.Equal(t, "api", source)
	page := c.Get(period)
	require.Contains(t, page.Body, "Matched: 0, exceptions: 2")
	require.Contains(t, page.Header.Get("HX-Trigger"), "is loaded and matched: 2 lines")
}

// The summary a load keeps equals counting the results, and a second statement's results page
// from its own first result to its last.
func TestKeptSummaryMatchesTheResults(t *testing.T) {
	f := newReconFixture(t)
	now := time.Now().UTC()
	p, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-24*time.Hour), now.Add(time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Net})
	require.NoError(t, err)
	for i, amount := range []int64{10_000, 20_000, 30_000, 40_000} {
		_, err := f.topUp(fmt.Sprintf("GW-%d", i+1), amount)
		require.NoError(t, err)
	}
	at := now.Unix()
	csv := fmt.Sprintf("GW-1;100.50;0.50;UAH;Approved;%d\nGW-2;200.00;0;UAH;Approved;%d\nGW-2;200.00;0;UAH;Approved;%d\n"+
		"GW-9;7.00;0;UAH;Approved;%d\n;300.00;0;UAH;Approved;%d\nGW-5;1.00;0;UAH;Declined;%d\n", at, at, at, at, at, at)
	first := f.load(p, csv)
	st := f.load(p, csv)
	require.Greater(t, st, first)

	kept, err := recon.Summarise(f.ctx, f.pool, st)
	require.NoError(t, err)
	_, err = f.pool.Exec(f.ctx, `UPDATE recon_statements SET summary = NULL WHERE id = $1`, st)
	require.NoError(t, err)
	counted, err := recon.Summarise(f.ctx, f.pool, st)
	require.NoError(t, err)
	for _, k := range recon.Kinds { // zero kinds may be absent from either
		require.Equal(t, counted.Count[k], kept.Count[k], k)
		require.Equal(t, counted.Gateway[k], kept.Gateway[k], k)
		require.Equal(t, counted.Ledger[k], kept.Ledger[k], k)
	}
	require.Equal(t, counted.Total, kept.Total)
	require.Equal(t, counted.Unresolved, kept.Unresolved)
	require.NotZero(t, kept.Count[recon.Matched])
	require.NotZero(t, kept.Count[recon.Duplicate])
	require.NotZero(t, kept.Count[recon.MissingAtGateway])

	var seen int
	var after int64
	for {
		page, next, err := recon.Results(f.ctx, f.pool, first, recon.ResultFilter{After: after, Limit: 2})
		require.NoError(t, err)
		seen += len(page)
		if next == 0 {
			break
		}
		after = next
	}
	require.Equal(t, kept.Total, seen, "the first statement's results page through, below the second's")
}
