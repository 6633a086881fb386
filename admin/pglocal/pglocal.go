// Package pglocal runs a PostgreSQL server of the project's own, inside its
// data folder, for development and tests when no DATABASE_URL is given.
//
// The cluster lives in <dataDir>/pg:
//
//	pg/data               the cluster (PGDATA)
//	pg/run                the unix socket (never /var/run/postgresql)
//	pg/log/postgres.log   the server log
//	pg/password           the superuser's password (0600)
//	pg/app-password       the app role's password (0600)
//	pg/port               the TCP port on 127.0.0.1
//
// and <dataDir>/pg.lock serialises processes that start it at the same time.
package pglocal

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/postdesk/postdesk/admin/db"
)

// Superuser is the role initdb creates; URL connects as it. It owns the schema and runs the
// migrations.
const Superuser = "postdesk"

// AppRole is the role the portal's web and worker processes connect as (AppURL): not a superuser
// and not the owner of the schema, so it cannot switch the ledger's triggers off or write the
// ledger tables (db.GrantApp gives it the rest, after the migrations).
const AppRole = "postdesk_app"

// StartOptions tune a server that Start launches; they do not affect a
// server that is already running.
type StartOptions struct {
	// Fast turns off crash safety (fsync, synchronous commit, full-page
	// writes): fine for throw-away test data, and much faster.
	Fast bool
}

// Server is the project's PostgreSQL cluster in dataDir/pg. URL is valid
// after a successful Start.
type Server struct {
	dataDir string
	root    string // dataDir/pg
	log     *slog.Logger

	initdb, pgctl string
	// cred is set when we run as root: PostgreSQL refuses to, so its
	// programs run as the unprivileged postgres user.
	cred *syscall.Credential

	port        int
	password    string
	appPassword string
	started     bool
}

// New returns a server whose cluster lives in dataDir/pg (dataDir is the
// project's data folder, e.g. ./var). Nothing happens until Start.
func New(dataDir string, log *slog.Logger) *Server {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	if log == nil {
		log = slog.Default()
	}
	return &Server{dataDir: dataDir, root: filepath.Join(dataDir, "pg"), log: log}
}

func (s *Server) file(elem ...string) string {
	return filepath.Join(append([]string{s.root}, elem...)...)
}

