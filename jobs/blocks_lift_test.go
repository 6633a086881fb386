package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/jobs"
)

// The blocks_lift job, run by River workers, lifts a timed block once its end has come.
func TestBlocksLiftJobLiftsTimedBlock(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, err := jobs.New(pool, jobs.Options{Work: true, Workers: 2})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { jobs.Stop(client, 5*time.Second, nil) })

	var id int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone) VALUES ('courier', 'C', '+380500000001') RETURNING id`).Scan(&id))
	until := time.Now().Add(time.Second)
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := accounts.BlockTx(ctx, tx, accounts.BlockRequest{Now: time.Now(), AccountID: id, Functions: []accounts.Function{accounts.FnPayouts}, Reason: "law", EndsAt: &until})
		return err
	}))
	require.Error(t, accounts.CheckFunction(ctx, pool, id, accounts.FnPayouts))
	time.Sleep(time.Until(until))
	_, err = client.Insert(ctx, jobs.BlocksLiftArgs{}, nil)
	require.NoError(t, err)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var lifted bool
		require.NoError(t, pool.QueryRow(ctx, `SELECT lifted_at IS NOT NULL FROM account_blocks WHERE account_id = $1`, id).Scan(&lifted))
		if lifted {
			break
		}
		require.True(t, time.Now().Before(deadline), "lifted by the job")
		time.Sleep(50 * time.Millisecond)
	}
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'accounts.unblock_expired'`).Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, accounts.CheckFunction(ctx, pool, id, accounts.FnPayouts))
}
