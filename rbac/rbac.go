// Package rbac decides who may do what: a Casbin model whose policy lives in PostgreSQL (so
// administrators change it without a deploy), and the field-visibility rules every surface asks.
package rbac

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strings"
	"sync"
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
//
// Answers are remembered per role and permission until the next reload: every page asks a score
// of them for its navigation, and Casbin evaluates its matcher against the policy's lines on each
// (30 % of the portal's CPU under the mixed workload).
type Enforcer struct {
	e    *casbin.SyncedEnforcer
	pool *pgxpool.Pool

	mu      sync.RWMutex
	gen     uint64          // policy generation: a reload starts a new one
	answers map[string]bool // role + "\x00" + perm → allowed, under generation gen
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
	return &Enforcer{e: e, pool: pool, answers: map[string]bool{}}, nil
}

// Can tells whether any of the roles holds perm.
func (e *Enforcer) Can(roles []string, perm Perm) bool {
	switch perm {
	case Public:
		return true
	case Authenticated:
		return len(roles) > 0
	}
	for _, r := range roles {
		if e.allows(r, perm) {
			return true
		}
	}
	return false
}

// allows asks Casbin once per role and permission and policy generation. An answer computed
// while a reload ran is not kept (its generation has passed); an error is never kept.
func (e *Enforcer) allows(role string, perm Perm) bool {
	key := role + "\x00" + string(perm)
	e.mu.RLock()
	ok, known := e.answers[key]
	gen := e.gen
	e.mu.RUnlock()
	if known {
		return ok
	}
	obj, act := perm.split()
	ok, err := e.e.Enforce(role, obj, act)
	if err != nil {
		return false
	}
	e.mu.Lock()
	if e.gen == gen {
		e.answers[key] = ok
	}
	e.mu.Unlock()
	return ok
}

// Reload rereads the policy now and forgets the answers given under the old one.
func (e *Enforcer) Reload() error {
	err := e.e.LoadPolicy()
	e.mu.Lock()
	e.gen++
	clear(e.answers)
	e.mu.Unlock()
	return err
}

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
