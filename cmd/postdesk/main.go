// Command postdesk is the one binary: serve (web + workers, the default), web, worker, migrate,
// seed, and pg (the project's own PostgreSQL for development and tests).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/config"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/admin/pglocal"
	"github.com/postdesk/postdesk/admin/seed"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
)

const usage = `postdesk — the staff portal of a courier-delivery platform

Usage: postdesk [command] [flags]

Commands:
  serve     web server and River workers in one process (default)
  web       web server only (enqueues jobs, runs none)
  worker    River workers only
  migrate   apply database migrations and exit
  seed      load demo data (idempotent) and exit
  pg        the project's own PostgreSQL: pg start | pg stop | pg url | pg exec -- CMD...

Run 'postdesk COMMAND -h' for a command's flags.
`

func main() {
	log := slog.New(actor.LogHandler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})})
	slog.SetDefault(log)
	cmd, args := "serve", os.Args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd {
	case "serve", "web", "worker", "migrate", "seed":
		err = run(ctx, log, cmd, args)
	case "pg":
		err = pgCommand(ctx, log, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		log.Error(cmd+" failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	cfg := config.Flags(fs)
	seedFlags := seed.Flags(fs, cmd == "seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return err
	}
	seedFlags.DataDir = cfg.DataDir
	seedFlags.TZ = cfg.TZ
	seedFlags.BlobURL = cfg.BlobURL
	seedFlags.Holds = true // the demo's open orders hold real money

	// No DATABASE_URL: run the project's own PostgreSQL under the data folder, and stop it on exit
	// if this process started it. Its superuser owns the schema and migrates; the portal serves as
	// pglocal.AppRole, which cannot switch the ledger's triggers off or write the ledger tables.
	var local *pglocal.Server
	if cfg.DatabaseURL == "" {
		local = pglocal.New(cfg.DataDir, log)
		if err := local.Start(ctx, "postdesk", pglocal.StartOptions{}); err != nil {
			return err
		}
		cfg.DatabaseURL = local.AppURL("postdesk")
		cfg.MigrateURL = local.URL("postdesk")
		if local.Started() {
			defer func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := local.Stop(stopCtx); err != nil {
					log.Error("stop postgres", "err", err)
				}
			}()
		}
	}
	if cfg.MigrateURL == "" {
		cfg.MigrateURL = cfg.DatabaseURL
	}

	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	owner := pool
	if cfg.MigrateURL != cfg.DatabaseURL {
		if owner, err = db.Open(ctx, cfg.MigrateURL); err != nil {
			return fmt.Errorf("POSTDESK_MIGRATE_URL: %w", err)
		}
		defer owner.Close()
	}
	if err := db.Migrate(ctx, owner); err != nil {
		return err
	}
	if owner != pool {
		var app string
		if err := pool.QueryRow(ctx, "SELECT current_user").Scan(&app); err != nil {
			return err
		}
		if err := db.GrantApp(ctx, owner, app); err != nil {
			return err
		}
	}
	switch cmd {
	case "migrate":
		log.Info("migrations applied")
		return nil
	case "seed":
		return seed.Run(ctx, owner, log, *seedFlags)
	}
	if local != nil {
		// The default set-up is a demo: load demo data on first start.
		if err := seed.Run(ctx, owner, log, *seedFlags); err != nil {
			return err
		}
	}
	if owner != pool {
		owner.Close()
	}
	return serve(ctx, log, cfg, pool, cmd, local != nil)
}

// serve is the composition root: it builds every long-lived dependency once — the clock, the file
// store, the mail and SMS delivery, the payment gateway, River, the permission enforcer and the
// metrics — and hands them to the workers (jobs.New) and the web side (admin.New) as fields.
func serve(ctx context.Context, log *slog.Logger, cfg *config.Config, pool *pgxpool.Pool, cmd string, demo bool) error {
	working := cmd != "web"
	now := clock.System
	store, err := files.OpenURL(ctx, pool, cfg.BlobURL, cfg.DataDir)
	if err != nil {
		return err
	}
	store.Now = now
	var delivery *notify.Delivery
	if working {
		d, stopDelivery, err := notify.Setup(pool, log, notify.Settings{SMTPURL: cfg.SMTPURL, MailFrom: cfg.MailFrom,
			MailName: cfg.MailName, MailCatcher: cfg.MailCatcher, SMSURL: cfg.SMSURL, SMSToken: cfg.SMSToken,
			SMSSender: cfg.SMSSender, BulkRate: cfg.NotifyBulkRate, Loc: cfg.TZ})
		if err != nil {
			return err
		}
		defer stopDelivery()
		d.Now = now
		d.Attachments = map[string]notify.AttachmentLoader{complaints.LetterSource: complaints.LetterFile}
		delivery = d
	}
	gw, stopGateway, err := startGateway(cfg, pool, log)
	if err != nil {
		return err
	}
	defer stopGateway()
	river, err := jobs.New(pool, jobs.Options{Work: working, Workers: cfg.Workers, Log: log, Files: store, DataDir: cfg.DataDir,
		Clock: now, TZ: cfg.TZ, Currency: cfg.Currency, Delivery: delivery, Gateway: gw, Mailbox: complaints.ParseMailbox(cfg.ComplaintsIMAP),
		PayoutTimeout: cfg.PayoutTimeout, RescueAfter: cfg.JobRescueAfter})
	if err != nil {
		return err
	}
	if working {
		if err := river.Start(ctx); err != nil {
			return err
		}
		defer jobs.Stop(river, 20*time.Second, log)
	}
	if cmd == "worker" {
		log.Info("worker running; Ctrl-C to stop")
		<-ctx.Done()
		return nil
	}

	enforcer, err := rbac.NewEnforcer(ctx, pool)
	if err != nil {
		return err
	}
	go enforcer.Watch(ctx, log)
	srv, err := admin.New(ctx, admin.Deps{Pool: pool, River: river, Enforcer: enforcer, Config: cfg, Log: log,
		Clock: now, Metrics: admin.NewMetrics(), Files: store})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.App.Listen(cfg.Addr) }()

	fmt.Printf("\nPostdesk is ready at http://%s\n", cfg.Addr)
	if demo {
		fmt.Print(seed.LoginsText())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining HTTP")
	return srv.App.ShutdownWithTimeout(15 * time.Second)
}

// pgCommand runs the project's own PostgreSQL by hand or around another command:
// 'postdesk pg --fast exec -- go test ./...' starts it (fast settings) if needed, runs the command with
// DATABASE_URL set, and stops it again if it started it.
func pgCommand(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("pg", flag.ExitOnError)
	dataDir := fs.String("data-dir", config.DataDirDefault(), "data folder")
	fast := fs.Bool("fast", false, "fsync off: for throwaway test data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("pg: want start, stop, url or exec -- CMD")
	}
	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}
	srv := pglocal.New(dir, log)
	switch fs.Arg(0) {
	case "start":
		return srv.Start(ctx, "postdesk", pglocal.StartOptions{Fast: *fast})
	case "stop":
		return srv.Stop(ctx)
	case "url":
		if err := srv.Start(ctx, "postdesk", pglocal.StartOptions{}); err != nil {
			return err
		}
		fmt.Println(srv.URL("postdesk"))
		return nil
	case "exec":
		rest := fs.Args()[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return errors.New("pg exec: no command")
		}
		if err := srv.Start(ctx, "postdesk", pglocal.StartOptions{Fast: *fast}); err != nil {
			return err
		}
		if srv.Started() {
			defer srv.Stop(context.Background()) //nolint:errcheck
		}
		c := exec.Command(rest[0], rest[1:]...)
		c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
		c.Env = append(os.Environ(), "DATABASE_URL="+srv.URL("postdesk"))
		if err := c.Run(); err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				if srv.Started() {
					_ = srv.Stop(context.Background())
				}
				os.Exit(exit.ExitCode())
			}
			return err
		}
		return nil
	default:
		return fmt.Errorf("pg: unknown subcommand %q", fs.Arg(0))
	}
}
