package rbac_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/rbac"
)

// The enforcer remembers its answers; a change of the policy must still take effect at the
// reload (the roles page reloads its own process, the notice every other), not at a restart.
func TestPolicyChangeTakesEffectOnReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	e, err := rbac.NewEnforcer(ctx, pool)
	require.NoError(t, err)
	editor := []string{"editor"}
	require.True(t, e.Can(editor, rbac.NewsEdit))
	require.False(t, e.Can(editor, rbac.AuditRead))

	change := func(f func(pgx.Tx) error) {
		require.NoError(t, pgx.BeginFunc(ctx, pool, f))
		require.NoError(t, e.Reload())
	}
	change(func(tx pgx.Tx) error { return rbac.RevokeTx(ctx, tx, "editor", rbac.NewsEdit) })
	require.False(t, e.Can(editor, rbac.NewsEdit), "a revoked permission is refused after the reload")
	change(func(tx pgx.Tx) error { return rbac.GrantTx(ctx, tx, "editor", rbac.AuditRead) })
	require.True(t, e.Can(editor, rbac.AuditRead), "a granted permission is allowed after the reload")

	// Answers asked while reloads run (go test -race) end on the policy as it is.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				e.Can(editor, rbac.AuditRead)
				e.Can(editor, rbac.NewsEdit)
			}
		}()
	}
	change(func(tx pgx.Tx) error { return rbac.RevokeTx(ctx, tx, "editor", rbac.AuditRead) })
	wg.Wait()
	require.False(t, e.Can(editor, rbac.AuditRead))
	require.False(t, e.Can(editor, rbac.NewsEdit))
}
