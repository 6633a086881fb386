package recon_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/rbac"
)

func TestLoadResolveExportClose(t *testing.T) {
	pool := dbtest.New(t)
	var staff, account int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('fin@test.postdesk', 'Fin', 'x') RETURNING id`).Scan(&staff))
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO accounts (kind, name, phone) VALUES ('client', 'Олена Коваленко', '+380671234567') RETURNING id`).Scan(&account))
	ctx := actor.With(context.Background(), &actor.Actor{ID: staff, Roles: []string{"finance"}, View: rbac.FullView()})

	// Three top-ups through the gateway, each with the gateway's reference.
	for _, tu := range []struct {
		ref    string
		amount int64
	}{{"T-1", 10_000}, {"T-2", 20_000}, {"T-3", 30_000}} {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			acc, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(account))
			require.NoError(t, err)
			plat, err := ledger.Platform(ctx, tx)
			require.NoError(t, err)
			_, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "topup:" + tu.ref, Reason: "top_up",
				Legs: ledger.Move(plat.GatewayClearing, acc.Available, ledger.Minor(tu.amount)), Links: ledger.Links{OrderRef: tu.ref}})
			return err
		}))
	}
	now := time.Now().UTC()
	later := now.Add(2 * time.Hour) // the period has ended
	p, err := recon.OpenPeriod(ctx, pool, now.Add(-24*time.Hour), now.Add(time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	_, err = recon.OpenPeriod(ctx, pool, now.Add(-time.Hour), now.Add(2*time.Hour), recon.Settings{})
	require.Equal(t, "recon.period_overlaps", apperr.MessageOf(err))

	csv := "orderReference;amount;fee;currency;transactionStatus;createdDate\n" +
		"T-1;100.00;0.50;UAH;Approved;" + itoa(now.Unix()) + "\n" +
		"T-2;200.01;1.00;UAH;Approved;" + itoa(now.Unix()) + "\n" +
		"X-9;5.00;0;UAH;Approved;" + itoa(now.Unix()) + "\n" +
		"X-9;5.00;0;UAH;Approved;" + itoa(now.Unix()) + "\n" +
		"D-1;7.00;0;UAH;Declined;" + itoa(now.Unix()) + "\n"
	lines, err := recon.ParseCSV(strings.NewReader(csv), time.UTC)
	require.NoError(t, err)
	require.Len(t, lines, 5)
	st, err := recon.Load(ctx, pool, p.ID, "csv", "statement.csv", lines)
	require.NoError(t, err)

	sum, err := recon.Summarise(ctx, pool, st)
	require.NoError(t, err)
	require.Equal(t, map[recon.Kind]int{recon.Matched: 1, recon.AmountMismatch: 1, recon.MissingInLedger: 1, recon.Duplicate: 1, recon.MissingAtGateway: 1}, sum.Count)
	require.Equal(t, 4, sum.Unresolved)

	// Closing with open exceptions is refused.
	require.Equal(t, "recon.unresolved_left", apperr.MessageOf(recon.Close(ctx, pool, p.ID, later)))

	open, _, err := recon.Results(ctx, pool, st, recon.ResultFilter{Unresolved: true})
	require.NoError(t, err)
	require.Len(t, open, 4)
	require.Equal(t, "recon.note_required", apperr.MessageOf(recon.Resolve(ctx, pool, open[0].ID, recon.Resolution{Kind: "note"})))
	require.Equal(t, "recon.transfer_not_found", apperr.MessageOf(recon.Resolve(ctx, pool, open[0].ID, recon.Resolution{Kind: "transfer", Correcting: 999999})))
	require.NoError(t, recon.Resolve(ctx, pool, open[0].ID, recon.Resolution{Kind: "note", Note: "gateway rounding, confirmed by phone"}))
	require.Equal(t, "recon.already_resolved", apperr.MessageOf(recon.Resolve(ctx, pool, open[0].ID, recon.Resolution{Kind: "accepted"})))
	for _, r := range open[1:] {
		require.NoError(t, recon.Resolve(ctx, pool, r.ID, recon.Resolution{Kind: "accepted"}))
	}

	var file bytes.Buffer
	titles := []string{"Result", "Reference", "Line", "Transfer", "Gateway", "Ledger", "Time", "Resolution", "Note", "Correcting"}
	require.NoError(t, recon.Export(ctx, pool, st, &file, time.UTC, titles, func(k recon.Kind) string { return string(k) }))
	xr, err := xlsx.Open(bytes.NewReader(file.Bytes()), int64(file.Len()), xlsx.Limits{Header: titles})
	require.NoError(t, err)
	rows := 0
	for xr.Next() {
		rows++
	}
	require.Equal(t, 5, rows)

	require.NoError(t, recon.Close(ctx, pool, p.ID, later))
	p, err = recon.GetPeriod(ctx, pool, p.ID)
	require.NoError(t, err)
	require.True(t, p.Closed())
	require.Equal(t, int64(-60_000), *p.ClearingBalance)
	require.Equal(t, int64(10_000+20_001+500+500), *p.StatementTotal) // approved lines only
	require.Equal(t, int64(60_000), *p.LedgerTotal)

	// A closed period refuses every change, whoever tries.
	require.Equal(t, "recon.period_closed", apperr.MessageOf(recon.Resolve(ctx, pool, open[0].ID, recon.Resolution{Kind: "accepted"})))
	_, err = recon.Load(ctx, pool, p.ID, "csv", "again.csv", lines)
	require.Equal(t, "recon.period_closed", apperr.MessageOf(err))
	require.Equal(t, "recon.period_closed", apperr.MessageOf(recon.Close(ctx, pool, p.ID, later)))
	_, err = pool.Exec(ctx, `UPDATE recon_results SET resolution_note = 'changed' WHERE statement_id = $1`, st)
	require.ErrorContains(t, err, "closed")
	_, err = pool.Exec(ctx, `UPDATE recon_periods SET amount_tolerance = 5 WHERE id = $1`, p.ID)
	require.ErrorContains(t, err, "closed")
}

// itoa writes a time as the export does, in UTC.
func itoa(n int64) string { return time.Unix(n, 0).UTC().Format("2006-01-02 15:04:05") }
