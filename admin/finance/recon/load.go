package recon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/gateway"
	"github.com/postdesk/postdesk/admin/i18n"
)

// A statement is loaded by a job (jobs/recon_load.go for files, jobs/recon_fetch.go for the
// gateway's API): the request stores the file and queues the job; the job streams the lines into
// recon_lines with COPY while keeping only what matching needs, reads the period's ledger side in
// batches, matches, writes the results with COPY and marks the statement matched — all in one
// transaction, so a statement is wholly loaded or not at all. Its progress (lines read, matched,
// exceptions) is kept on the job's files record, which the period page shows and which toasts
// its owner when it ends, as the exports do.

// File kinds of the loads' records in the files table.
const (
	KindLoad   = "recon_load"   // a load job's progress record (record: the period)
	KindFetch  = "recon_fetch"  // the same, for a statement fetched from the gateway
	KindUpload = "recon_upload" // an uploaded statement file
)

// MaxStatementBytes bounds an uploaded statement file; the page states it. RouteBodyLimit is
// the upload route's request limit: the file and the few fields around it.
const (
	MaxStatementBytes = 64 << 20
	RouteBodyLimit    = MaxStatementBytes + 64<<10
)

// LoadArgs loads an uploaded statement file into a period (kind recon_load).
type LoadArgs struct {
	FileID   int64  `json:"file_id"`   // the job's progress record
	UploadID int64  `json:"upload_id"` // the stored statement file
	PeriodID int64  `json:"period_id"`
	Source   string `json:"source"` // csv or xlsx
	Name     string `json:"name"`   // the file's name as uploaded
	StaffID  int64  `json:"staff_id"`
	Lang     string `json:"lang"`
	// From, when set, is a statement of the period whose lines are matched again (no upload).
	From int64 `json:"from,omitempty"`
}

func (LoadArgs) Kind() string { return KindLoad }

// FileRecord is the files record the job fills.
func (a LoadArgs) FileRecord() int64 { return a.FileID }

// FetchArgs loads a period's statement from the gateway's TRANSACTION_LIST (kind recon_fetch).
// StatementID is set only by jobs queued before loads became jobs of their own: such a job fills
// the statement row its request created.
type FetchArgs struct {
	FileID      int64  `json:"file_id,omitempty"`
	PeriodID    int64  `json:"period_id,omitempty"`
	StaffID     int64  `json:"staff_id,omitempty"`
	Lang        string `json:"lang,omitempty"`
	StatementID int64  `json:"statement_id,omitempty"`
}

func (FetchArgs) Kind() string { return "recon_fetch" }

// FileRecord is the files record the job fills.
func (a FetchArgs) FileRecord() int64 { return a.FileID }

// LoadProgress is a load's progress and outcome, kept as its files record's result.
type LoadProgress struct {
	Lines      int            `json:"lines"`      // statement lines read
	Entries    int            `json:"entries"`    // ledger entries of the period read
	Matched    int            `json:"matched"`    // results: matched pairs
	Exceptions int            `json:"exceptions"` // results: everything else
	Statement  int64          `json:"statement,omitempty"`
	Error      string         `json:"error,omitempty"` // why it failed: a translation key
	Args       map[string]any `json:"args,omitempty"`
}

// Queue stores an uploaded statement (streamed to blob storage, never held in memory) and
// queues its load. The period must exist, be open and have no load under way.
func Queue(ctx context.Context, pool *pgxpool.Pool, store *files.Store, jobs enqueue.Inserter, periodID int64, source, name string, body io.Reader) (int64, error) {
	if err := checkLoadable(ctx, pool, periodID); err != nil {
		return 0, err
	}
	a := actor.From(ctx)
	var staff int64
	if a != nil {
		staff = a.ID
	}
	ct := "text/csv"
	if source == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	up, err := store.Store(ctx, files.Stored{Owner: staff, Kind: KindUpload, Name: name, ContentType: ct, Body: body})
	if err != nil {
		return 0, err
	}
	args := LoadArgs{UploadID: up.ID, PeriodID: periodID, Source: source, Name: up.Name, StaffID: staff, Lang: i18n.Lang(ctx)}
	return store.Enqueue(ctx, jobs, files.Job{Owner: staff, Kind: KindLoad, RecordType: "recon_period", RecordID: fmt.Sprint(periodID), Name: up.Name},
		func(id int64) river.JobArgs {
			args.FileID = id
			return args
		})
}

