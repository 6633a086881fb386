package recon_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/recon"
	"github.com/postdesk/postdesk/rbac"
)

// officer is a second finance officer acting in the fixture's database.
func (f *reconFixture) officer(email string) context.Context {
	var id int64
	require.NoError(f.t, f.pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ($1, 'Second', 'x') RETURNING id`, email).Scan(&id))
	return actor.With(context.Background(), &actor.Actor{ID: id, Roles: []string{"finance"}, View: rbac.FullView()})
}

func (f *reconFixture) exceptions(st int64) map[recon.Kind]recon.Result {
	list, _, err := recon.Results(f.ctx, f.pool, st, recon.ResultFilter{Unresolved: true})
	require.NoError(f.t, err)
	out := map[recon.Kind]recon.Result{}
	for _, r := range list {
		out[r.Kind] = r
	}
	return out
}

func (f *reconFixture) count(query string, args ...any) int {
	var n int
	require.NoError(f.t, f.pool.QueryRow(f.ctx, query, args...).Scan(&n))
	return n
}

// Issue 12 (defect 10): there was no screen to post a correcting entry. Finance posts one from the
// exception: it moves exactly the exception's amount between gateway clearing and the party and
// resolves the exception with that transfer; above the threshold a second officer approves it,
// never the one who asked; the same form twice posts once; everything is audited.
func TestCorrectingEntryFromAnException(t *testing.T) {
	f := newReconFixture(t)
	second := f.officer("fin2@test.postdesk")
	now := time.Now().UTC()
	_, err := f.topUp("T-1", 10_000) // the ledger's 100.00 the gateway never had
	require.NoError(t, err)
	p, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-time.Hour), now.Add(time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	st := f.load(p, "G-1;250.00;0;;Approved;"+now.Format("2006-01-02 15:04:05")+"\n") // the gateway's 250.00 the ledger lacks
	open := f.exceptions(st)
	missingInLedger, missingAtGateway := open[recon.MissingInLedger], open[recon.MissingAtGateway]
	require.NotZero(t, missingInLedger.ID)
	require.NotZero(t, missingAtGateway.ID)
	require.Equal(t, recon.ToParty, recon.DefaultDirection(missingInLedger))
	require.Equal(t, recon.FromParty, recon.DefaultDirection(missingAtGateway))

	// At or below the threshold (5,000.00 by default) it is posted at once.
	req := recon.CorrectionRequest{PeriodID: p.ID, ResultID: missingInLedger.ID, Direction: recon.ToParty, Party: recon.PartyUser,
		AccountID: f.account, Amount: 1, Reason: "top-up the ledger missed", Key: "form-1"}
	c, err := recon.RequestCorrection(f.ctx, f.pool, now, req)
	require.NoError(t, err)
	require.Equal(t, "posted", c.State)
	require.EqualValues(t, 25_000, c.Amount, "the exception's amount, whatever was typed")
	require.NotNil(t, c.TransferID)
	again, err := recon.RequestCorrection(f.ctx, f.pool, now, req)
	require.NoError(t, err)
	require.Equal(t, c.ID, again.ID, "the same form twice records one correction")
	require.Equal(t, 1, f.count(`SELECT count(*) FROM ledger_transfers WHERE reason = 'recon_correction'`))
	bal, err := ledger.Balances(f.ctx, f.pool, ledger.UserID(f.account))
	require.NoError(t, err)
	require.EqualValues(t, 35_000, bal.Available, "100.00 topped up before, 250.00 corrected")
	var correcting int64
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT correcting_transfer FROM recon_results WHERE id = $1`, missingInLedger.ID).Scan(&correcting))
	require.Equal(t, *c.TransferID, correcting, "the exception is resolved by the correction's transfer")
	_, err = recon.RequestCorrection(f.ctx, f.pool, now, recon.CorrectionRequest{PeriodID: p.ID, ResultID: missingInLedger.ID,
		Direction: recon.ToParty, Party: recon.PartyRevenue, Reason: "again"})
	require.Equal(t, "recon.already_resolved", apperr.MessageOf(err))

	// Above the threshold it waits for a second officer; the exception stays open meanwhile.
	_, err = f.pool.Exec(f.ctx, `UPDATE settings SET value = '5000' WHERE key = 'recon.correction_approval_threshold'`)
	require.NoError(t, err)
	pending, err := recon.RequestCorrection(f.ctx, f.pool, now, recon.CorrectionRequest{PeriodID: p.ID, ResultID: missingAtGateway.ID,
		Direction: recon.FromParty, Party: recon.PartyRevenue, Reason: "the gateway never had it"})
	require.NoError(t, err)
	require.Equal(t, "pending_approval", pending.State)
	require.Nil(t, pending.TransferID)
	_, err = recon.RequestCorrection(f.ctx, f.pool, now, recon.CorrectionRequest{PeriodID: p.ID, ResultID: missingAtGateway.ID,
		Direction: recon.FromParty, Party: recon.PartyRevenue, Reason: "twice"})
	require.Equal(t, "recon.correction.already_requested", apperr.MessageOf(err))
	require.Equal(t, "recon.unresolved_left", apperr.MessageOf(recon.Close(f.ctx, f.pool, p.ID, now.Add(2*time.Hour))))
	_, err = recon.DecideCorrection(f.ctx, f.pool, now, pending.ID, true, "")
	require.Equal(t, "recon.correction.own_request", apperr.MessageOf(err))
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	_, err = recon.DecideCorrection(second, f.pool, now, pending.ID, false, "")
	require.Equal(t, "recon.correction.reason_required", apperr.MessageOf(err))
	posted, err := recon.DecideCorrection(second, f.pool, now, pending.ID, true, "")
	require.NoError(t, err)
	require.Equal(t, "posted", posted.State)
	require.NotNil(t, posted.TransferID)
	_, err = recon.DecideCorrection(second, f.pool, now, pending.ID, true, "")
	require.Equal(t, "recon.correction.not_pending", apperr.MessageOf(err))

	require.Equal(t, 2, f.count(`SELECT count(*) FROM audit_log WHERE action = 'recon.correction_posted'`))
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE action = 'recon.correction_approved'`))
	v, err := ledger.CheckInvariants(f.ctx, f.pool)
	require.NoError(t, err)
	require.Empty(t, v)
	require.NoError(t, recon.Close(f.ctx, f.pool, p.ID, now.Add(2*time.Hour)), "nothing is left open")
}

// Issue 12: after the close, corrections go into the open period, referencing the closed one. A
// correction of a closed period is dated when it is posted and listed with the period it corrects;
// an open period's differences are corrected from its exceptions instead.
func TestCorrectionOfAClosedPeriod(t *testing.T) {
	f := newReconFixture(t)
	now := time.Now().UTC()
	p, err := recon.OpenPeriod(f.ctx, f.pool, now.Add(-72*time.Hour), now.Add(-48*time.Hour), recon.Settings{DateToleranceH: 48, Basis: recon.Gross})
	require.NoError(t, err)
	f.load(p, "")
	req := recon.CorrectionRequest{PeriodID: p.ID, Direction: recon.ToParty, Party: recon.PartyUser, AccountID: f.account, Amount: 4_200,
		Reason: "bank transfer found after the close"}
	_, err = recon.RequestCorrection(f.ctx, f.pool, now, req)
	require.Equal(t, "recon.correction.period_open", apperr.MessageOf(err))
	require.NoError(t, recon.Close(f.ctx, f.pool, p.ID, now))

	_, err = recon.RequestCorrection(f.ctx, f.pool, now, recon.CorrectionRequest{PeriodID: p.ID, Direction: recon.ToParty,
		Party: recon.PartyUser, AccountID: f.account + 1000, Amount: 4_200, Reason: "x"})
	require.Equal(t, "recon.correction.account_not_found", apperr.MessageOf(err))
	c, err := recon.RequestCorrection(f.ctx, f.pool, now, req)
	require.NoError(t, err)
	require.Equal(t, "posted", c.State)
	var at time.Time
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT created_at FROM ledger_transfers WHERE id = $1`, *c.TransferID).Scan(&at))
	require.True(t, at.After(p.EndsAt), "dated after the closed period: %s", at)
	list, err := recon.Corrections(f.ctx, f.pool, p.ID, 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, c.ID, list[0].ID)
	require.Equal(t, p.ID, list[0].PeriodID)
}

