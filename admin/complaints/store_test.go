package complaints

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

func TestIntakeSaysWhatIsMissing(t *testing.T) {
	f := newFixture(t)
	in := f.intake()
	in.ComplainantBirth, in.RespondentLogin, in.ActionTime, in.Demands = "", "", "25:00", nil
	in.ComplainantLogin = "0501112233" // no country code
	_, err := f.store.Register(f.ctx, in, nil, 0)
	var inv *InvalidForm
	if !errors.As(err, &inv) {
		t.Fatalf("want field errors, got %v", err)
	}
	want := FieldErrors{
		"complainant_birth": "complaints.err.complainant_birth",
		"complainant_login": "complaints.err.login_format",
		"respondent_login":  "complaints.err.respondent_login",
		"action_time":       "complaints.err.time_format",
		"demands":           "complaints.err.demands",
	}
	for field, key := range want {
		if inv.Fields[field] != key {
			t.Errorf("%s: got %q, want %q", field, inv.Fields[field], key)
		}
	}
	if len(inv.Fields) != len(want) {
		t.Errorf("unexpected errors: %v", inv.Fields)
	}
	var n int
	must(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM complaints`).Scan(&n))
	if n != 0 {
		t.Fatalf("an invalid form stored %d complaints", n)
	}
}

func TestRegisterLinksAcknowledgesAndFlagsDuplicates(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	c, err := f.store.Get(f.ctx, f.pool, r.ID)
	must(t, err)
	if c.State != Acknowledged || c.ComplainantAccountID == nil || *c.ComplainantAccountID != f.client ||
		c.RespondentAccountID == nil || *c.RespondentAccountID != f.courier {
		t.Fatalf("state %s, complainant %v, respondent %v", c.State, c.ComplainantAccountID, c.RespondentAccountID)
	}
	// Received 10 March (Kyiv): the 15 days run 11–25 March, ending at 24:00 on the 25th.
	if want := time.Date(2027, 3, 26, 0, 0, 0, 0, f.store.Loc); !c.DecisionDue.Equal(want) || !r.Deadline.Equal(want) {
		t.Fatalf("deadline %s, want %s", c.DecisionDue, want)
	}
	if c.Number != "C-2027-"+pad(r.ID) {
		t.Fatalf("number %q", c.Number)
	}
	notices, err := Notices(f.ctx, f.pool, r.ID)
	must(t, err)
	if len(notices) != 1 || notices[0].Purpose != "acknowledgement" || notices[0].Role != "complainant" || notices[0].Address != "olena@example.com" {
		t.Fatalf("acknowledgement: %+v", notices)
	}
	var data map[string]any
	must(t, f.pool.QueryRow(context.Background(), `SELECT data FROM notifications WHERE id = $1`, notices[0].NotificationID).Scan(&data))
	if data["contact_email"] != "agent@t.test" || data["deadline"] == "" {
		t.Fatalf("acknowledgement data %v", data)
	}
	dup := f.register()
	if dup.DuplicateOf == nil || *dup.DuplicateOf != r.ID {
		t.Fatalf("second complaint with the same parties and order not flagged: %v", dup.DuplicateOf)
	}
	f.checkStoredDeadlines()
}

func pad(id int64) string {
	s := "000000" + itoa(id)
	return s[len(s)-6:]
}

func TestExtensionOnceAndOnlyBeforeBreach(t *testing.T) {
	f := newFixture(t)
	a, b := f.register(), f.register()
	lead := f.asLead()
	if _, err := f.store.Extend(lead, a.ID, 10, ""); err == nil {
		t.Fatal("extension without a reason accepted")
	}
	wantCode(t, func() error { _, err := f.store.Extend(lead, a.ID, 16, "reason"); return err }(), apperr.Invalid, "complaints.extend.days")
	got, err := f.store.Extend(lead, a.ID, 10, "waiting for the courier's explanation")
	must(t, err)
	if want := time.Date(2027, 4, 5, 0, 0, 0, 0, f.store.Loc); !got.Equal(want) { // 25 Mar + 10 days, across the DST change
		t.Fatalf("extended deadline %s, want %s", got, want)
	}
	_, err = f.store.Extend(lead, a.ID, 1, "again")
	wantCode(t, err, apperr.Conflict, "complaints.extend.once")

	// b's deadline is 24:00 on 25 March: at that moment it is breached and can no longer be extended.
	f.now = time.Date(2027, 3, 26, 0, 0, 0, 0, f.store.Loc)
	_, err = f.store.Extend(lead, b.ID, 5, "late")
	wantCode(t, err, apperr.Conflict, "complaints.extend.breached")
	f.now = f.now.Add(-time.Second)
	_, err = f.store.Extend(lead, b.ID, 5, "one second before")
	must(t, err)
	f.checkStoredDeadlines()
}

func TestWithdrawal(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	ds, err := Demands(f.ctx, f.pool, r.ID)
	must(t, err)
	if len(ds) != 2 {
		t.Fatalf("demands %v", ds)
	}
	must(t, f.store.Withdraw(f.ctx, r.ID, []int64{ds[1].ID}, "the courier apologised"))
	c, _ := f.store.Get(f.ctx, f.pool, r.ID)
	ds, _ = Demands(f.ctx, f.pool, r.ID)
	if c.State != Acknowledged || ds[1].WithdrawnAt == nil || ds[0].WithdrawnAt != nil {
		t.Fatalf("partial withdrawal: state %s demands %+v", c.State, ds)
	}
	must(t, f.store.Decide(f.ctx, r.ID, Decision{Outcome: Rejected, Reasoning: "Доставку підтверджено фото."}))
	err = f.store.Withdraw(f.ctx, r.ID, nil, "too late")
	wantCode(t, err, apperr.Conflict, "complaints.withdraw.after_decision")
	err = f.store.Withdraw(f.ctx, r.ID, []int64{ds[0].ID}, "too late")
	wantCode(t, err, apperr.Conflict, "complaints.withdraw.after_decision")

	whole := f.register()
	must(t, f.store.Withdraw(f.ctx, whole.ID, nil, "settled"))
	c, _ = f.store.Get(f.ctx, f.pool, whole.ID)
	if c.State != Withdrawn {
		t.Fatalf("state %s after withdrawal", c.State)
	}
	err = f.store.Decide(f.ctx, whole.ID, Decision{Outcome: Rejected, Reasoning: "x"})
	wantCode(t, err, apperr.Conflict, "complaints.withdrawn_final")
}

func TestDecisionActsOnceAndIsFinal(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	must(t, f.store.RequestExplanation(f.ctx, r.ID, "Поясніть, будь ласка, що сталося.", 5))
	c, _ := f.store.Get(f.ctx, f.pool, r.ID)
	if c.State != Waiting || c.ReplyDue == nil {
		t.Fatalf("after the request: %s %v", c.State, c.ReplyDue)
	}
	d := Decision{Outcome: Upheld, Reasoning: "Доставку не підтверджено.", Actions: []Action{
		{Kind: ActRefund, Amount: 12_500}, {Kind: ActPenalty, Amount: 5_000}, {Kind: ActBlockFunctions, Functions: []string{"accept_orders"}},
		{Kind: ActRatingCut, Amount: 30}, {Kind: ActBalanceLimitCut, Amount: 2_000_00},
	}}
	// Two agents press "decide" at once: one decision, one set of actions.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f.store.Decide(f.ctx, r.ID, d) }()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("want exactly one decision, got %v / %v", errs[0], errs[1])
	}
	bc, err := ledger.Balances(f.ctx, f.pool, ledger.UserID(f.client))
	must(t, err)
	bcr, err := ledger.Balances(f.ctx, f.pool, ledger.UserID(f.courier))
	must(t, err)
	if bc.Available != 12_500 || bcr.Available != -17_500 {
		t.Fatalf("balances: client %d, courier %d", bc.Available, bcr.Available)
	}
	var rating, limit int64
	var audits int
	must(t, f.pool.QueryRow(context.Background(), `SELECT rating, balance_limit,
		(SELECT count(*) FROM audit_log WHERE action IN ('account.rating_cut', 'account.balance_limit_cut') AND record_id = $2)
		FROM accounts WHERE id = $1`, f.courier, fmt.Sprint(f.courier)).Scan(&rating, &limit, &audits))
	if rating != 70 || limit != 2_000_00 || audits != 2 {
		t.Fatalf("courier's standing: rating %d, limit %d, %d audit entries", rating, limit, audits)
	}
	var blocks int
	must(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM account_blocks WHERE account_id = $1 AND functions = '{accept_orders}' AND complaint_ref = $2`, f.courier, c.Number).Scan(&blocks))
	if blocks != 1 {
		t.Fatalf("%d blocks", blocks)
	}
	// Final: no edits, only notes.
	wantCode(t, f.store.AddEvidence(f.ctx, r.ID, Upload{Name: "late.png", Data: []byte("x")}), apperr.Conflict, "complaints.final")
	_, err = f.store.Extend(f.asLead(), r.ID, 3, "x")
	wantCode(t, err, apperr.Conflict, "complaints.final")
	must(t, f.store.Note(f.ctx, r.ID, "Клієнтка подзвонила, пояснили рішення."))

	// The letter job, run twice, makes one letter and one notice per recipient.
	must(t, f.store.MakeLetter(context.Background(), r.ID))
	must(t, f.store.MakeLetter(context.Background(), r.ID))
	notices, err := Notices(f.ctx, f.pool, r.ID)
	must(t, err)
	roles := map[string]int{}
	for _, n := range notices {
		if n.Purpose == "decision" {
			roles[n.Role]++
			if n.LetterID == nil {
				t.Fatalf("decision notice without the letter: %+v", n)
			}
		}
	}
	if roles["complainant"] != 1 || roles["respondent"] != 1 || roles["third_party"] != 1 {
		t.Fatalf("decision notices per role: %v", roles)
	}
	var letters int
	var size int
	must(t, f.pool.QueryRow(context.Background(), `SELECT count(*), max(length(data)) FROM complaint_files WHERE complaint_id = $1 AND kind = 'letter'`, r.ID).Scan(&letters, &size))
	if letters != 1 || size < 1000 {
		t.Fatalf("%d letters, %d bytes", letters, size)
	}
	f.letterReachesComplainant(r.ID, c.Number)
	// Notified once every party's notice is delivered (issue 14): the complainant's alone is not enough.
	c, _ = f.store.Get(f.ctx, f.pool, r.ID)
	if c.State != Notified || c.NotifiedAt != nil {
		t.Fatalf("only the complainant's notice delivered: state %s notified %v", c.State, c.NotifiedAt)
	}
	f.deliverDecision(r.ID, f.now.Add(time.Hour), nil)
	c, _ = f.store.Get(f.ctx, f.pool, r.ID)
	if c.State != Notified || c.NotifiedAt == nil || c.NoticeDue == nil || c.NotifiedAt.After(*c.NoticeDue) {
		t.Fatalf("state %s notified %v due %v", c.State, c.NotifiedAt, c.NoticeDue)
	}
	f.checkStoredDeadlines()
}