// QueueFetch queues loading the period's statement from the gateway.
func QueueFetch(ctx context.Context, pool *pgxpool.Pool, store *files.Store, jobs enqueue.Inserter, periodID int64, name string) (int64, error) {
	if err := checkLoadable(ctx, pool, periodID); err != nil {
		return 0, err
	}
	a := actor.From(ctx)
	var staff int64
	if a != nil {
		staff = a.ID
	}
	args := FetchArgs{PeriodID: periodID, StaffID: staff, Lang: i18n.Lang(ctx)}
	return store.Enqueue(ctx, jobs, files.Job{Owner: staff, Kind: KindFetch, RecordType: "recon_period", RecordID: fmt.Sprint(periodID), Name: name},
		func(id int64) river.JobArgs {
			args.FileID = id
			return args
		})
}

func checkLoadable(ctx context.Context, pool *pgxpool.Pool, periodID int64) error {
	p, err := GetPeriod(ctx, pool, periodID)
	if err != nil {
		return err
	}
	if p.Closed() {
		return apperr.New(apperr.Conflict, "recon.period_closed")
	}
	job, err := LatestLoad(ctx, pool, periodID)
	if err != nil {
		return err
	}
	if job != nil && (job.State == files.Queued || job.State == files.Running) {
		return apperr.New(apperr.Conflict, "recon.load.running")
	}
	return nil
}