var correctForm = regexp.MustCompile(`action="(/finance/reconciliation/\d+/results/(\d+)/correct)"`)

// The page: an exception offers "post a correcting entry" with its amount; a form error comes back
// beside its field (422) and records nothing; above the threshold the officer's own correction
// waits, and the second officer (finance2) approves it from the same page.
func TestCorrectingEntryPages(t *testing.T) {
	env := admintest.New(t)
	ctx := context.Background()
	now := env.Clock.Now()
	var periodID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO recon_periods (starts_at, ends_at) VALUES ($1, $2) RETURNING id`,
		now.Add(-time.Hour), now.Add(time.Hour)).Scan(&periodID))
	lines, err := recon.ParseCSV(strings.NewReader("orderReference;amount;fee;currency;transactionStatus;createdDate\nG-9;7500.00;0;;Approved;"+
		now.UTC().Format("2006-01-02 15:04:05")+"\n"), time.UTC)
	require.NoError(t, err)
	_, err = recon.Load(ctx, env.Pool, periodID, "csv", "statement.csv", lines)
	require.NoError(t, err)
	var account int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM accounts WHERE kind = 'client' ORDER BY id LIMIT 1`).Scan(&account))

	fin := env.Login("finance@demo.postdesk")
	page := "/finance/reconciliation/" + strconv.FormatInt(periodID, 10)
	r := fin.Get(page + "?kind=open")
	require.Equal(t, http.StatusOK, r.Status)
	m := correctForm.FindStringSubmatch(r.Body)
	require.NotNil(t, m, "an exception offers a correcting entry")
	require.Regexp(t, `7[\s\x{202f}\x{a0},]?500[.,]00`, r.Body)

	r = fin.PostForm(m[1], url.Values{"direction": {"to_party"}, "party": {"user"}, "account": {strconv.FormatInt(account, 10)}, "reason": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, r.Body, "Write the reason.")
	require.Contains(t, r.Body, `id="corr-`+m[2]+`-reason-error"`)
	var n int
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM recon_corrections`).Scan(&n))
	require.Zero(t, n, "a form with errors records nothing")

	r = fin.PostForm(m[1], url.Values{"direction": {"to_party"}, "party": {"user"}, "account": {strconv.FormatInt(account, 10)},
		"reason": {"top-up the ledger missed"}, "key": {"k-1"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	r = fin.Get(page)
	require.Contains(t, r.Body, "awaits a second officer")
	require.NotContains(t, r.Body, "/approve\"", "the officer cannot approve their own")
	var cid int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM recon_corrections`).Scan(&cid))
	approve := page + "/corrections/" + strconv.FormatInt(cid, 10) + "/approve"
	r = fin.PostForm(approve, nil)
	require.Equal(t, http.StatusForbidden, r.Status)

	agent := env.Login("agent@demo.postdesk")
	require.Equal(t, http.StatusForbidden, agent.PostForm(approve, nil).Status)

	fin2 := env.Login("finance2@demo.postdesk")
	r = fin2.Get(page)
	require.Contains(t, r.Body, `action="`+approve+`"`)
	r = fin2.PostForm(approve, nil)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	var state string
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT c.state FROM recon_corrections c JOIN recon_results r ON r.id = c.result_id
		WHERE c.id = $1 AND r.correcting_transfer = c.transfer_id`, cid).Scan(&state))
	require.Equal(t, "posted", state)
}