func TestSweepWarnsOnceWithTwoWorkers(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	must(t, f.store.Assign(f.asLead(), r.ID, f.agent))
	deadline := time.Date(2027, 3, 26, 0, 0, 0, 0, f.store.Loc)
	count := func(level string) int {
		var n int
		must(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM complaint_sla_alerts WHERE complaint_id = $1 AND level = $2`, r.ID, level).Scan(&n))
		return n
	}
	sweepTwice := func(now time.Time) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		sent := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := f.store.Sweep(context.Background(), now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				sent += len(a)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return sent
	}
	if n := sweepTwice(deadline.AddDate(0, 0, -4)); n != 0 {
		t.Fatalf("4 days before: %d alerts", n)
	}
	for _, step := range []struct {
		now   time.Time
		level string
	}{
		{deadline.AddDate(0, 0, -3), "d3"},
		{deadline.AddDate(0, 0, -3).Add(time.Hour), "d3"},
		{deadline.AddDate(0, 0, -1), "d1"},
		{deadline.Add(-time.Minute), "d1"},
		{deadline, "breach"},
		{deadline.Add(48 * time.Hour), "breach"},
	} {
		sweepTwice(step.now)
		if count(step.level) != 1 {
			t.Fatalf("at %s: %d %s alerts", step.now, count(step.level), step.level)
		}
	}
	// The warnings went to the assignee, the escalation to the lead and — issue 14, item 15 — to
	// the assignee too, one notice each, however many sweeps ran.
	rows, err := f.pool.Query(context.Background(), `SELECT address, data->>'level' FROM notifications WHERE template = 'complaint_staff' ORDER BY id`)
	must(t, err)
	var got []string
	for rows.Next() {
		var addr, level string
		must(t, rows.Scan(&addr, &level))
		got = append(got, level+":"+addr)
	}
	want := []string{"d3:agent@t.test", "d1:agent@t.test", "breach:lead@t.test", "breach:agent@t.test"}
	if len(got) != len(want) {
		t.Fatalf("staff notices %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("staff notices %v, want %v", got, want)
		}
	}
}

func TestBoardCountsFromTheRollup(t *testing.T) {
	f := newFixture(t)
	a, b := f.register(), f.register()
	must(t, f.store.Assign(f.asLead(), b.ID, f.agent))
	f.now = f.now.Add(26 * time.Hour)
	must(t, f.store.Decide(f.ctx, a.ID, Decision{Outcome: Rejected, Reasoning: "Не підтверджено."}))
	must(t, f.store.MakeLetter(context.Background(), a.ID))
	f.deliverDecision(a.ID, f.now.Add(time.Hour), nil)
	f.now = time.Date(2027, 3, 27, 9, 0, 0, 0, f.store.Loc) // b is past its deadline, undecided
	board, err := f.store.SLABoard(context.Background(), f.pool, 4)
	must(t, err)
	var rec, dec, onTime, notices int
	for _, w := range board.Weeks {
		rec, dec, onTime, notices = rec+w.Received, dec+w.Decided, onTime+w.OnTime, notices+w.NoticesOnTime
		if w.Decided == 1 && (w.AvgDays < 1.08 || w.AvgDays > 1.09) {
			t.Errorf("average days to decision %.3f, want 26 h = 1.083", w.AvgDays)
		}
	}
	if rec != 2 || dec != 1 || onTime != 1 || notices != 1 {
		t.Fatalf("received %d decided %d on time %d notices on time %d", rec, dec, onTime, notices)
	}
	if len(board.Agents) != 1 || board.Agents[0].Name != "Агент" || board.Agents[0].Breaches != 1 {
		t.Fatalf("breaches by agent %+v", board.Agents)
	}
}

// A file's type is read from its bytes: a page of script sent as a picture is kept as the page it
// is (and is only ever served as a download).
func TestEvidenceTypeComesFromTheBytes(t *testing.T) {
	f := newFixture(t)
	r := f.register()
	must(t, f.store.AddEvidence(f.ctx, r.ID, Upload{Name: "photo.png", ContentType: "image/png",
		Data: []byte("<html><body><script>alert(1)</script></body></html>")}))
	var ct string
	must(t, f.pool.QueryRow(context.Background(), `SELECT content_type FROM complaint_files WHERE complaint_id = $1 AND name = 'photo.png'`, r.ID).Scan(&ct))
	if ct != "text/html; charset=utf-8" {
		t.Fatalf("stored as %q", ct)
	}
}
