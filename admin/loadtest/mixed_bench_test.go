// Package loadtest holds the mixed-workload benchmark: staff of every role working at once over
// real HTTP against a `postdesk serve` process, with a platform's worth of data in PostgreSQL.
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/seed"
)

// BenchmarkMixedWorkload is a working day compressed into a minute: 200 logged-in staff sessions
// of every role over real HTTP against `postdesk serve` (a separate process, built from this tree,
// with its River workers), on a database of 1,000,000 orders and 200,000 complaints. Agents search
// orders and work complaints (queues, the complaint, a note), leads watch the SLA board and the
// queues, finance browses the overview, ledger, balances and payouts and approves payouts, an
// administrator looks up accounts and the audit log, editors write and publish news; in the
// background an orders export runs every 10 s and an agent imports a small workbook of 20 orders
// every 15 s (through the import job, polling its status each second until it ends). Each
// session thinks 0.2–1.0 s between requests (uniform), as a person reading the page would, so
// 200 sessions offer about 330 requests/s.
//
// It reports requests/s, p50/p95/p99 per page kind and errors (any answer ≥ 400 that the action did
// not expect), and prints the five slowest routes (page kinds, by p95). Targets on the 2-core
// machine: ≥ 300 requests/s, p95 ≤ 100 ms, p99 ≤ 300 ms, 0 errors.
//
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench MixedWorkload -benchtime 1x -timeout 60m ./admin/loadtest/
//
// LOADTEST_ORDERS, LOADTEST_SESSIONS and LOADTEST_SECONDS make a smaller or longer run.
func BenchmarkMixedWorkload(b *testing.B) {
	orders := envInt("LOADTEST_ORDERS", 1_000_000)
	sessions := envInt("LOADTEST_SESSIONS", 200)
	seconds := envInt("LOADTEST_SECONDS", 60)
	ctx := context.Background()

	owner, ownerURL := dbtest.NewWithURL(b)
	require.NoError(b, db.GrantApp(ctx, owner, dbtest.AppRole))
	t0 := time.Now()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(b, err)
	require.NoError(b, seed.Run(ctx, owner, log, seed.Options{TZ: kyiv, Accounts: 25_000, Orders: orders}))
	_, err = owner.Exec(ctx, complaints.BenchSeedSQL)
	require.NoError(b, err)
	// A working day starts from a steady state: the seeded complaints' past warnings and breach
	// escalations were sent long ago. Sweep the backlog here and mark its notices delivered, or
	// the portal's workers would spend the measured minute sending tens of thousands of them.
	sweeper := &complaints.Store{Pool: owner, Loc: kyiv, Now: time.Now}
	for {
		sent, err := sweeper.Sweep(ctx, time.Now())
		require.NoError(b, err)
		if len(sent) < complaints.SweepBatch {
			break
		}
	}
	_, err = owner.Exec(ctx, `UPDATE notifications SET status = 'sent', sent_at = now() WHERE status IN ('pending', 'retry')`)
	require.NoError(b, err)
	// And its tables are vacuumed, as a database that has been running is: the seed wrote them
	// in a few bulk statements, so their visibility maps are empty (every index-only count visits
	// the heap) and autovacuum would work through the million orders during the measured minute.
	// The hourly SLA rollups were updated once per seeded complaint in one statement (33 MB of
	// dead rows around 2,940 live ones); complaints arriving over months leave no such bloat.
	_, err = owner.Exec(ctx, `VACUUM (FULL) complaint_sla_hours, complaint_sla_breaches`)
	require.NoError(b, err)
	_, err = owner.Exec(ctx, `VACUUM (ANALYZE)`)
	require.NoError(b, err)
	b.Logf("data: %d orders, 200,000 complaints, 25,000 accounts in %s", orders, time.Since(t0).Round(time.Second))

	data := sample(b, owner)
	base := startServe(b, ownerURL)

	// Log every session in (each its own session cookie), before the clock starts.
	roles := []role{agentRole, leadRole, financeRole, approverRole, adminRole, editorRole}
	shares := []int{40, 15, 13, 7, 15, 10} // per cent of the sessions
	var all []*session
	for i, r := range roles {
		n := sessions * shares[i] / 100
		if i == len(roles)-1 {
			n = sessions - len(all)
		}
		for range n {
			s := newSession(b, base, r)
			all = append(all, s)
		}
	}
	b.Logf("%d sessions logged in", len(all))

	rec := newRecorder()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 2026))
			// Spread the first requests over a second, as people do not all click at once.
			time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.role.act(s, rng, data, rec)
				time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
			}
		}()
	}
	// Background work: every 10 seconds an administrator exports the busiest client's orders (a
	// business client's whole history: a few hundred rows through the export job).
	exporter := newSession(b, base, adminRole)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				exporter.post(rec, "export (queue)", "/orders/export", url.Values{"client": {strconv.FormatInt(data.busiest, 10)}}, true, http.StatusOK, http.StatusAccepted, http.StatusSeeOther)
			}
		}
	}()
	// And every 15 seconds an agent imports a small workbook (20 orders) and watches it finish, as
	// the import page polls it.
	importer := newSession(b, base, agentRole)
	workbooks := importWorkbooks(b, importer, data, seconds/15+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		for _, wb := range workbooks {
			select {
			case <-stop:
				return
			case <-tick.C:
				importer.runImport(rec, wb, stop)
			}
		}
	}()
	time.Sleep(time.Duration(seconds) * time.Second)
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	total, errs := rec.report(b, elapsed)
	b.ReportMetric(float64(total)/elapsed.Seconds(), "requests/s")
	b.ReportMetric(float64(errs), "errors")
	p50, p95, p99 := rec.overall()
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
	b.ReportMetric(p99, "p99-ms")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// startServe builds the portal from this tree and runs `postdesk serve` against the benchmark's