// LatestLoad is the period's newest load job (nil when there has been none).
func LatestLoad(ctx context.Context, pool *pgxpool.Pool, periodID int64) (*files.File, error) {
	var id int64
	err := pool.QueryRow(ctx, `SELECT id FROM files WHERE record_type = 'recon_period' AND record_id = $1 AND kind IN ('recon_load', 'recon_fetch')
		ORDER BY id DESC LIMIT 1`, fmt.Sprint(periodID)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := (&files.Store{Pool: pool}).Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// Loader runs the loads (jobs/recon_load.go and jobs/recon_fetch.go).
type Loader struct {
	Pool  *pgxpool.Pool
	Files *files.Store
	Loc   *time.Location
	Now   clock.Clock
	// BatchSize is how many ledger entries one query reads (50,000 when zero).
	BatchSize int
	// TempDir receives an XLSX statement while it is read (the system's when empty).
	TempDir string
	// Log gets each load's phases and their durations (none when nil).
	Log *slog.Logger
}

func (l *Loader) loc() *time.Location {
	if l.Loc == nil {
		return time.UTC
	}
	return l.Loc
}

// asStaff acts for the member who asked: the statement and its audit entry name them.
func asStaff(ctx context.Context, staff int64, lang string) context.Context {
	if staff == 0 {
		return ctx
	}
	return i18n.WithLang(actor.With(ctx, &actor.Actor{ID: staff, Lang: lang}), lang)
}

// RunUpload loads an uploaded statement. A file that cannot be read, or a closed period, fails
// the job with the reason for the page and changes nothing; other errors are returned for River
// to retry (last marks the last try, after which the load is marked failed).
func (l *Loader) RunUpload(ctx context.Context, a LoadArgs, last bool) error {
	ctx = asStaff(ctx, a.StaffID, a.Lang)
	if a.From != 0 {
		p := l.newProgress(a.FileID)
		st, err := l.rematch(ctx, a.PeriodID, statementRef{id: a.From, source: a.Source, fileName: a.Name, lines: l.linesOf(ctx, a.From)}, p)
		if err != nil {
			return l.fail(ctx, a.FileID, err, last)
		}
		p.state.Statement = st
		name, _ := l.fileName(ctx, a.FileID)
		return l.Files.Complete(ctx, a.FileID, name, "", nil, p.state)
	}
	up, err := l.Files.Get(ctx, a.UploadID)
	if err != nil {
		return l.fail(ctx, a.FileID, err, last)
	}
	var src lineSource
	switch a.Source {
	case "xlsx":
		tmp, size, err := l.download(ctx, up)
		if err != nil {
			return l.fail(ctx, a.FileID, err, last)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		xs, err := openXLSX(tmp, size, l.loc())
		if err != nil {
			return l.fail(ctx, a.FileID, err, last)
		}
		defer xs.close()
		src = xs
	default:
		r, err := l.Files.Read(ctx, up, false)
		if err != nil {
			return l.fail(ctx, a.FileID, err, last)
		}
		defer r.Close()
		cs, err := newCSVSource(r, up.Size, l.loc())
		if err != nil {
			return l.fail(ctx, a.FileID, err, last)
		}
		src = cs
	}
	p := l.newProgress(a.FileID)
	st, err := l.run(ctx, loadSpec{period: a.PeriodID, source: a.Source, fileName: a.Name}, src, p)
	if err != nil {
		return l.fail(ctx, a.FileID, err, last)
	}
	p.state.Statement = st
	return l.Files.Complete(ctx, a.FileID, a.Name, "", nil, p.state)
}

// RunFetched loads the gateway's list for a fetch job.
func (l *Loader) RunFetched(ctx context.Context, a FetchArgs, list gateway.List, last bool) error {
	ctx = asStaff(ctx, a.StaffID, a.Lang)
	p := l.newProgress(a.FileID)
	st, err := l.run(ctx, loadSpec{period: a.PeriodID, source: "api", statement: a.StatementID}, &listSource{list: list.Transactions}, p)
	if err != nil {
		if a.FileID == 0 {
			if last || isRefusal(err) {
				_ = Fail(context.WithoutCancel(ctx), l.Pool, a.StatementID, err)
			}
			if isRefusal(err) {
				return nil
			}
			return err
		}
		return l.fail(ctx, a.FileID, err, last)
	}
	if a.FileID == 0 {
		return nil
	}
	p.state.Statement = st
	name, _ := l.fileName(ctx, a.FileID)
	return l.Files.Complete(ctx, a.FileID, name, "", nil, p.state)
}

// FailFetch marks a fetch job failed (the gateway could not be asked) when it will not be retried.
func (l *Loader) FailFetch(ctx context.Context, a FetchArgs, cause error, last bool) error {
	if a.FileID == 0 {
		if last {
			_ = Fail(context.WithoutCancel(ctx), l.Pool, a.StatementID, cause)
		}
		return cause
	}
	return l.fail(ctx, a.FileID, cause, last)
}

func (l *Loader) linesOf(ctx context.Context, statement int64) int {
	var n int
	_ = l.Pool.QueryRow(ctx, `SELECT lines FROM recon_statements WHERE id = $1`, statement).Scan(&n)
	return n
}

func (l *Loader) fileName(ctx context.Context, id int64) (string, error) {
	f, err := l.Files.Get(ctx, id)
	return f.Name, err
}

func isRefusal(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict || ae.Code == apperr.NotFound)
}

// fail records why a load failed. A refusal (a bad file, a closed period) is final and the job
// ends; anything else is returned for River to retry, and recorded as the failure at the last try.
func (l *Loader) fail(ctx context.Context, fileID int64, err error, last bool) error {
	ctx = context.WithoutCancel(ctx)
	res := LoadProgress{Error: "recon.load.failed"}
	if f, gerr := l.Files.Get(ctx, fileID); gerr == nil && len(f.Result) > 0 {
		res = decodeProgress(f.Result)
		res.Error = "recon.load.failed"
	}
	var ae *apperr.Error
	if isRefusal(err) && errors.As(err, &ae) {
		res.Error, res.Args = ae.Message, ae.Args
		if ferr := l.Files.Fail(ctx, fileID, ae.Message, res); ferr != nil {
			return ferr
		}
		return nil
	}
	if last {
		_ = l.Files.Fail(ctx, fileID, "recon.load.failed", res)
	}
	return err
}

// download copies a stored file to a temporary file (the XLSX reader needs random access).
func (l *Loader) download(ctx context.Context, f files.File) (*os.File, int64, error) {
	r, err := l.Files.Read(ctx, f, false)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(l.TempDir, "recon-*.xlsx")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(tmp, io.LimitReader(r, MaxStatementBytes+1))
	if err == nil && n > MaxStatementBytes {
		err = apperr.InvalidField("file", "recon.load.too_large")
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, 0, err
	}
	return tmp, n, nil
}

type loadSpec struct {
	period    int64
	source    string
	fileName  string
	statement int64 // an existing 'loading' statement to fill (fetch jobs queued by earlier versions)
}

// run loads, matches and stores one statement in one transaction and returns its id.
func (l *Loader) run(ctx context.Context, spec loadSpec, src lineSource, p *progress) (int64, error) {
	if spec.period == 0 && spec.statement != 0 {
		if err := l.Pool.QueryRow(ctx, `SELECT period_id FROM recon_statements WHERE id = $1`, spec.statement).Scan(&spec.period); err != nil {
			return 0, err
		}
	}
	p.phase(ctx, 1, "recon.load.reading")
	defer tightGC()()
	t0 := time.Now()
	tx, err := l.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	// The period is share-locked until the statement is in: closing it waits for the load, and
	// then sees the new statement.
	var state string
	if err := tx.QueryRow(ctx, `SELECT state FROM recon_periods WHERE id = $1 FOR SHARE`, spec.period).Scan(&state); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, apperr.New(apperr.NotFound, "recon.period_not_found")
		}
		return 0, err
	}
	if state == "closed" {
		return 0, apperr.New(apperr.Conflict, "recon.period_closed")
	}
	per, err := GetPeriod(ctx, tx, spec.period)
	if err != nil {
		return 0, err
	}
	id := spec.statement
	if id != 0 {
		var st string
		if err := tx.QueryRow(ctx, `SELECT state FROM recon_statements WHERE id = $1 FOR UPDATE`, id).Scan(&st); err != nil {
			return 0, err
		}
		if st != "loading" {
			return id, nil // loaded by an earlier run of the job
		}
	} else if err := tx.QueryRow(ctx, `INSERT INTO recon_statements (period_id, source, file_name, loaded_by) VALUES ($1, $2, $3, $4) RETURNING id`,
		spec.period, spec.source, spec.fileName, actor.StaffID(ctx)).Scan(&id); err != nil {
		return 0, closedErr(err)
	}
	var currency string
	if err := tx.QueryRow(ctx, `SELECT ledger_currency()`).Scan(&currency); err != nil {
		return 0, err
	}

	// 1. The statement's lines: every line into recon_lines, the approved ones kept for matching.
	keep := newLineStore(src.estimate(), currency)
	lc := &lineCopy{src: src, statement: id, keep: keep, p: p, ctx: ctx}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, newCopyReader(lc.next),
		`COPY recon_lines (statement_id, line_no, reference, amount, fee, currency, status, occurred_at) FROM STDIN`); err != nil {
		if lc.err != nil {
			return 0, lc.err
		}
		return 0, closedErr(err)
	}
	if lc.err != nil {
		return 0, lc.err
	}
	lines := keep.done()
	p.state.Lines = lc.n
	p.phase(ctx, 50, "recon.load.ledger")
	t1 := time.Now()

	// 2. The period's gateway-clearing entries, in batches.
	entries, err := l.entries(ctx, tx, per, p)
	if err != nil {
		return 0, err
	}
	p.state.Entries = len(entries)
	p.phase(ctx, 70, "recon.load.matching")
	t2 := time.Now()

	// 3. Matching, kept as compact pairs.
	pairs := make([]pair, 0, len(lines)+len(entries)/16)
	Match(lines, entries, per.Settings, func(pr Pair) {
		pairs = append(pairs, pair{kind: kindCode(pr.Kind), byRef: pr.ByReference, line: pr.Line, entry: pr.Entry})
		if pr.Kind == Matched {
			p.state.Matched++
		} else {
			p.state.Exceptions++
		}
	})
	p.phase(ctx, 75, "recon.load.saving")
	t3 := time.Now()

	// 4. The results, and their summary.
	rc := &resultCopy{pairs: pairs, lines: lines, entries: entries, statement: id, net: per.Basis == Net, p: p, ctx: ctx}
	// The results' ids come from their sequence, which only grows: they lie above a value taken
	// before the COPY and up to the last one it took, whoever else inserts meanwhile.
	sum := rc.summary()
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('recon_results', 'id'))`).Scan(&sum.First); err != nil {
		return 0, err
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, newCopyReader(rc.next),
		`COPY recon_results (statement_id, kind, matched_by, line_no, transfer_id, reference, gateway_amount, ledger_amount, occurred_at) FROM STDIN`); err != nil {
		return 0, closedErr(err)
	}
	if err := tx.QueryRow(ctx, `SELECT currval(pg_get_serial_sequence('recon_results', 'id'))`).Scan(&sum.Last); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE recon_statements SET state = 'matched', lines = $2, matched_at = now(), error = '', summary = $3 WHERE id = $1`,
		id, lc.n, sum); err != nil {
		return 0, closedErr(err)
	}
	if err := audit.Record(ctx, tx, "recon.statement_loaded", "recon_statement", id, nil,
		map[string]any{"period": spec.period, "lines": lc.n, "results": len(pairs), "source": spec.source}); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, closedErr(err)
	}
	t4 := time.Now()
	if len(pairs) >= 10_000 {
		// Fresh statistics, so the page lists the new results in id order from the start (migration
		// 023); autovacuum would get there too, a minute or so later.
		if _, err := l.Pool.Exec(ctx, `SELECT recon_analyze()`); err != nil && l.Log != nil {
			l.Log.Warn("recon: analyze after a load", "err", err)
		}
	}
	if l.Log != nil {
		l.Log.Info("recon: statement loaded", "statement", id, "lines", lc.n, "entries", len(entries), "results", len(pairs),
			"read", t1.Sub(t0).Round(time.Millisecond), "ledger", t2.Sub(t1).Round(time.Millisecond),
			"match", t3.Sub(t2).Round(time.Millisecond), "save", t4.Sub(t3).Round(time.Millisecond), "analyze", time.Since(t4).Round(time.Millisecond))
	}
	return id, nil
}

