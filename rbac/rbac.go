// Package rbac decides who may do what: a Casbin model whose policy lives in PostgreSQL (so
// administrators change it without a deploy), and the field-visibility rules every surface asks.
package rbac

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed model.conf
var modelText string

// Roles are the fixed roles an employee group maps to.
var Roles = []string{"admin", "support_agent", "support_lead", "finance", "editor"}

// Perm is a permission "object:action", e.g. "accounts:read".
type Perm string

// Public marks a route that needs no log-in (the log-in page, health checks, static files).
const Public Perm = "public"

// Authenticated marks a route any logged-in staff member may use (own profile, log-out).
const Authenticated Perm = "authenticated"

func (p Perm) split() (obj, act string) {
	obj, act, _ = strings.Cut(string(p), ":")
	return obj, act
}

// Enforcer answers permission questions from the policy in PostgreSQL and reloads it whenever
// any process changes it (the casbin_rule trigger sends NOTIFY postdesk_policy).
type Enforcer struct {
	e    *casbin.SyncedEnforcer
	pool *pgxpool.Pool
}

// NewEnforcer loads the policy from the database.
func NewEnforcer(ctx context.Context, pool *pgxpool.Pool) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewSyncedEnforcer(m, &adapter{pool: pool})
	if err != nil {
		return nil, fmt.Errorf("casbin: %w", err)
	}
	return &Enforcer{e: e, pool: pool}, nil
}

// Can tells whether any of the roles holds perm.
func (e *Enforcer) Can(roles []string, perm Perm) bool {
	switch perm {
	case Public:
		return true
	case Authenticated:
		return len(roles) > 0
	}
	obj, act := perm.split()
	for _, r := range roles {
		if ok, err := e.e.Enforce(r, obj, act); err == nil && ok {
			return true
		}
	}
	return false
}

// Reload rereads the policy now.
func (e *Enforcer) Reload() error { return e.e.LoadPolicy() }

// Watch reloads the policy on every change notice until ctx ends. A dropped connection is
// retried; after reconnecting the policy is reloaded in case a notice was missed.
func (e *Enforcer) Watch(ctx context.Context, log *slog.Logger) {
	for ctx.Err() == nil {
		if err := e.listen(ctx); err != nil && ctx.Err() == nil {
			log.Warn("rbac: policy listener", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
}

func (e *Enforcer) listen(ctx context.Context) error {
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN postdesk_policy"); err != nil {
		return err
	}
	if err := e.Reload(); err != nil {
		return err
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		if err := e.Reload(); err != nil {
			return err
		}
	}
}