// database as the app role (the owner's URL for its migrations), returning the base URL.
func startServe(b *testing.B, ownerURL string) string {
	dir := b.TempDir()
	bin := filepath.Join(dir, "postdesk")
	build := exec.Command("go", "build", "-o", bin, "github.com/postdesk/postdesk/cmd/postdesk")
	build.Stderr = os.Stderr
	require.NoError(b, build.Run())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	addr := l.Addr().String()
	require.NoError(b, l.Close())
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbtest.AppURL(ownerURL), "POSTDESK_MIGRATE_URL="+ownerURL,
		"POSTDESK_ADDR="+addr, "POSTDESK_DATA_DIR="+dir, "POSTDESK_MAIL_CATCHER=127.0.0.1:0",
		"POSTDESK_SESSION_SECRET=loadtest-secret-loadtest-secret-loadtest")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("postdesk serve did not get ready: %v\n%s", err, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// data are the ids the sessions pick from.
type data struct {
	orders     []string // order numbers
	phones     []string // client phones, for the order search
	complaints []int64  // complaints not closed (notes are allowed on decided ones too)
	takeable   []int64  // complaints before their decision and past the draft: an agent may take them
	clients    []int64  // active clients and couriers, for the imported orders
	couriers   []int64
	accounts   []int64
	names      []string // account name fragments, for the account search
	busiest    int64    // the client with the most orders, whose orders are exported
	payouts    chan int64
}

func sample(b *testing.B, pool db.Querier) *data {
	ctx := context.Background()
	d := &data{payouts: make(chan int64, 1000)}
	collect := func(q string, dst any) {
		rows, err := pool.Query(ctx, q)
		require.NoError(b, err)
		switch p := dst.(type) {
		case *[]string:
			*p, err = pgx.CollectRows(rows, pgx.RowTo[string])
		case *[]int64:
			*p, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		require.NoError(b, err)
	}
	collect(`SELECT number FROM orders TABLESAMPLE SYSTEM (1) LIMIT 2000`, &d.orders)
	collect(`SELECT phone FROM accounts WHERE kind = 'client' AND phone <> '' ORDER BY random() LIMIT 500`, &d.phones)
	collect(`SELECT id FROM complaints WHERE state <> 'closed' ORDER BY random() LIMIT 2000`, &d.complaints)
	collect(`SELECT id FROM complaints WHERE state IN ('received', 'acknowledged', 'in_review', 'waiting') ORDER BY random() LIMIT 2000`, &d.takeable)
	collect(`SELECT id FROM accounts ORDER BY random() LIMIT 2000`, &d.accounts)
	collect(`SELECT a.id FROM accounts a WHERE a.kind = 'client' AND a.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM account_blocks k WHERE k.account_id = a.id) ORDER BY random() LIMIT 50`, &d.clients)
	collect(`SELECT a.id FROM accounts a WHERE a.kind = 'courier' AND a.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM account_blocks k WHERE k.account_id = a.id) ORDER BY random() LIMIT 50`, &d.couriers)
	collect(`SELECT split_part(name, ' ', 1) FROM accounts ORDER BY random() LIMIT 200`, &d.names)
	require.NoError(b, pool.QueryRow(ctx, `SELECT client_id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&d.busiest))
	var pending []int64
	collect(`SELECT id FROM payouts WHERE state = 'pending_approval' ORDER BY id`, &pending)
	for _, id := range pending {
		d.payouts <- id
	}
	require.NotEmpty(b, d.orders)
	require.NotEmpty(b, d.complaints)
	require.NotEmpty(b, d.takeable)
	require.NotEmpty(b, d.clients)
	require.NotEmpty(b, d.couriers)
	return d
}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// role is what a session of one kind does on each step.
type role struct {
	email string
	act   func(s *session, rng *rand.Rand, d *data, rec *recorder)
}

var (
	agentRole = role{"agent@demo.postdesk", func(s *session, rng *rand.Rand, d *data, rec *recorder) {
		switch n := rng.IntN(100); {
		case n < 20:
			s.get(rec, "orders search", "/orders?q="+url.QueryEscape(pick(rng, d.phones)), false)
		case n < 30:
			s.get(rec, "orders list (htmx)", "/orders?status=in_transit", true)
		case n < 45:
			s.get(rec, "order page", "/orders/"+pick(rng, d.orders), false)
		case n < 60:
			s.get(rec, "complaint queue", "/complaints?q="+pick(rng, []string{"mine", "unassigned", "today", "soon", "overdue"}), false)
		case n < 83:
			s.get(rec, "complaint page", "/complaints/"+strconv.FormatInt(pick(rng, d.complaints), 10), false)
		case n < 88:
			id := strconv.FormatInt(pick(rng, d.takeable), 10)
			s.post(rec, "complaint take", "/complaints/"+id+"/take", url.Values{}, true, http.StatusOK, http.StatusSeeOther)
		default:
			id := strconv.FormatInt(pick(rng, d.complaints), 10)
			s.post(rec, "complaint note", "/complaints/"+id+"/notes", url.Values{"note": {"called the client back"}}, true, http.StatusOK, http.StatusSeeOther)
		}
	}}
	leadRole = role{"lead@demo.postdesk", func(s *session, rng *rand.Rand, d *data, rec *recorder) {
		switch n := rng.IntN(100); {
		case n < 30:
			s.get(rec, "SLA board", "/complaints/board", false)
		case n < 60:
			s.get(rec, "complaint queue", "/complaints?q="+pick(rng, []string{"unassigned", "overdue", "today"}), false)
		case n < 90:
			s.get(rec, "complaint page", "/complaints/"+strconv.FormatInt(pick(rng, d.complaints), 10), false)
		default:
			s.get(rec, "dashboard", "/", false)
		}
	}}
	financeRole = role{"finance@demo.postdesk", func(s *session, rng *rand.Rand, d *data, rec *recorder) {
		switch n := rng.IntN(100); {
		case n < 20:
			s.get(rec, "finance overview", "/finance", false)
		case n < 55:
			s.get(rec, "ledger", "/finance/ledger", false)
		case n < 70:
			s.get(rec, "balances", "/finance/balances", false)
		case n < 85:
			s.get(rec, "payouts", "/finance/payouts", false)
		default:
			s.get(rec, "account page", "/accounts/"+strconv.FormatInt(pick(rng, d.accounts), 10), false)
		}
	}}
	// approverRole is the second finance officer, approving the first one's payouts.
	approverRole = role{"finance2@demo.postdesk", func(s *session, rng *rand.Rand, d *data, rec *recorder) {
		if rng.IntN(100) < 20 {
			select {
			case id := <-d.payouts:
				s.post(rec, "payout approve", "/finance/payouts/"+strconv.FormatInt(id, 10)+"/approve", url.Values{}, true, http.StatusOK, http.StatusSeeOther)
				return
			default:
			}
		}
		switch n := rng.IntN(100); {
		case n < 50:
			s.get(rec, "payouts", "/finance/payouts?state=pending_approval", false)
		default:
			s.get(rec, "ledger", "/finance/ledger", false)
		}
	}}
	adminRole = role{"admin@demo.postdesk", func(s *session, rng *rand.Rand, d *data, rec *recorder) {
		switch n := rng.IntN(100); {
		case n < 30:
			s.get(rec, "accounts search", "/accounts?q="+url.QueryEscape(pick(rng, d.names)), false)
		case n < 60:
			s.get(rec, "account page", "/accounts/"+strconv.FormatInt(pick(rng, d.accounts), 10), false)
		case n < 80:
			s.get(rec, "audit", "/admin/audit", false)
		case n < 90:
			s.get(rec, "dashboard", "/", false)
		default:
			s.get(rec, "orders list", "/orders", false)
		}
	}}
	editorRole = role{"editor@demo.postdesk", func(s *session, rng *rand.Rand, d *data, rec *recorder) {
		switch n := rng.IntN(100); {
		case n < 60:
			s.get(rec, "news list", "/news", false)
		case n < 85:
			s.get(rec, "news editor", "/news/new", false)
		default:
			r := s.post(rec, "news save", "/news", url.Values{"title": {"Тарифи з 1 січня"}, "body": {"Нові тарифи діють з 1 січня."},
				"audience": {"everyone"}}, false, http.StatusOK, http.StatusSeeOther)
			if m := newsURL.FindStringSubmatch(r); m != nil {
				s.post(rec, "news publish", m[1]+"/publish", url.Values{}, true, http.StatusOK, http.StatusSeeOther)
			}
		}
	}}
)

var newsURL = regexp.MustCompile(`^(/news/\d+)`)

// session is one member's browser: its cookies and CSRF token.
type session struct {
	b      *testing.B
	base   string
	role   role
	client *http.Client
	mu     sync.Mutex
	cookie map[string]string
	csrf   string
}

var sharedTransport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

func newSession(b *testing.B, base string, r role) *session {
	s := &session{b: b, base: base, role: r, cookie: map[string]string{},
		client: &http.Client{Transport: sharedTransport, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	status, _, _ := s.do(http.MethodGet, "/login", nil, false)
	require.Equal(b, http.StatusOK, status)
	status, loc, body := s.do(http.MethodPost, "/login", url.Values{"email": {r.email}, "password": {seed.Password}}, false)
	require.Equal(b, http.StatusSeeOther, status, "log in %s: %s", r.email, body)
	s.do(http.MethodGet, loc, nil, false) // the page after the log-in carries the session's CSRF token
	return s
}

// do sends one request with the session's cookies; a form goes with the CSRF token, as the
// portal's pages send it (field for plain forms, header for htmx).
func (s *session) do(method, path string, form url.Values, htmx bool) (status int, location, body string) {
	var rd io.Reader
	var contentType string
	if form != nil {
		s.mu.Lock()
		form.Set("_csrf", s.csrf)
		s.mu.Unlock()
		rd = strings.NewReader(form.Encode())
		contentType = "application/x-www-form-urlencoded"
	}
	return s.send(method, path, rd, contentType, htmx)
}

// send sends one request with the session's cookies and its CSRF header, and keeps the cookies
// and the CSRF token of the answer.
func (s *session) send(method, path string, rd io.Reader, contentType string, htmx bool) (status int, location, body string) {
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		return 0, "", err.Error()
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	s.mu.Lock()
	var parts []string
	for k, v := range s.cookie {
		parts = append(parts, k+"="+v)
	}
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	s.mu.Unlock()
	req.Header.Set("Cookie", strings.Join(parts, "; "))
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	s.mu.Lock()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(s.cookie, ck.Name)
		} else {
			s.cookie[ck.Name] = ck.Value
		}
	}
	if m := csrfMeta.FindSubmatch(raw); m != nil {
		s.csrf = string(m[1])
	}
	s.mu.Unlock()
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// get fetches a page (or, with htmx, its fragment) and records it under kind.
func (s *session) get(rec *recorder, kind, path string, htmx bool) {
	start := time.Now()
	status, _, body := s.do(http.MethodGet, path, nil, htmx)
	rec.add(kind, time.Since(start), status, status == http.StatusOK, path, body)
}

// post sends a form and records it; ok lists the answers the action expects. It returns where
// the answer leads (Location or HX-Redirect).
func (s *session) post(rec *recorder, kind, path string, form url.Values, htmx bool, ok ...int) string {
	if htmx {
		ok = append(ok, http.StatusNoContent) // htmx is sent on with HX-Location
	}
	start := time.Now()
	status, loc, body := s.do(http.MethodPost, path, form, htmx)
	rec.add(kind, time.Since(start), status, slices.Contains(ok, status), path, body)
	return loc
}

// recorder keeps every request's latency by page kind, and the errors.
type recorder struct {
	mu      sync.Mutex
	by      map[string][]time.Duration
	errors  map[string]int
	samples []string
	total   atomic.Int64
}

func newRecorder() *recorder {
	return &recorder{by: map[string][]time.Duration{}, errors: map[string]int{}}
}

func (r *recorder) add(kind string, d time.Duration, status int, ok bool, path, body string) {
	r.total.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[kind] = append(r.by[kind], d)
	if !ok {
		r.errors[kind]++
		if len(r.samples) < 10 {
			if len(body) > 300 {
				body = body[:300]
			}
			r.samples = append(r.samples, fmt.Sprintf("%s %s → %d: %s", kind, path, status, body))
		}
	}
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return float64(d[i].Microseconds()) / 1000
}

// overall is p50/p95/p99 over every request, in milliseconds.
func (r *recorder) overall() (p50, p95, p99 float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []time.Duration
	for _, d := range r.by {
		all = append(all, d...)
	}
	slices.Sort(all)
	return percentile(all, 0.50), percentile(all, 0.95), percentile(all, 0.99)
}

// report prints a line per page kind (slowest p95 first) and the errors; it returns the request
// and error counts.
func (r *recorder) report(b *testing.B, elapsed time.Duration) (total, errs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	type line struct {
		kind          string
		n             int
		p50, p95, p99 float64
	}
	var lines []line
	for k, d := range r.by {
		slices.Sort(d)
		lines = append(lines, line{k, len(d), percentile(d, 0.5), percentile(d, 0.95), percentile(d, 0.99)})
		total += len(d)
	}
	slices.SortFunc(lines, func(a, b line) int {
		switch {
		case a.p95 > b.p95:
			return -1
		case a.p95 < b.p95:
			return 1
		}
		return strings.Compare(a.kind, b.kind)
	})
	var out strings.Builder
	fmt.Fprintf(&out, "%d requests in %s (%.0f/s)\n%-22s %7s %8s %8s %8s %6s\n", total, elapsed.Round(time.Second),
		float64(total)/elapsed.Seconds(), "page kind", "count", "p50 ms", "p95 ms", "p99 ms", "errors")
	for _, l := range lines {
		fmt.Fprintf(&out, "%-22s %7d %8.1f %8.1f %8.1f %6d\n", l.kind, l.n, l.p50, l.p95, l.p99, r.errors[l.kind])
		errs += r.errors[l.kind]
	}
	fmt.Fprintf(&out, "five slowest routes by p95:")
	for i, l := range lines[:min(5, len(lines))] {
		fmt.Fprintf(&out, " %d. %s (%.0f ms)", i+1, l.kind, l.p95)
	}
	fmt.Fprintln(&out)
	for _, s := range r.samples {
		fmt.Fprintf(&out, "error: %s\n", s)
	}
	fmt.Print(out.String()) // the whole table: a benchmark's log is cut after ten lines
	return total, errs
}

// importWorkbooks fetches the import template, as the import page offers it, and fills n
// workbooks of 20 good orders under its header, each with references of its own (so nothing is
// skipped as already imported). They are made before the clock starts.
func importWorkbooks(b *testing.B, s *session, d *data, n int) [][]byte {
	status, _, tpl := s.do(http.MethodGet, "/orders/import/template", nil, false)
	require.Equal(b, http.StatusOK, status)
	next := time.Now().Add(72 * time.Hour)
	var all [][]byte
	for w := range n {
		f, err := excelize.OpenReader(strings.NewReader(tpl))
		require.NoError(b, err)
		sheet := f.GetSheetName(0)
		require.NoError(b, f.RemoveRow(sheet, 2)) // the example row
		for i := range 20 {
			row := []any{fmt.Sprintf("LT-%d-%d", w, i), d.clients[(w+i)%len(d.clients)], d.couriers[(w+i)%len(d.couriers)],
				"Олена Коваленко", "+380501234567", "Київ, Хрещатик 1", "Іван Петренко", "+380671234567",
				"Львів, пл. Ринок 1", "Книги", "1.2", 1500.5, next}
			cell, err := excelize.CoordinatesToCellName(1, i+2)
			require.NoError(b, err)
			require.NoError(b, f.SetSheetRow(sheet, cell, &row))
		}
		var out bytes.Buffer
		require.NoError(b, f.Write(&out))
		all = append(all, out.Bytes())
	}
	return all
}

var importPoll = regexp.MustCompile(`hx-get="/orders/import/(\d+)"`)

// runImport uploads a workbook as the import page's form does (multipart, htmx, the CSRF field)
// and polls its status every second until the job has ended; a failed import is an error.
func (s *session) runImport(rec *recorder, file []byte, stop <-chan struct{}) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	s.mu.Lock()
	_ = mw.WriteField("_csrf", s.csrf)
	s.mu.Unlock()
	_ = mw.WriteField("mode", "keep")
	fw, _ := mw.CreateFormFile("file", "orders.xlsx")
	_, _ = fw.Write(file)
	_ = mw.Close()
	start := time.Now()
	status, _, body := s.send(http.MethodPost, "/orders/import", &buf, mw.FormDataContentType(), true)
	rec.add("import (upload)", time.Since(start), status, status == http.StatusAccepted, "/orders/import", body)
	m := importPoll.FindStringSubmatch(body)
	if m == nil {
		return
	}
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Second):
		}
		start := time.Now()
		status, _, body := s.do(http.MethodGet, "/orders/import/"+m[1], nil, true)
		done := !importPoll.MatchString(body)
		// The job's end in any language: done, nothing refused, no rows in error.
		ok := status == http.StatusOK && (!done || strings.Contains(body, `data-state="done"`) &&
			!strings.Contains(body, "import-errors") && !strings.Contains(body, "alert error"))
		rec.add("import (status)", time.Since(start), status, ok, "/orders/import/"+m[1], body)
		if done || status != http.StatusOK {
			return
		}
	}
}