// Start makes sure the cluster exists (initdb on first use) and is running,
// and that database dbname exists. It reuses a server already running from
// this folder (another process started it): then Started() is false.
func (s *Server) Start(ctx context.Context, dbname string, opts StartOptions) error {
	s.started = false
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.setup(ctx, true); err != nil {
		return err
	}

	for _, dir := range []string{s.root, s.file("run"), s.file("log")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	if s.cred != nil {
		// The folder may have been made by root or another user before.
		err := s.allowTraverse()
		if err == nil {
			err = chownTree(s.root, int(s.cred.Uid), int(s.cred.Gid))
		}
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}

	running, err := s.Running(ctx)
	if err != nil {
		return err
	}
	if running {
		if s.port, err = s.savedPort(); err != nil {
			return fmt.Errorf("postgres: server running in %s but its port is unknown: %w", s.root, err)
		}
		s.log.Info("postgres: reusing running server", "dir", s.root, "port", s.port)
	} else {
		if err := s.initCluster(ctx, opts); err != nil {
			return err
		}
		if err := s.launch(ctx, opts); err != nil {
			return err
		}
		s.started = true
	}

	pw, err := os.ReadFile(s.file("password"))
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	s.password = strings.TrimSpace(string(pw))

	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := s.ensureAppRole(ctx, conn); err != nil {
		return err
	}
	return s.createDatabase(ctx, conn, dbname)
}

// ensureAppRole creates AppRole with a generated password kept in pg/app-password (made once).
func (s *Server) ensureAppRole(ctx context.Context, conn *pgx.Conn) error {
	pw, err := os.ReadFile(s.file("app-password"))
	if errors.Is(err, fs.ErrNotExist) {
		b := make([]byte, 16)
		rand.Read(b) // never fails (crypto/rand)
		pw = []byte(hex.EncodeToString(b))
		err = writeFile(s.file("app-password"), string(pw)+"\n", 0o600)
	}
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	s.appPassword = strings.TrimSpace(string(pw))
	if err := db.EnsureRole(ctx, conn, AppRole, s.appPassword); err != nil {
		return fmt.Errorf("postgres: app role: %w", err)
	}
	return nil
}

// Started reports whether the last Start call launched the server process
// (rather than reusing one that was running).
func (s *Server) Started() bool { return s.started }

// URL returns the address of database dbname, as the superuser over TCP.
func (s *Server) URL(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// AppURL returns the address of database dbname as AppRole, the role the portal serves with.
func (s *Server) AppURL(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(AppRole, s.appPassword),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Stop stops the server (fast shutdown: open sessions are ended). It is not
// an error if it is not running.
func (s *Server) Stop(ctx context.Context) error {
	if _, err := os.Stat(s.file("data")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := s.setup(ctx, false); err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	running, err := s.Running(ctx)
	if err != nil || !running {
		return err
	}
	out, err := s.run(ctx, s.pgctl, "stop", "-D", s.file("data"), "-m", "fast", "-w")
	if err != nil {
		return fmt.Errorf("postgres: pg_ctl stop: %w\n%s", err, tail(out, 10))
	}
	s.log.Info("postgres: stopped", "dir", s.root)
	return nil
}

// Running reports whether `pg_ctl status` sees a server running on the cluster.
func (s *Server) Running(ctx context.Context) (bool, error) {
	if _, err := os.Stat(s.file("data")); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := s.setup(ctx, false); err != nil {
		return false, err
	}
	out, err := s.run(ctx, s.pgctl, "status", "-D", s.file("data"))
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 4):
		// 3: not running (a stale postmaster.pid included); 4: no cluster.
		return false, nil
	}
	return false, fmt.Errorf("postgres: pg_ctl status: %w\n%s", err, tail(out, 10))
}

// setup finds the PostgreSQL programs (installing them if allowed and we
// are root) and, as root, the user to run them as.
func (s *Server) setup(ctx context.Context, install bool) error {
	if s.pgctl != "" {
		return nil
	}
	root := os.Geteuid() == 0
	initdb, pgctl, ok := findBinaries(ctx)
	if !ok && install && root {
		s.log.Info("postgres: not found, installing", "cmd", "apt-get update && apt-get install -y postgresql")
		if err := aptInstall(ctx); err != nil {
			return err
		}
		initdb, pgctl, ok = findBinaries(ctx)
	}
	if !ok {
		return errors.New("postgres: initdb and pg_ctl not found (looked on PATH, in /usr/lib/postgresql/*/bin and pg_config --bindir); " +
			"install PostgreSQL with: sudo apt-get install -y postgresql (or set DATABASE_URL)")
	}
	if root {
		cred, err := s.postgresUser(ctx)
		if err != nil {
			return err
		}
		s.cred = cred
	}
	s.initdb, s.pgctl = initdb, pgctl
	return nil
}

// findBinaries looks for initdb and pg_ctl on PATH, then in the newest
// /usr/lib/postgresql/*/bin (Debian keeps them off PATH), then in pg_config's bindir.
func findBinaries(ctx context.Context) (initdb, pgctl string, ok bool) {
	if i, err := exec.LookPath("initdb"); err == nil {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			return i, p, true
		}
	}
	inDir := func(dir string) (string, string, bool) {
		i, p := filepath.Join(dir, "initdb"), filepath.Join(dir, "pg_ctl")
		return i, p, isExecutable(i) && isExecutable(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	for _, dir := range dirs {
		if i, p, ok := inDir(dir); ok {
			return i, p, true
		}
	}
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		return inDir(strings.TrimSpace(string(out)))
	}
	return "", "", false
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func aptInstall(ctx context.Context) error {
	for _, args := range [][]string{{"update"}, {"install", "-y", "postgresql"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("postgres: apt-get %s: %w\n%s", args[0], err, tail(out, 10))
		}
	}
	return nil
}

// postgresUser returns the credentials of the postgres user, creating it
// if the system has none.
func (s *Server) postgresUser(ctx context.Context) (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if errors.As(err, new(user.UnknownUserError)) {
		s.log.Info("postgres: creating system user postgres")
		// cerr, not err: the lookup below must replace the outer "unknown user" error.
		out, cerr := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home", "postgres").CombinedOutput()
		if cerr != nil {
			return nil, fmt.Errorf("postgres: useradd: %w\n%s", cerr, tail(out, 5))
		}
		u, err = user.Lookup("postgres")
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres: uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres: gid %q: %w", u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// lock takes the exclusive lock on dataDir/pg.lock; unlock releases it.
func (s *Server) lock() (unlock func(), err error) {
	if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dataDir, "pg.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("postgres: lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}

// allowTraverse adds o+x to dataDir and every folder above it, so that the
// postgres user can reach dataDir/pg (t.TempDir, for one, makes 0700 folders).
func (s *Server) allowTraverse() error {
	dir, err := filepath.EvalSymlinks(s.dataDir)
	if err != nil {
		return err
	}
	for ; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if fi.Mode()&0o001 == 0 {
			s.log.Info("postgres: letting the postgres user through", "dir", dir)
			mode := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
			if err := os.Chmod(dir, mode|0o001); err != nil {
				return err
			}
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

func chownTree(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err == nil {
			// G122: root is the project's own data folder, created by this process; Lchown never
			// follows a symlink.
			err = os.Lchown(path, uid, gid) //nolint:gosec // see above
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	})
}

// initCluster runs initdb unless the cluster exists.
func (s *Server) initCluster(ctx context.Context, opts StartOptions) error {
	if _, err := os.Stat(s.file("data", "PG_VERSION")); err == nil {
		return nil
	}
	s.log.Info("postgres: initdb", "dir", s.root)

	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	password := hex.EncodeToString(b)
	if err := writeFile(s.file("password"), password+"\n", 0o600); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	// initdb reads the password from a file the postgres user can read.
	pwfile, err := os.CreateTemp(s.root, "pwfile-")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer os.Remove(pwfile.Name())
	_, err = io.WriteString(pwfile, password+"\n")
	if cerr := pwfile.Close(); err == nil {
		err = cerr
	}
	if err == nil && s.cred != nil {
		err = os.Chown(pwfile.Name(), int(s.cred.Uid), int(s.cred.Gid))
	}
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}

	args := []string{"-D", s.file("data"), "-U", Superuser, "--pwfile=" + pwfile.Name(),
		"--auth=scram-sha-256", "-E", "UTF8"}
	if opts.Fast {
		args = append(args, "--no-sync")
	}
	out, err := s.run(ctx, s.initdb, append(args, "--locale=C.UTF-8")...)
	if err != nil {
		// Systems without the C.UTF-8 locale: plain C sorts the same way.
		s.log.Warn("postgres: initdb with locale C.UTF-8 failed, trying C", "err", err)
		os.RemoveAll(s.file("data"))
		out, err = s.run(ctx, s.initdb, append(args, "--locale=C")...)
	}
	if err != nil {
		return fmt.Errorf("postgres: initdb: %w\n%s", err, tail(out, 15))
	}
	return nil
}

// launch starts the server on a free port with pg_ctl and waits until it
// accepts connections.
func (s *Server) launch(ctx context.Context, opts StartOptions) error {
	port, err := s.freePort()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if err := writeFile(s.file("port"), strconv.Itoa(port)+"\n", 0o644); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	// pg_ctl hands -o to /bin/sh, hence the quoting.
	o := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, shellQuote(s.file("run")))
	if opts.Fast {
		o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	logFile := s.file("log", "postgres.log")
	out, err := s.run(ctx, s.pgctl, "start", "-D", s.file("data"), "-l", logFile, "-w", "-t", "60", "-o", o)
	if err != nil {
		return fmt.Errorf("postgres: pg_ctl start: %w\n%s\nlast lines of %s:\n%s",
			err, tail(out, 5), logFile, tailFile(logFile, 15))
	}
	s.port = port
	s.log.Info("postgres: started", "dir", s.root, "port", port, "fast", opts.Fast)
	return nil
}

// freePort asks the kernel for a free port on 127.0.0.1, preferring the
// one used last time so the URL stays the same across restarts.
func (s *Server) freePort() (int, error) {
	var l net.Listener
	var err error
	if port, perr := s.savedPort(); perr == nil {
		l, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	if l == nil {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) savedPort() (int, error) {
	b, err := os.ReadFile(s.file("port"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// connect waits until the server accepts a connection to database postgres.
func (s *Server) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			logFile := s.file("log", "postgres.log")
			return nil, fmt.Errorf("postgres: cannot connect on port %d: %w\nlast lines of %s:\n%s",
				s.port, err, logFile, tailFile(logFile, 15))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) createDatabase(ctx context.Context, conn *pgx.Conn, dbname string) error {
	var exists bool
	err := conn.QueryRow(ctx, "select exists (select from pg_database where datname = $1)", dbname).Scan(&exists)
	if err != nil || exists {
		return err
	}
	_, err = conn.Exec(ctx, "create database "+pgx.Identifier{dbname}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: a concurrent Start made it
		return nil
	}
	if err != nil {
		return fmt.Errorf("postgres: create database %s: %w", dbname, err)
	}
	s.log.Info("postgres: created database", "db", dbname)
	return nil
}

// run runs a PostgreSQL program, as the postgres user when we are root.
func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = "/" // our working folder may be closed to the postgres user
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

func writeFile(path, content string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode) // WriteFile keeps the mode of an existing file
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// tailFile returns the last n lines of a file that may be large.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	buf := make([]byte, 8<<10)
	var off int64
	if fi, err := f.Stat(); err == nil {
		off = max(0, fi.Size()-int64(len(buf)))
	}
	k, _ := f.ReadAt(buf, off)
	return tail(buf[:k], n)
}