// entries reads the period's gateway-clearing entries, BatchSize at a time, each with the
// reference it carries: a payout's reference, else its transfer's order reference.
// Only what matching needs is kept; references share a few large blocks of memory.
func (l *Loader) entries(ctx context.Context, tx pgx.Tx, per Period, p *progress) ([]Entry, error) {
	plat, err := ledger.Platform(ctx, tx)
	if err != nil {
		return nil, err
	}
	var currency string
	var total int
	if err := tx.QueryRow(ctx, `SELECT a.currency, (SELECT count(*) FROM ledger_entries e
			WHERE e.ledger_account_id = a.id AND e.created_at >= $2 AND e.created_at < $3)
		FROM ledger_accounts a WHERE a.id = $1`, plat.GatewayClearing, per.StartsAt, per.EndsAt).Scan(&currency, &total); err != nil {
		return nil, err
	}
	batch := l.BatchSize
	if batch <= 0 {
		batch = 50_000
	}
	out := make([]Entry, 0, total)
	// One query, read through a cursor a batch at a time: its plan reads the transfers once (a hash
	// join), where a query per batch would look each one up by its key.
	// (work_mem: the transfers' hash fits in memory rather than spilling a million rows to disk.)
	if _, err := tx.Exec(ctx, `SET LOCAL cursor_tuple_fraction = 1; SET LOCAL work_mem = '64MB'`); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DECLARE recon_entries NO SCROLL CURSOR FOR
		SELECT e.transfer_id, coalesce(p.reference, t.order_ref, ''), abs(e.amount), extract(epoch FROM e.created_at)::bigint
		FROM ledger_entries e
		JOIN ledger_transfers t ON t.id = e.transfer_id
		LEFT JOIN payouts p ON p.id = t.payout_id
		WHERE e.ledger_account_id = $1 AND e.created_at >= $2 AND e.created_at < $3`, plat.GatewayClearing, per.StartsAt, per.EndsAt); err != nil {
		return nil, err
	}
	fetch := fmt.Sprintf(`FETCH %d FROM recon_entries`, batch)
	var refs []byte
	var ends []int32
	for {
		rows, err := tx.Query(ctx, fetch)
		if err != nil {
			return nil, err
		}
		from := len(out)
		refs, ends = refs[:0], ends[:0]
		var e Entry
		for rows.Next() {
			// The reference is read raw into the batch's block: no string per entry.
			if err := rows.Scan(&e.Transfer, nil, &e.Amount, &e.At); err != nil {
				rows.Close()
				return nil, err
			}
			refs = append(refs, rows.RawValues()[1]...)
			ends = append(ends, int32(len(refs)))
			e.Currency = currency
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		block, start := string(refs), int32(0)
		for i, end := range ends {
			out[from+i].Ref = block[start:end]
			start = end
		}
		p.state.Entries = len(out)
		p.tick(ctx, 50+20*len(out)/max(total, 1), "recon.load.ledger")
		if len(ends) < batch {
			_, err := tx.Exec(ctx, `CLOSE recon_entries`)
			return out, err
		}
	}
}

// progress writes a load's progress to its files record, at most every 300 ms.
type progress struct {
	files *files.Store
	id    int64
	state LoadProgress
	last  time.Time
}

func (l *Loader) newProgress(fileID int64) *progress { return &progress{files: l.Files, id: fileID} }

func (p *progress) tick(ctx context.Context, percent int, message string) {
	if time.Since(p.last) < 300*time.Millisecond {
		return
	}
	p.phase(ctx, percent, message)
}

func (p *progress) phase(ctx context.Context, percent int, message string) {
	p.last = time.Now()
	if p.id == 0 || p.files == nil {
		return
	}
	// Progress is advisory: a failed write is not worth failing the load for.
	_ = p.files.Progress(ctx, p.id, percent, message)
	_ = p.files.SetResult(ctx, p.id, p.state)
}

// lineCopy feeds COPY recon_lines from the statement's source.
type lineCopy struct {
	ctx       context.Context
	src       lineSource
	statement int64
	keep      *lineStore
	p         *progress
	n         int
	err       error
}

func (c *lineCopy) next(buf []byte) ([]byte, bool, error) {
	if !c.src.next() {
		if err := c.src.err(); err != nil {
			c.err = err
			return buf, false, err
		}
		return buf, false, nil
	}
	l := c.src.line()
	c.n++
	if c.n > MaxLines {
		c.err = apperr.InvalidField("file", "recon.file_too_long")
		return buf, false, c.err
	}
	c.keep.add(l)
	buf = appendInt(buf, c.statement)
	buf = append(buf, '\t')
	buf = appendInt(buf, int64(l.No))
	buf = append(buf, '\t')
	buf = appendText(buf, l.Ref)
	buf = append(buf, '\t')
	buf = appendInt(buf, l.Amount)
	buf = append(buf, '\t')
	buf = appendInt(buf, l.Fee)
	buf = append(buf, '\t')
	buf = appendText(buf, l.Currency)
	buf = append(buf, '\t')
	buf = appendText(buf, l.Status)
	buf = append(buf, '\t')
	buf = appendTime(buf, l.At.Unix())
	buf = append(buf, '\n')
	if c.n%4096 == 0 {
		c.p.state.Lines = c.n
		c.p.tick(c.ctx, 1+49*c.src.done()/100, "recon.load.reading")
	}
	return buf, true, nil
}

// pair is a matching outcome in 12 bytes.
type pair struct {
	kind        uint8
	byRef       bool
	line, entry int32
}

func kindCode(k Kind) uint8 {
	for i, kk := range Kinds {
		if kk == k {
			return uint8(i)
		}
	}
	return 0
}

// resultCopy feeds COPY recon_results from the pairs.
type resultCopy struct {
	ctx       context.Context
	pairs     []pair
	lines     []Line
	entries   []Entry
	statement int64
	net       bool
	p         *progress
	i         int
}

func (c *resultCopy) next(buf []byte) ([]byte, bool, error) {
	if c.i >= len(c.pairs) {
		return buf, false, nil
	}
	pr := c.pairs[c.i]
	c.i++
	kind := Kinds[pr.kind]
	buf = appendInt(buf, c.statement)
	buf = append(buf, '\t')
	buf = append(buf, kind...)
	buf = append(buf, '\t')
	if kind == Matched {
		if pr.byRef {
			buf = append(buf, "reference"...)
		} else {
			buf = append(buf, "amount_date"...)
		}
	}
	buf = append(buf, '\t')
	var ref string
	var at int64
	hasAt := false
	var gw int64
	if pr.line >= 0 {
		l := &c.lines[pr.line]
		buf = appendInt(buf, int64(l.No))
		ref, at, hasAt = l.Ref, l.At, true
		gw = l.Amount
		if c.net {
			gw -= l.Fee
		}
	} else {
		buf = append(buf, `\N`...)
	}
	buf = append(buf, '\t')
	var led int64
	if pr.entry >= 0 {
		e := &c.entries[pr.entry]
		buf = appendInt(buf, e.Transfer)
		led = e.Amount
		if ref == "" {
			ref = e.Ref
		}
		if !hasAt {
			at, hasAt = e.At, true
		}
	} else {
		buf = append(buf, `\N`...)
	}
	buf = append(buf, '\t')
	buf = appendText(buf, ref)
	buf = append(buf, '\t')
	if pr.line >= 0 {
		buf = appendInt(buf, gw)
	} else {
		buf = append(buf, `\N`...)
	}
	buf = append(buf, '\t')
	if pr.entry >= 0 {
		buf = appendInt(buf, led)
	} else {
		buf = append(buf, `\N`...)
	}
	buf = append(buf, '\t')
	if hasAt {
		buf = appendTime(buf, at)
	} else {
		buf = append(buf, `\N`...)
	}
	buf = append(buf, '\n')
	if c.i%8192 == 0 {
		c.p.tick(c.ctx, 75+24*c.i/len(c.pairs), "recon.load.saving")
	}
	return buf, true, nil
}

// storedSummary is a statement's outcomes as the load keeps them (recon_statements.summary).
type storedSummary struct {
	Count   map[Kind]int   `json:"count"`
	Gateway map[Kind]int64 `json:"gateway"`
	Ledger  map[Kind]int64 `json:"ledger"`
	// The statement's results have ids in (First, Last].
	First int64 `json:"first"`
	Last  int64 `json:"last"`
}

// summary counts and sums the results as Summarise would.
func (c *resultCopy) summary() storedSummary {
	s := storedSummary{Count: map[Kind]int{}, Gateway: map[Kind]int64{}, Ledger: map[Kind]int64{}}
	for _, pr := range c.pairs {
		k := Kinds[pr.kind]
		s.Count[k]++
		if pr.line >= 0 {
			l := &c.lines[pr.line]
			g := l.Amount
			if c.net {
				g -= l.Fee
			}
			s.Gateway[k] += g
		}
		if pr.entry >= 0 {
			s.Ledger[k] += c.entries[pr.entry].Amount
		}
	}
	return s
}

// decodeProgress reads a files record's result.
func decodeProgress(raw []byte) LoadProgress {
	var p LoadProgress
	_ = json.Unmarshal(raw, &p)
	return p
}

// FetchWindow is the span a fetch job asks the gateway for: its period's.
func (l *Loader) FetchWindow(ctx context.Context, a FetchArgs) (time.Time, time.Time, error) {
	id := a.PeriodID
	if id == 0 {
		if err := l.Pool.QueryRow(ctx, `SELECT period_id FROM recon_statements WHERE id = $1`, a.StatementID).Scan(&id); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	p, err := GetPeriod(ctx, l.Pool, id)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return p.StartsAt, p.EndsAt.Add(-1), nil
}

// While a load runs the Go collector works harder: a million-line load holds about 150 MB of
// lines, entries and results, and at the default GOGC (100) the heap would grow to twice what
// is live before collecting — past the 300 MB the portal's process is given. At 40 it stays near
// 1.4 times, for a few more collections of a cost that is small beside the load's. The
// collector's setting is the process's, so the loads that run at once share one guard; the last
// one to end restores the setting and hands the freed memory back to the system.
var gcGuard struct {
	sync.Mutex
	loads  int
	before int
}

const loadGCPercent = 40

func tightGC() (restore func()) {
	gcGuard.Lock()
	defer gcGuard.Unlock()
	if gcGuard.loads == 0 {
		gcGuard.before = debug.SetGCPercent(loadGCPercent)
		if gcGuard.before < 0 || gcGuard.before < loadGCPercent {
			debug.SetGCPercent(gcGuard.before) // off (a memory limit rules) or already tighter
		}
	}
	gcGuard.loads++
	return func() {
		gcGuard.Lock()
		defer gcGuard.Unlock()
		gcGuard.loads--
		if gcGuard.loads == 0 {
			debug.SetGCPercent(gcGuard.before)
			debug.FreeOSMemory()
		}
	}
}
