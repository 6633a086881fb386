package orders_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/config"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/admin/seed"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
)

// benchOrders is the size of the data set; POSTDESK_BENCH_ORDERS makes it smaller for a quick run.
func benchOrders() int {
	if n, err := strconv.Atoi(os.Getenv("POSTDESK_BENCH_ORDERS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkOrders runs the performance checks on one database of a million orders with
// their histories (made here with COPY, as `postdesk seed --orders N` does):
//
//	list page with filters ≤ 25 ms median; lookup by waybill ≤ 3 ms; export 1M × 15 ≤ 30 s, ≤ 150 MB;
//	import 100k ≤ 20 s, ≤ 250 MB; waybills for 1,000 orders ≤ 5 s.
func BenchmarkOrders(b *testing.B) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var pool *pgxpool.Pool
	if url := os.Getenv("POSTDESK_BENCH_DB"); url != "" {
		// A database already holding the data (make bench-data), to iterate without reseeding.
		var err error
		pool, err = db.Open(ctx, url)
		require.NoError(b, err)
		b.Cleanup(pool.Close)
		_, _ = pool.Exec(ctx, `DELETE FROM orders WHERE external_ref LIKE 'BENCH-%'`)
	} else {
		pool = dbtest.New(b)
		require.NoError(b, seed.Run(ctx, pool, log, seed.Options{}))
		require.NoError(b, seed.Accounts(ctx, pool, 20_000, 5_000, 7))
		start := time.Now()
		require.NoError(b, orders.Seed(ctx, pool, benchOrders()-seed.DemoOrders, 99))
		b.Logf("seeded %d orders with histories in %s", benchOrders(), time.Since(start).Round(time.Second))
	}
	var n int
	require.NoError(b, pool.QueryRow(ctx, `SELECT count(*) FROM orders`).Scan(&n))
	_, err := pool.Exec(ctx, `VACUUM ANALYZE orders`)
	require.NoError(b, err)
	_, err = pool.Exec(ctx, `UPDATE staff SET lang = 'en'`)
	require.NoError(b, err)

	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	cfg := &config.Config{Lang: "en", TZ: kyiv, Currency: "UAH", SessionSecret: "bench-secret-bench-secret-bench-secret", DataDir: b.TempDir()}
	enforcer, err := rbac.NewEnforcer(ctx, pool)
	require.NoError(b, err)
	store, err := files.Open(ctx, pool, cfg.DataDir)
	require.NoError(b, err)
	river, err := jobs.New(pool, jobs.Options{Log: log, DataDir: cfg.DataDir, Files: store, TZ: kyiv})
	require.NoError(b, err)
	srv, err := admin.New(ctx, admin.Deps{Pool: pool, River: river, Enforcer: enforcer, Config: cfg, Log: log,
		Clock: time.Now, Metrics: admin.NewMetrics(), Files: store})
	require.NoError(b, err)
	env := &admintest.Env{T: b, Pool: pool, Server: srv, Enforcer: enforcer, Config: cfg}
	oenv := &orders.Env{Pool: pool, Files: store, TZ: kyiv, Currency: "UAH"}
	var adminID int64
	require.NoError(b, pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'admin@demo.postdesk'`).Scan(&adminID))

	b.Run("list_page", func(b *testing.B) {
		agent := env.Login("agent@demo.postdesk")
		from := time.Now().In(kyiv).AddDate(0, -1, 0).Format("2006-01-02")
		var client int64
		var waybill string
		require.NoError(b, pool.QueryRow(ctx, `SELECT client_id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&client))
		require.NoError(b, pool.QueryRow(ctx, `SELECT waybill FROM orders ORDER BY id DESC LIMIT 1`).Scan(&waybill))
		pages := []string{
			"/orders",
			"/orders?status=delivered&from=" + from,
			"/orders?status=in_moderation&period=created",
			"/orders?client=" + strconv.FormatInt(client, 10),
			"/orders?q=" + waybill[:len(waybill)-3], // a prefix, as typed
			"/orders?q=" + waybill[:5],              // the first keystrokes: a prefix of 100,000s
			"/orders?sort=cost&dir=desc",
			"/orders?status=delivered&period=delivered&from=" + from,
			"/orders?sort=cost&dir=desc&status=picked_up",
		}
		for _, p := range pages {
			r := agent.Get(p)
			require.Equal(b, 200, r.Status, p)
			require.Contains(b, r.Body, "data-number=", p)
		}
		var times []time.Duration
		perPage := make([][]time.Duration, len(pages))
		b.ResetTimer()
		for i := 0; i < max(b.N, 30); i++ {
			for j, p := range pages {
				t0 := time.Now()
				agent.Get(p)
				d := time.Since(t0)
				times = append(times, d)
				perPage[j] = append(perPage[j], d)
			}
		}
		b.StopTimer()
		for j, p := range pages {
			slices.Sort(perPage[j])
			b.Logf("median %6.2f ms  %s", float64(perPage[j][len(perPage[j])/2].Microseconds())/1000, p)
		}
		reportQuantiles(b, times)
	})

	b.Run("waybill_lookup", func(b *testing.B) {
		rows, err := pool.Query(ctx, `SELECT waybill FROM orders TABLESAMPLE SYSTEM (1) LIMIT 500`)
		require.NoError(b, err)
		var waybills []string
		for rows.Next() {
			var w string
			require.NoError(b, rows.Scan(&w))
			waybills = append(waybills, w)
		}
		rows.Close()
		actx := actor.With(ctx, &actor.Actor{ID: adminID, View: rbac.FullView()})
		var times []time.Duration
		b.ResetTimer()
		for i := 0; i < max(b.N, 2); i++ {
			for _, w := range waybills {
				t0 := time.Now()
				number, err := orders.FindNumber(actx, pool, w)
				require.NoError(b, err)
				_, err = orders.Get(actx, pool, number)
				require.NoError(b, err)
				times = append(times, time.Since(t0))
			}
		}
		b.StopTimer()
		reportQuantiles(b, times)
	})

	b.Run("export_1M_x15", func(b *testing.B) {
		cols := []string{"number", "waybill", "status", "created", "expected", "client", "courier", "sender_name", "sender_phone",
			"recipient_name", "recipient_phone", "recipient_address", "weight", "declared_value", "cost"}
		id, err := store.Enqueue(ctx, noInsert{}, files.Job{Owner: adminID, Kind: "orders_export", Name: "bench.xlsx"}, noArgs)
		require.NoError(b, err)
		mem := watchMemory()
		b.ResetTimer()
		err = oenv.RunExport(ctx, orders.ExportArgs{JobBase: orders.JobBase{FileID: id, StaffID: adminID, Lang: "en"}, Columns: cols})
		b.StopTimer()
		mem.report(b)
		require.NoError(b, err)
		f, err := store.Get(ctx, id)
		require.NoError(b, err)
		require.Equal(b, files.Done, f.State)
		require.JSONEq(b, fmt.Sprintf(`{"rows": %d}`, n), string(f.Result))
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(b.Elapsed().Seconds(), "s")
		b.ReportMetric(float64(f.Size)/(1<<20), "file-MB")
	})

	b.Run("waybills_1000", func(b *testing.B) {
		rows, err := pool.Query(ctx, `SELECT number FROM orders ORDER BY id DESC LIMIT 1000`)
		require.NoError(b, err)
		var numbers []string
		for rows.Next() {
			var s string
			require.NoError(b, rows.Scan(&s))
			numbers = append(numbers, s)
		}
		rows.Close()
		id, err := store.Enqueue(ctx, noInsert{}, files.Job{Owner: adminID, Kind: "orders_waybills", Name: "bench.pdf"}, noArgs)
		require.NoError(b, err)
		mem := watchMemory()
		b.ResetTimer()
		err = oenv.RunWaybills(ctx, orders.WaybillsArgs{JobBase: orders.JobBase{FileID: id, StaffID: adminID, Lang: "uk"}, Numbers: numbers, PerSheet: 1})
		b.StopTimer()
		mem.report(b)
		require.NoError(b, err)
		f, err := store.Get(ctx, id)
		require.NoError(b, err)
		require.Equal(b, files.Done, f.State)
		b.ReportMetric(b.Elapsed().Seconds(), "s")
		b.ReportMetric(float64(f.Size)/(1<<20), "file-MB")
	})

	b.Run("import_100k", func(b *testing.B) {
		const rowsN = 100_000
		var clients []int64
		rows, err := pool.Query(ctx, `SELECT id FROM accounts WHERE kind = 'client' AND status = 'active' LIMIT 1000`)
		require.NoError(b, err)
		for rows.Next() {
			var id int64
			require.NoError(b, rows.Scan(&id))
			clients = append(clients, id)
		}
		rows.Close()
		file := importFile(b, rowsN, clients)
		b.Logf("import file: %.1f MB", float64(len(file))/(1<<20))
		up, err := store.Store(ctx, files.Stored{Owner: adminID, Kind: "orders_import_upload", Name: "bench.xlsx", Body: bytes.NewReader(file)})
		require.NoError(b, err)
		id, err := store.Enqueue(ctx, noInsert{}, files.Job{Owner: adminID, Kind: "orders_import", Name: "bench.xlsx"}, noArgs)
		require.NoError(b, err)
		mem := watchMemory()
		b.ResetTimer()
		err = oenv.RunImport(ctx, orders.ImportArgs{JobBase: orders.JobBase{FileID: id, StaffID: adminID, Lang: "en"}, UploadID: up.ID})
		b.StopTimer()
		mem.report(b)
		require.NoError(b, err)
		f, err := store.Get(ctx, id)
		require.NoError(b, err)
		res := orders.DecodeImportResult(f.Result)
		require.Equal(b, rowsN, res.Created, string(f.Result))
		b.ReportMetric(float64(rowsN)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(b.Elapsed().Seconds(), "s")
	})
}

