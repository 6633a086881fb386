package audit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db/dbtest"
)

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := actor.With(context.Background(), &actor.Actor{ID: 7, Email: "a@b.c", IP: "127.0.0.1", RequestID: "req-1"})
	require.NoError(t, audit.Record(ctx, pool, "test.thing", "thing", 42, map[string]int{"n": 1}, map[string]int{"n": 2}))

	list, err := audit.List(ctx, pool, audit.Filter{Action: "test."})
	require.NoError(t, err)
	require.Len(t, list, 1)
	e := list[0]
	require.Equal(t, "a@b.c", e.ActorEmail)
	require.Equal(t, "42", e.RecordID)
	require.JSONEq(t, `{"n":1}`, string(e.Before))
	require.JSONEq(t, `{"n":2}`, string(e.After))
	require.Equal(t, "req-1", e.RequestID)

	_, err = pool.Exec(ctx, `UPDATE audit_log SET action = 'forged'`)
	require.ErrorContains(t, err, "append-only")
	_, err = pool.Exec(ctx, `DELETE FROM audit_log`)
	require.ErrorContains(t, err, "append-only")
	_, err = pool.Exec(ctx, `TRUNCATE audit_log`)
	require.ErrorContains(t, err, "append-only")

	list, err = audit.List(ctx, pool, audit.Filter{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "test.thing", list[0].Action)
}
