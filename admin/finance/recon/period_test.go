package recon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/rbac"
)

type reconFixture struct {
	t       *testing.T
	pool    *pgxpool.Pool
	ctx     context.Context
	account int64
}

func newReconFixture(t *testing.T) *reconFixture {
	pool := dbtest.New(t)
	var staff, account int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('fin@test.postdesk', 'Fin', 'x') RETURNING id`).Scan(&staff))
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO accounts (kind, name, phone) VALUES ('client', 'Олена Коваленко', '+380671234567') RETURNING id`).Scan(&account))
	ctx := actor.With(context.Background(), &actor.Actor{ID: staff, Roles: []string{"finance"}, View: rbac.FullView()})
	return &reconFixture{t: t, pool: pool, ctx: ctx, account: account}
}

// topUp posts a gateway top-up with its reference and returns the transfer.
func (f *reconFixture) topUp(ref string, amount int64) (ledger.TransferResult, error) {
	var res ledger.TransferResult
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		acc, err := ledger.EnsureUserAccounts(f.ctx, tx, ledger.UserID(f.account))
		if err != nil {
			return err
		}
		plat, err := ledger.Platform(f.ctx, tx)
		if err != nil {
			return err
		}
		res, err = ledger.Transfer(f.ctx, tx, ledger.TransferRequest{Key: "topup:" + ref, Reason: "top_up",
			Legs: ledger.Move(plat.GatewayClearing, acc.Available, ledger.Minor(amount)), Links: ledger.Links{OrderRef: ref}})
		return err
	})
	return res, err
}

func (f *reconFixture) load(p recon.Period, csv string) int64 {
	lines, err := recon.ParseCSV(strings.NewReader("orderReference;amount;fee;currency;transactionStatus;createdDate\n"+csv), time.UTC)
	require.NoError(f.t, err)
	st, err := recon.Load(f.ctx, f.pool, p.ID, "csv", "statement.csv", lines)
	require.NoError(f.t, err)
	return st
}

// Defect 7: a period could be closed before it ended, and a closed period still took postings (a
// payout posted into it after the close). Now it closes only after its end, and the ledger itself
// refuses a posting dated inside a closed period, however it is written; the correction goes into
// the open period.
func TestClosedPeriodRefusesPostings(t *testing.T) {
	f := newReconFixture(t)
	now := time.Now().UTC()
	p, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-24*time.Hour), now.Add(time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	f.load(p, "")

	require.Equal(t, "recon.period_not_ended", apperr.MessageOf(recon.Close(f.ctx, f.pool, p.ID, now)))
	require.NoError(t, recon.Close(f.ctx, f.pool, p.ID, now.Add(2*time.Hour)))

	// Postings now are dated inside the closed period: refused, through the ledger or around it.
	_, err = f.topUp("late-1", 5_000)
	require.Equal(t, ledger.ErrPeriodClosed, apperr.MessageOf(err))
	require.Equal(t, apperr.Conflict, apperr.CodeOf(err))
	_, err = f.pool.Exec(f.ctx, `INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs) VALUES ('sneak', '\x00', 'x', 1, 2)`)
	require.ErrorContains(t, err, "closed")
	var n int
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM ledger_transfers`).Scan(&n))
	require.Zero(t, n)
}

// Defect 10: currency was not compared (a EUR line matched a UAH entry); a "correcting transfer"
// could be any transfer, even one already used for another exception.
func TestMatchingComparesCurrencyAndCorrectionsFit(t *testing.T) {
	f := newReconFixture(t)
	now := time.Now().UTC()
	_, err := f.topUp("T-1", 10_000)
	require.NoError(t, err)
	_, err = f.topUp("T-2", 20_000)
	require.NoError(t, err)
	p, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-time.Hour), now.Add(time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	ts := time.Now().UTC().Format("2006-01-02 15:04:05")
	st := f.load(p, "T-1;100.00;0;EUR;Approved;"+ts+"\nT-2;200.00;0;;Approved;"+ts+"\n")

	sum, err := recon.Summarise(f.ctx, f.pool, st)
	require.NoError(t, err)
	require.Equal(t, map[recon.Kind]int{recon.Matched: 1, recon.MissingInLedger: 1, recon.MissingAtGateway: 1}, sum.Count,
		"the EUR line matches nothing; the line with no currency is in the deployment's")

	open, _, err := recon.Results(f.ctx, f.pool, st, recon.ResultFilter{Unresolved: true})
	require.NoError(t, err)
	require.Len(t, open, 2)
	// Two corrections of 100.00 posted in the open period: each may correct one exception.
	c1, err := f.topUp("C-1", 10_000)
	require.NoError(t, err)
	c2, err := f.topUp("C-2", 9_999)
	require.NoError(t, err)
	require.Equal(t, "recon.transfer_amount", apperr.MessageOf(recon.Resolve(f.ctx, f.pool, open[0].ID, recon.Resolution{Kind: "transfer", Correcting: int64(c2.ID)})))
	require.NoError(t, recon.Resolve(f.ctx, f.pool, open[0].ID, recon.Resolution{Kind: "transfer", Correcting: int64(c1.ID), Note: "booked in EUR by mistake"}))
	require.Equal(t, "recon.transfer_used", apperr.MessageOf(recon.Resolve(f.ctx, f.pool, open[1].ID, recon.Resolution{Kind: "transfer", Correcting: int64(c1.ID)})))
}

func TestMatchNeverPairsCurrencies(t *testing.T) {
	lines := []recon.Line{{No: 1, Ref: "R", Amount: 100, At: 10, Currency: "EUR"}, {No: 2, Amount: 50, At: 10, Currency: "EUR"}}
	entries := []recon.Entry{{Transfer: 1, Ref: "R", Amount: 100, At: 10, Currency: "UAH"}, {Transfer: 2, Amount: 50, At: 10, Currency: "UAH"},
		{Transfer: 3, Amount: 50, At: 10, Currency: "EUR"}}
	var got []recon.Pair
	recon.Match(lines, entries, recon.Settings{DateToleranceH: 1}, func(p recon.Pair) { got = append(got, p) })
	require.ElementsMatch(t, []recon.Pair{
		{Kind: recon.MissingInLedger, Line: 0, Entry: -1},
		{Kind: recon.Matched, Line: 1, Entry: 2},
		{Kind: recon.MissingAtGateway, Line: -1, Entry: 0},
		{Kind: recon.MissingAtGateway, Line: -1, Entry: 1},
	}, got)
}