// noInsert stands in for River where a benchmark runs the job's work itself.
type noInsert struct{}

func (noInsert) InsertTx(context.Context, pgx.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}

func (noInsert) InsertManyTx(context.Context, pgx.Tx, []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return nil, nil
}

func noArgs(int64) river.JobArgs { return nil }

// importFile writes an import workbook of n good rows, with the template's header.
func importFile(b *testing.B, n int, clients []int64) []byte {
	var buf bytes.Buffer
	w, err := xlsx.NewWriter(&buf, "Orders", nil)
	require.NoError(b, err)
	header := orders.ImportHeader("en")
	cols := make([]xlsx.Column, len(header))
	for i, h := range header {
		cols[i] = xlsx.Column{Title: h}
	}
	cols[1].Kind, cols[11].Kind = xlsx.Int, xlsx.Money
	require.NoError(b, w.SetColumns(cols))
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"Олена Коваленко", "Дмитрий Иванов", "Әлия Оспанова", "Тарас Мельник"}
	for i := range n {
		require.NoError(b, w.WriteRow(context.Background(),
			fmt.Sprintf("BENCH-%07d", i), clients[r.IntN(len(clients))], "",
			names[r.IntN(4)], fmt.Sprintf("+38050%07d", r.IntN(10_000_000)), "Київ, вул. Хрещатик, "+strconv.Itoa(1+r.IntN(99)),
			names[r.IntN(4)], fmt.Sprintf("+7701%07d", r.IntN(10_000_000)), "Алматы, пр. Абая, "+strconv.Itoa(1+r.IntN(99)),
			"Книги", strconv.FormatFloat(0.1+float64(r.IntN(20000))/1000, 'f', 3, 64), int64(r.IntN(1_000_000)), "", ""))
	}
	require.NoError(b, w.Close())
	return buf.Bytes()
}

func reportQuantiles(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	q := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "median-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(1), "max-ms")
}

// memWatch samples the Go heap while a benchmark runs and reads the process's peak resident set.
type memWatch struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	peakHeap uint64
	cpu      time.Duration
}

// cpuTime is the CPU time this process has used: on a shared machine it says how much work a job
// took, whatever else was running.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func watchMemory() *memWatch {
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets VmHWM, so the peak covers only what follows (Linux ≥ 4.0).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &memWatch{stop: make(chan struct{}), cpu: cpuTime()}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			m.peakHeap = max(m.peakHeap, ms.HeapInuse)
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

func (m *memWatch) report(b *testing.B) {
	close(m.stop)
	m.wg.Wait()
	b.ReportMetric((cpuTime() - m.cpu).Seconds(), "cpu-s")
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f, err := strconv.ParseFloat(strings.Fields(string(load))[0], 64); err == nil {
			b.ReportMetric(f, "loadavg")
		}
	}
	b.ReportMetric(float64(m.peakHeap)/(1<<20), "peak-heap-MB")
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				b.ReportMetric(kb/1024, "peak-rss-MB")
			}
		}
	}
}
