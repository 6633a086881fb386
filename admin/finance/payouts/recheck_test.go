package payouts_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/gateway/sandbox"
)

// jobState returns the state and scheduled time of the payout's one job.
func (f *fixture) jobState(payoutID int64) (string, time.Time) {
	var state string
	var at time.Time
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `SELECT state::text, scheduled_at FROM river_job
		WHERE kind = 'payouts_execute' AND (args->>'payout_id')::bigint = $1`, payoutID).Scan(&state, &at))
	return state, at
}

// Defect 6: a kill -9 leaves the job "running" and the payout "sending"; "check again" said the
// gateway would be asked but queued nothing (the unique job options skipped the insert). Now a job
// left running longer than its timeout is handed back at once and the payout is settled, a job
// waiting for its retry is moved to run now, and a job really running is left alone — and staff
// are told which.
func TestCheckAgainReallyQueuesTheCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, err := payouts.Place(f.maker, f.pool, f.jobs, payouts.Request{AccountID: f.account, Amount: 12_000})
	require.NoError(t, err)

	// What a killed worker leaves: the payout sending, its job running since long ago.
	_, err = f.pool.Exec(ctx, `UPDATE payouts SET state = 'sending', attempts = 1, sent_at = now() - interval '10 minutes' WHERE id = $1`, p.ID)
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '10 minutes',
		attempted_by = '{dead-host}' WHERE kind = 'payouts_execute'`)
	require.NoError(t, err)

	// A job that started a moment ago is alive: nothing to add.
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET attempted_at = now() WHERE kind = 'payouts_execute'`)
	require.NoError(t, err)
	done, err := payouts.Recheck(f.checker, f.pool, f.jobs, p.ID, time.Minute)
	require.NoError(t, err)
	require.Equal(t, payouts.RecheckRunning, done)
	state, _ := f.jobState(p.ID)
	require.Equal(t, "running", state)

	// Left running past its timeout: its worker is gone; "check again" hands it back now.
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET attempted_at = now() - interval '10 minutes' WHERE kind = 'payouts_execute'`)
	require.NoError(t, err)
	done, err = payouts.Recheck(f.checker, f.pool, f.jobs, p.ID, time.Minute)
	require.NoError(t, err)
	require.Equal(t, payouts.RecheckMoved, done)
	state, _ = f.jobState(p.ID)
	require.Equal(t, "available", state)
	require.Equal(t, 1, f.jobCount(p.ID))

	// Waiting for a retry an hour away: moved to now.
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET state = 'retryable', scheduled_at = now() + interval '1 hour' WHERE kind = 'payouts_execute'`)
	require.NoError(t, err)
	done, err = payouts.Recheck(f.checker, f.pool, f.jobs, p.ID, time.Minute)
	require.NoError(t, err)
	require.Equal(t, payouts.RecheckMoved, done)
	state, at := f.jobState(p.ID)
	require.Equal(t, "available", state)
	require.WithinDuration(t, time.Now(), at, 5*time.Second)

	// A worker picks it up, asks the gateway's status (never heard of it) and pays once.
	sb, gw := sandboxGateway(t, sandbox.Options{})
	w := f.worker(gw, nil)
	defer func() { _ = w.Stop(ctx) }()
	require.Equal(t, payouts.Paid, f.waitFinal(p.ID).State)
	require.Len(t, sb.Payments(), 1)

	_, err = payouts.Recheck(f.checker, f.pool, f.jobs, p.ID, time.Minute)
	require.ErrorContains(t, err, "payouts.not_unknown")
}
