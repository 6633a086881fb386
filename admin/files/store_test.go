package files

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
)

type fakeRiver struct{ inserted []river.JobArgs }

func (f *fakeRiver) InsertTx(_ context.Context, _ pgx.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	f.inserted = append(f.inserted, args)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: int64(len(f.inserted))}}, nil
}

func (f *fakeRiver) InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	var out []*rivertype.JobInsertResult
	for _, p := range params {
		r, _ := f.InsertTx(ctx, tx, p.Args, p.InsertOpts)
		out = append(out, r)
	}
	return out, nil
}

type testArgs struct{ FileID int64 }

func (testArgs) Kind() string { return "test" }

func newStore(t *testing.T) (*Store, int64, int64) {
	pool := dbtest.New(t)
	s, err := Open(context.Background(), pool, t.TempDir())
	require.NoError(t, err)
	var owner, other int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('a@t.postdesk', 'A', 'x') RETURNING id`).Scan(&owner))
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('b@t.postdesk', 'B', 'x') RETURNING id`).Scan(&other))
	return s, owner, other
}

// A job's file goes queued → running with progress → done with its bytes; only its owner gets
// it, the end is announced once, and it is swept after its expiry.
func TestGeneratedFileLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, owner, other := newStore(t)
	rv := &fakeRiver{}
	id, err := s.Enqueue(ctx, rv, Job{Owner: owner, Kind: "test_export", Name: "Звіт.xlsx"}, func(id int64) river.JobArgs { return testArgs{id} })
	require.NoError(t, err)
	require.Equal(t, testArgs{id}, rv.inserted[0], "the job carries its file's id")
	f, err := s.GetOwned(ctx, id, owner)
	require.NoError(t, err)
	require.Equal(t, Queued, f.State)
	require.Equal(t, int64(1), f.JobID)
	require.WithinDuration(t, time.Now().Add(DefaultTTL), f.ExpiresAt, time.Minute)

	require.NoError(t, s.Progress(ctx, id, 40, "files.working"))
	require.NoError(t, s.Progress(ctx, id, 30, "files.working"), "progress never goes back")
	f, _ = s.Get(ctx, id)
	require.Equal(t, Running, f.State)
	require.Equal(t, 40, f.Percent)

	notes, err := s.Notices(ctx, owner)
	require.NoError(t, err)
	require.Empty(t, notes, "nothing to announce while it runs")

	require.NoError(t, s.Complete(ctx, id, "Звіт.xlsx", "application/test", func(w io.Writer) error {
		_, err := w.Write([]byte("hello"))
		return err
	}, map[string]int{"rows": 1}))
	f, _ = s.Get(ctx, id)
	require.True(t, f.Ready())
	require.Equal(t, int64(5), f.Size)
	require.JSONEq(t, `{"rows": 1}`, string(f.Result))
	r, err := s.Read(ctx, f, false)
	require.NoError(t, err)
	b, _ := io.ReadAll(r)
	r.Close()
	require.Equal(t, "hello", string(b))

	_, err = s.GetOwned(ctx, id, other)
	require.Error(t, err, "someone else's file does not exist for them")

	notes, err = s.Notices(ctx, owner)
	require.NoError(t, err)
	require.Len(t, notes, 1)
	notes, err = s.Notices(ctx, owner)
	require.NoError(t, err)
	require.Empty(t, notes, "announced once")
	first, err := s.MarkNotified(ctx, id)
	require.NoError(t, err)
	require.False(t, first)

	_, err = s.Pool.Exec(ctx, `UPDATE files SET expires_at = now() - interval '1 minute' WHERE id = $1`, id)
	require.NoError(t, err)
	_, err = s.GetOwned(ctx, id, owner)
	require.Error(t, err, "an expired file is gone for its owner")
	n, err := s.PurgeExpired(ctx, time.Now())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	exists, err := s.Bucket.Exists(ctx, f.BlobKey)
	require.NoError(t, err)
	require.False(t, exists, "the bytes are removed too")
}

func TestAttachPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, owner, _ := newStore(t)
	up := func(name string, data []byte) (File, error) {
		return s.Attach(ctx, Upload{Owner: owner, RecordType: "complaint", RecordID: "42", Name: name, Size: int64(len(data)),
			Body: bytes.NewReader(data)}, Policy{MaxBytes: 1 << 10, MaxFiles: 2, Types: []string{"text/plain", "application/pdf"}})
	}
	f, err := up("note.txt", []byte("Скарга: кур'єр запізнився"))
	require.NoError(t, err)
	require.Equal(t, "text/plain", f.ContentType)
	require.Equal(t, KindAttachment, f.Kind)
	_, err = up("big.txt", bytes.Repeat([]byte("x"), 2<<10))
	require.ErrorContains(t, err, "files.too_large")
	_, err = up("page.txt", []byte("<!DOCTYPE html><html><body>x</body></html>"))
	require.ErrorContains(t, err, "files.type_refused")
	_, err = up("second.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	require.NoError(t, err)
	_, err = up("third.txt", []byte("one too many"))
	require.ErrorContains(t, err, "files.too_many")
	list, err := s.Attachments(ctx, "complaint", "42")
	require.NoError(t, err)
	require.Len(t, list, 2)
	_, err = s.Attachment(ctx, "complaint", "43", list[0].ID)
	require.Error(t, err, "an attachment is reached only through its record")
}
