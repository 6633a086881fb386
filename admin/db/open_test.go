package db_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/db/dbtest"
)

// A pool has room for River's notifier and long jobs beside the pages: pgxpool's default on a
// 2-core machine was 4 connections, and under the mixed workload pages waited seconds for one
// while an export ran. pool_max_conns in the URL still decides when given.
func TestPoolSize(t *testing.T) {
	_, url := dbtest.NewWithURL(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	require.EqualValues(t, db.DefaultMaxConns, pool.Config().MaxConns)
	require.GreaterOrEqual(t, db.DefaultMaxConns, 16)

	own, err := db.Open(ctx, url+"&pool_max_conns=7")
	require.NoError(t, err)
	defer own.Close()
	require.EqualValues(t, 7, own.Config().MaxConns)
}
