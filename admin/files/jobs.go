package files

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/riverqueue/river"
)

// Job describes a file a background job is about to make.
type Job struct {
	Owner      int64  // the staff member who asked; they alone may download it
	Kind       string // e.g. "orders_export", "orders_waybills"
	RecordType string // what it is about, when one record ("" for a list)
	RecordID   string
	Name       string // a working title until the file is done
	TTL        time.Duration
}

// JobArgs are River args that carry the file record they fill.
type JobArgs interface {
	river.JobArgs
	FileRecord() int64
}

// Enqueue records a queued file and inserts its job, in one transaction: args is built from the
// new file's id. It returns the file id for the page to poll.
func (s *Store) Enqueue(ctx context.Context, q enqueue.Inserter, j Job, args func(fileID int64) river.JobArgs) (int64, error) {
	if j.TTL <= 0 {
		j.TTL = DefaultTTL
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO files (owner_staff_id, kind, record_type, record_id, name, state, expires_at)
			VALUES (nullif($1, 0), $2, $3, $4, $5, 'queued', now() + $6::interval) RETURNING id`,
			j.Owner, j.Kind, j.RecordType, j.RecordID, j.Name, j.TTL.String()).Scan(&id); err != nil {
			return err
		}
		res, err := q.InsertTx(ctx, tx, args(id), nil)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE files SET job_id = $2 WHERE id = $1`, id, res.Job.ID)
		return err
	})
	return id, err
}

// Progress records how far a job has got (0–100) and what it is doing, for the polling page.
func (s *Store) Progress(ctx context.Context, id int64, percent int, message string) error {
	percent = min(max(percent, 0), 99) // 100 only when the file is there
	_, err := s.Pool.Exec(ctx, `UPDATE files SET state = 'running', percent = greatest(percent, $2), message = $3
		WHERE id = $1 AND state IN ('queued', 'running')`, id, percent, message)
	return err
}

// Complete writes the file's bytes through write, then marks it done with its final name, type,
// size and result (any JSON-able summary, e.g. row counts). write streams: nothing is held whole.
func (s *Store) Complete(ctx context.Context, id int64, name, contentType string, write func(io.Writer) error, result any) error {
	key := ""
	var size int64
	if write != nil {
		key = s.newKey("generated", id, extOf(name))
		var err error
		if size, err = s.put(ctx, key, contentType, write); err != nil {
			return err
		}
	}
	res, err := marshal(result)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `UPDATE files SET state = 'done', percent = 100, name = $2, content_type = $3, size = $4,
		blob_key = $5, result = $6, message = '', finished_at = now() WHERE id = $1`, id, name, contentType, size, key, res)
	return err
}

// Fail marks the job failed with a message for the user (a translation key) and an optional result.
func (s *Store) Fail(ctx context.Context, id int64, message string, result any) error {
	res, err := marshal(result)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `UPDATE files SET state = 'failed', message = $2, result = $3, finished_at = now() WHERE id = $1`, id, message, res)
	return err
}

// Attach adds an extra generated file that belongs to another (an import's failed-rows workbook):
// same owner and expiry, record type "file" and the parent's id.
func (s *Store) AttachGenerated(ctx context.Context, parent File, kind, name, contentType string, write func(io.Writer) error) (int64, error) {
	var id int64
	if err := s.Pool.QueryRow(ctx, `INSERT INTO files (owner_staff_id, kind, record_type, record_id, name, content_type, state, expires_at)
		VALUES (nullif($1, 0), $2, 'file', $3, $4, $5, 'running', $6) RETURNING id`,
		parent.OwnerID, kind, strconv.FormatInt(parent.ID, 10), name, contentType, nullTime(parent.ExpiresAt)).Scan(&id); err != nil {
		return 0, err
	}
	key := s.newKey("generated", id, extOf(name))
	size, err := s.put(ctx, key, contentType, write)
	if err != nil {
		return 0, err
	}
	_, err = s.Pool.Exec(ctx, `UPDATE files SET state = 'done', percent = 100, size = $2, blob_key = $3, finished_at = now(),
		notified = true WHERE id = $1`, id, size, key)
	return id, err
}

// Notices returns the owner's jobs that ended since they were last told, and marks them told:
// the page shows a toast for each, wherever the user is.
func (s *Store) Notices(ctx context.Context, owner int64) ([]File, error) {
	rows, err := s.Pool.Query(ctx, `UPDATE files f SET notified = true FROM (
			SELECT id FROM files WHERE owner_staff_id = $1 AND NOT notified AND state IN ('done', 'failed') ORDER BY id LIMIT 3
		) n
		WHERE f.id = n.id RETURNING `+strings.Replace(columns, "coalesce(s.name, '')", "''", 1), owner)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (File, error) { return scanFile(r) })
}

// MarkNotified records that the owner saw the job end (on the page that polled it). It tells
// whether this call was the first to do so: only that one shows the toast.
func (s *Store) MarkNotified(ctx context.Context, id int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE files SET notified = true WHERE id = $1 AND NOT notified`, id)
	return err == nil && tag.RowsAffected() == 1, err
}

// SetResult stores a job's summary while it runs (e.g. an import's errors before it finishes).
func (s *Store) SetResult(ctx context.Context, id int64, result any) error {
	res, err := marshal(result)
	if err != nil {
		return err
	}
	_, err = s.Pool.Exec(ctx, `UPDATE files SET result = $2 WHERE id = $1`, id, res)
	return err
}

// Ticker rate-limits progress writes: a job calls Tick on every row, and Progress is written at most
// every interval.
type Ticker struct {
	s     *Store
	id    int64
	every time.Duration
	last  time.Time
}

// NewTicker writes progress for file id at most every interval.
func (s *Store) NewTicker(id int64, every time.Duration) *Ticker {
	return &Ticker{s: s, id: id, every: every}
}

// Tick records done of total when the interval has passed.
func (t *Ticker) Tick(ctx context.Context, done, total int64, message string) error {
	if time.Since(t.last) < t.every {
		return nil
	}
	t.last = time.Now()
	pct := 0
	if total > 0 {
		pct = int(done * 100 / total)
	}
	return t.s.Progress(ctx, t.id, pct, message)
}

func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func extOf(name string) string {
	for i := len(name) - 1; i >= 0 && i > len(name)-8; i-- {
		if name[i] == '.' {
			return name[i:]
		}
	}
	return ""
}
