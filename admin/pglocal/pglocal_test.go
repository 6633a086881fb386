package pglocal

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// newServer returns a Server on dir that is stopped when the test ends
// (before t.TempDir removes the folder).
func newServer(t *testing.T, dir string) *Server {
	t.Helper()
	s := New(dir, slog.New(slog.NewTextHandler(t.Output(), nil)))
	t.Cleanup(func() { require.NoError(t, s.Stop(context.Background())) })
	return s
}

// dataDir returns a fresh data folder. As root the server runs as the
// postgres user, which must be able to traverse the path (t.TempDir
// makes 0700 folders); Start sees to that too, this just doesn't rely on it.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
			fi, err := os.Stat(d)
			require.NoError(t, err)
			if fi.Mode()&0o001 == 0 {
				require.NoError(t, os.Chmod(d, fi.Mode().Perm()|0o001))
			}
		}
	}
	return filepath.Join(dir, "var")
}

func query(ctx context.Context, url, sql string) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, sql).Scan(&n)
	return n, err
}

func TestLifecycle(t *testing.T) {
	ctx := t.Context()
	dir := dataDir(t)

	first := newServer(t, dir)
	require.NoError(t, first.Start(ctx, "postdesk_test", StartOptions{Fast: true}))
	require.True(t, first.Started())
	fi, err := os.Stat(filepath.Join(dir, "pg", "password"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.FileExists(t, filepath.Join(dir, "pg", "log", "postgres.log"))
	require.Regexp(t, `^postgres://postdesk:[0-9a-f]{32}@127\.0\.0\.1:\d+/postdesk_test\?sslmode=disable$`, first.URL("postdesk_test"))

	n, err := query(ctx, first.URL("postdesk_test"), "select 1")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// The app role: its own generated password (0600), a login that is not a superuser.
	fi, err = os.Stat(filepath.Join(dir, "pg", "app-password"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.Regexp(t, `^postgres://postdesk_app:[0-9a-f]{32}@127\.0\.0\.1:\d+/postdesk_test\?sslmode=disable$`, first.AppURL("postdesk_test"))
	n, err = query(ctx, first.AppURL("postdesk_test"), "select count(*) from pg_roles where rolname = current_user and not rolsuper and not rolcreaterole")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	conn, err := pgx.Connect(ctx, first.URL("postdesk_test"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "create table kept (n int); insert into kept values (42)")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	// Another process (here: another Server) on the same folder reuses the server.
	second := New(dir, slog.New(slog.NewTextHandler(t.Output(), nil)))
	require.NoError(t, second.Start(ctx, "postdesk_test", StartOptions{}))
	require.False(t, second.Started())
	require.Equal(t, first.URL("postdesk_test"), second.URL("postdesk_test"))
	require.Equal(t, first.AppURL("postdesk_test"), second.AppURL("postdesk_test"))
	n, err = query(ctx, second.URL("postdesk_test"), "select 1")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// Keep the pid file of the live server to fake a crash below.
	pid, err := os.ReadFile(filepath.Join(dir, "pg", "data", "postmaster.pid"))
	require.NoError(t, err)

	require.NoError(t, first.Stop(ctx))
	running, err := first.Running(ctx)
	require.NoError(t, err)
	require.False(t, running)
	_, err = query(ctx, first.URL("postdesk_test"), "select 1")
	require.Error(t, err)
	require.NoError(t, second.Stop(ctx), "stopping a stopped server is fine")

	// A stale postmaster.pid (the server died) does not prevent a start. The
	// old postmaster may linger as a zombie, so the dead pid is a child we reaped.
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	_, rest, _ := strings.Cut(string(pid), "\n")
	stale := strconv.Itoa(dead.Process.Pid) + "\n" + rest
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pg", "data", "postmaster.pid"), []byte(stale), 0o600))

	begin := time.Now()
	require.NoError(t, second.Start(ctx, "postdesk_test", StartOptions{}))
	require.Less(t, time.Since(begin), 2*time.Second, "start of an existing cluster")
	require.True(t, second.Started())
	n, err = query(ctx, second.URL("postdesk_test"), "select n from kept")
	require.NoError(t, err)
	require.Equal(t, 42, n)
}

func TestConcurrentStart(t *testing.T) {
	ctx := t.Context()
	dir := dataDir(t)

	servers := make([]*Server, 4)
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i := range servers {
		servers[i] = newServer(t, dir)
		wg.Go(func() { errs[i] = servers[i].Start(ctx, "shared", StartOptions{Fast: true}) })
	}
	wg.Wait()

	started := 0
	for i, s := range servers {
		require.NoError(t, errs[i])
		if s.Started() {
			started++
		}
		n, err := query(ctx, s.URL("shared"), "select 1")
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	require.Equal(t, 1, started, "exactly one Start launches the server")
}

func TestStopWithoutCluster(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "var"), nil)
	require.NoError(t, s.Stop(t.Context()))
	running, err := s.Running(t.Context())
	require.NoError(t, err)
	require.False(t, running)
}
