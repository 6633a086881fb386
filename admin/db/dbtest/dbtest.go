// Package dbtest gives each test a fresh PostgreSQL database, cloned from a migrated template.
//
// The server is DATABASE_URL when set (make test sets it), otherwise the project's own local
// server under var/ (started on first use). The template is named after a hash of the
// migrations, so a schema change builds a new one; cloning it takes a few milliseconds.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/pglocal"
	"github.com/postdesk/postdesk/migrations"
)

var (
	once     sync.Once
	adminURL string
	template string
	setupErr error
)

// New returns a pool on a brand-new migrated database that is dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewWithURL(t)
	return pool
}

// NewWithURL is New that also returns the database's URL, for code that opens its own pool.
func NewWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	ctx := context.Background()
	name := "t_" + randomHex(8)
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err != nil {
		t.Fatalf("clone template: %v", err)
	}
	dbURL := withDatabase(adminURL, name)
	pool, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		conn, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return pool, dbURL
}

// AppRole is the role NewApp's app pool connects as: not a superuser, not the owner of the schema,
// with the grants db.GrantApp gives (as the portal's web and worker processes have in production).
// It is a test-only role of the test server, with a fixed password.
const AppRole = "postdesk_test_app"

// NewApp is New that also returns a pool on the same database connected as AppRole. The first
// pool (the owner's) is for seeding rows directly; the app pool is what the portal would hold.
func NewApp(t testing.TB) (owner, app *pgxpool.Pool) {
	t.Helper()
	owner, dbURL := NewWithURL(t)
	ctx := context.Background()
	if err := db.GrantApp(ctx, owner, AppRole); err != nil {
		t.Fatalf("grant app role: %v", err)
	}
	app, err := db.Open(ctx, AppURL(dbURL))
	if err != nil {
		t.Fatalf("open as the app role: %v", err)
	}
	t.Cleanup(app.Close)
	return owner, app
}

// AppURL is dbURL (from NewWithURL) with AppRole's user and password.
func AppURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.User = url.UserPassword(AppRole, AppRole)
	return u.String()
}

func setup() error {
	ctx := context.Background()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		srv := pglocal.New(filepath.Join(root, "var"), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err := srv.Start(ctx, "postdesk", pglocal.StartOptions{Fast: true}); err != nil {
			return err
		}
		base = srv.URL("postdesk")
	}
	adminURL = withDatabase(base, "postgres")

	hash, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "tpl_" + hash[:16]

	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect %s: %w", redact(adminURL), err)
	}
	defer conn.Close(ctx)
	// Several test binaries start at once; one builds the template while the others wait.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7741001)"); err != nil {
		return err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7741001)") //nolint:errcheck
	if err := db.EnsureRole(ctx, conn, AppRole, AppRole); err != nil {
		return err
	}

	var ready bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", template).Scan(&ready)
	if err != nil || ready {
		return err
	}
	_, _ = conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", template))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		return err
	}
	pool, err := db.Open(ctx, withDatabase(adminURL, template))
	if err != nil {
		return err
	}
	err = db.Migrate(ctx, pool)
	if err == nil {
		err = db.GrantApp(ctx, pool, AppRole)
	}
	pool.Close()
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH is_template true", template))
	return err
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	// River's schema version is part of the template too.
	h.Write([]byte(riverVersion()))
	return hex.EncodeToString(h.Sum(nil)), err
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory; set DATABASE_URL")
		}
		dir = parent
	}
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "DATABASE_URL"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func riverVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/riverqueue/river" {
				return m.Version
			}
		}
	}
	return ""
}
