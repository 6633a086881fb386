package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/lifecycle"
	"github.com/postdesk/postdesk/admin/lifecycle/model"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/rbac"
)

// The model-based test: 16 workers run random sequences of allowed and disallowed actions — the
// orders page's moves (deals, changes of courier, pickups, deliveries, cancellations, moves into
// moderation), the moderation desk's cases and decisions (weight disputes with real weights within
// and beyond the tolerance among them), the overdue sweep, and complaint decisions with refunds,
// compensations and penalties — through the functions the HTTP handlers call, while the reference
// model (admin/lifecycle/model, written from RULES.md §3 alone) says what each should do; payout
// requests (and a second officer's refusals) take money out of the same accounts meanwhile. Every
// action the model refuses must be refused and every action it allows must succeed; afterwards
// every account's available, held, deposit and promo balance equals the model's, the platform's
// revenue too, every finished order holds nothing, and the ledger invariants hold.
//
// Each worker has its own clients and couriers with modest money (so refusals for shortness
// happen and are predictable) and shares a few rich ones with every other worker (so the same
// accounts are posted to concurrently). The seed is printed; LIFECYCLE_SEED reproduces a run: each
// worker takes the same actions with the same amounts (how the workers interleave is the
// scheduler's).
//
//	./bin/postdesk pg --fast exec -- go test -count=1 -run TestModel ./admin/lifecycle/
//	LIFECYCLE_SEED=42 ./bin/postdesk pg --fast exec -- go test -count=1 -run '^$' -bench Model -benchtime 1x ./admin/lifecycle/
func TestModel(t *testing.T) {
	r := runModel(t, 300, seedFromEnv(t))
	t.Logf("seed %d: %d orders, %d actions (%d refused as the model said) in %s", r.seed, r.orders, r.actions, r.refused, r.elapsed)
}

// BenchmarkModel is TestModel with 10,000 orders.
func BenchmarkModel(b *testing.B) {
	for range b.N {
		r := runModel(b, 10_000, seedFromEnv(b))
		b.ReportMetric(float64(r.actions)/r.elapsed.Seconds(), "actions/s")
		b.ReportMetric(float64(r.orders)/r.elapsed.Seconds(), "orders/s")
		b.ReportMetric(float64(r.seed), "seed")
	}
}

// The model is written independently: it imports neither the lifecycle nor settlement.
func TestModelIsIndependent(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "model/model.go", nil, parser.ImportsOnly)
	require.NoError(t, err)
	for _, imp := range f.Imports {
		require.NotContains(t, imp.Path.Value, "postdesk/", "the model imports %s", imp.Path.Value)
	}
}

func seedFromEnv(t testing.TB) uint64 {
	if s := os.Getenv("LIFECYCLE_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		return n
	}
	return uint64(time.Now().UnixNano())
}

const modelWorkers = 16

type result struct {
	seed                     uint64
	orders, actions, refused int
	elapsed                  time.Duration
}

// run is one model run: the database, the parties, the workers, the comparison.
type run struct {
	t       testing.TB
	pool    *pgxpool.Pool
	ctx     context.Context // a support agent acting
	checker context.Context // a second officer (payouts' maker–checker)
	now     time.Time
	mu      sync.Mutex // guards m
	m       *model.Model
	store   *complaints.Store

	rich    []ledger.UserID // shared by all workers: never short
	richK   []ledger.UserID
	numbers [][]string // each worker's orders

	actions, refused atomic.Int64
	failures         atomic.Int64
	statsMu          sync.Mutex
	stats            map[string]int // action kind: done / refused
}

func runModel(t testing.TB, nOrders int, seed uint64) result {
	t.Logf("lifecycle model: seed %d (LIFECYCLE_SEED=%d reproduces it), %d orders, %d workers", seed, seed, nOrders, modelWorkers)
	_, url := dbtest.NewWithURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	r := &run{t: t, pool: pool, now: time.Now().UTC().Truncate(time.Second), numbers: make([][]string, modelWorkers), stats: map[string]int{}}
	var staff int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('model@test.postdesk', 'Model', 'x') RETURNING id`).Scan(&staff))
	r.ctx = actor.With(context.Background(), &actor.Actor{ID: staff, Email: "model@test.postdesk", View: rbac.FullView(), Roles: []string{"support_agent"}})
	var checker int64
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO staff (email, name, password_hash) VALUES ('checker@test.postdesk', 'Checker', 'x') RETURNING id`).Scan(&checker))
	r.checker = actor.With(context.Background(), &actor.Actor{ID: checker, Email: "checker@test.postdesk", View: rbac.FullView(), Roles: []string{"finance"}})
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	r.store = &complaints.Store{Pool: pool, Loc: kyiv}

	var bp int64
	require.NoError(t, pool.QueryRow(r.ctx, `SELECT value::bigint FROM settings WHERE key = 'commission_bp'`).Scan(&bp))
	rows, err := pool.Query(r.ctx, `SELECT max_grams::bigint, price FROM tariff_bands ORDER BY max_grams`)
	require.NoError(t, err)
	tariff, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]int64, error) {
		var b [2]int64
		return b, row.Scan(&b[0], &b[1])
	})
	require.NoError(t, err)
	r.m = model.New(bp, tariff)
	var revenue0 ledger.Minor
	pl, err := ledger.Platform(r.ctx, pool)
	require.NoError(t, err)
	revenue := func() ledger.Minor {
		var b ledger.Minor
		require.NoError(t, pool.QueryRow(r.ctx, `SELECT coalesce(sum(balance), 0)::bigint FROM ledger_balances WHERE ledger_account_id = $1`, pl.Revenue).Scan(&b))
		return b
	}
	revenue0 = revenue()

	for range 4 {
		r.rich = append(r.rich, r.party(pl, "client", 1_000_000_000_00, 0))
		r.richK = append(r.richK, r.party(pl, "courier", 1_000_000_000_00, 0))
	}
	type parties struct{ clients, couriers []ledger.UserID }
	own := make([]parties, modelWorkers)
	perWorker := max(2, nOrders/modelWorkers/40) // about 40 orders per party, whatever the run's size
	for w := range own {
		for i := range perWorker {
			own[w].clients = append(own[w].clients, r.party(pl, "client", 2_000_00, 0))
			own[w].couriers = append(own[w].couriers, r.party(pl, "courier", 3_000_00, ledger.Minor(i%2*800_00)))
		}
	}

	quota := func(w int) int { return nOrders/modelWorkers + map[bool]int{true: 1}[w < nOrders%modelWorkers] }
	workers := make([]*worker, modelWorkers)
	for w := range workers {
		workers[w] = &worker{run: r, w: w, rng: rand.New(rand.NewPCG(seed, uint64(w))), clients: own[w].clients,
			couriers: own[w].couriers, quota: quota(w)}
	}
	start := time.Now()
	phase := func(stepsPerOrder int) {
		var wg sync.WaitGroup
		for _, wk := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range wk.quota * stepsPerOrder {
					if r.failures.Load() > 20 {
						return
					}
					wk.step()
				}
			}()
		}
		wg.Wait()
	}
	// Phase 1: every order entered and moved about; then, with the workers quiet, the sweep finds
	// the orders on the road past their expected time; phase 2 works those cases and the rest.
	phase(5)
	r.sweep()
	phase(5)
	elapsed := time.Since(start)
	t.Logf("actions done/refused by kind: %v", r.stats)
	require.Zero(t, r.failures.Load(), "actions where the portal and the model disagreed (see above); seed %d", seed)

	// Every balance as the model says.
	var diffs []string
	for id, want := range r.m.Accounts {
		got, err := ledger.Balances(r.ctx, pool, ledger.UserID(id))
		require.NoError(t, err)
		w := ledger.UserBalances{Available: ledger.Minor(want.Available), Held: ledger.Minor(want.Held), Deposit: ledger.Minor(want.Deposit), Promo: ledger.Minor(want.Promo)}
		if got != w {
			diffs = append(diffs, fmt.Sprintf("account %d: portal %+v, model %+v", id, got, w))
		}
	}
	require.Empty(t, diffs, "seed %d", seed)
	require.Equal(t, ledger.Minor(r.m.Revenue), revenue()-revenue0, "platform revenue; seed %d", seed)
	// Every order where the model says, and a finished one holds nothing.
	n := 0
	for number, o := range r.m.Orders {
		var status string
		require.NoError(t, pool.QueryRow(r.ctx, `SELECT status FROM orders WHERE number = $1`, number).Scan(&status))
		require.Equal(t, o.Status, status, "order %s; seed %d", number, seed)
		n++
	}
	var openOnFinished int
	require.NoError(t, pool.QueryRow(r.ctx, `SELECT count(*) FROM ledger_holds h JOIN orders o ON o.number = h.order_ref
		WHERE h.state = 'open' AND o.status IN ('delivered', 'cancelled', 'returned', 'lost')`).Scan(&openOnFinished))
	require.Zero(t, openOnFinished, "finished orders holding money; seed %d", seed)
	v, err := ledger.CheckInvariants(r.ctx, pool)
	require.NoError(t, err)
	require.Empty(t, v, "seed %d", seed)
	return result{seed: seed, orders: n, actions: int(r.actions.Load()), refused: int(r.refused.Load()), elapsed: elapsed}
}

var modelPhones atomic.Int64

// party is a client or courier with money and promo credit of their own, in the portal and the model.
func (r *run) party(pl ledger.PlatformAccounts, kind string, money, promo ledger.Minor) ledger.UserID {
	r.t.Helper()
	var id ledger.UserID
	require.NoError(r.t, r.pool.QueryRow(context.Background(), `INSERT INTO accounts (kind, name, phone, card_token, card_last4, card_holder)
		VALUES ($1, $2, $3, 'tok_model', '4242', $2) RETURNING id`,
		kind, kind+" model", fmt.Sprintf("+38063%07d", modelPhones.Add(1))).Scan(&id))
	ua, err := ledger.EnsureUserAccounts(context.Background(), r.pool, id)
	require.NoError(r.t, err)
	require.NoError(r.t, pgx.BeginFunc(context.Background(), r.pool, func(tx pgx.Tx) error {
		if _, err := ledger.Transfer(context.Background(), tx, ledger.TransferRequest{Key: fmt.Sprintf("model-topup:%d", id), Reason: "topup",
			Legs: ledger.Move(pl.GatewayClearing, ua.Available, money)}); err != nil {
			return err
		}
		if promo == 0 {
			return nil
		}
		_, err := ledger.Transfer(context.Background(), tx, ledger.TransferRequest{Key: fmt.Sprintf("model-promo:%d", id), Reason: "promo",
			Legs: ledger.Move(pl.PromoExpense, ua.Promo, promo)})
		return err
	}))
	r.mu.Lock()
	r.m.Fund(int64(id), int64(money), int64(promo))
	r.mu.Unlock()
	return id
}

// sweep runs the overdue sweep a day and more after every expected time, as the River job would.
func (r *run) sweep() {
	r.mu.Lock()
	want := r.m.Sweep()
	r.mu.Unlock()
	moved := 0
	for {
		n, err := lifecycle.Sweep(context.Background(), r.pool, r.now.Add(26*time.Hour))
		require.NoError(r.t, err)
		moved += n
		if n == 0 {
			break
		}
	}
	require.Equal(r.t, len(want), moved, "orders the sweep moved")
	r.actions.Add(1)
}

// worker is one of the 16: its own parties and orders, and a random source.
type worker struct {
	*run
	w                 int
	rng               *rand.Rand
	clients, couriers []ledger.UserID
	quota             int
	mine              []string
}

var statuses = []orders.Status{orders.Created, orders.Deal, orders.PickedUp, orders.Delivered, orders.Cancelled,
	orders.InModeration, orders.Returned, orders.Lost}

// step takes one random action, allowed or not, and checks the portal did what the model said.
func (wk *worker) step() {
	rng := wk.rng
	if len(wk.mine) < wk.quota && (len(wk.mine) == 0 || rng.IntN(4) == 0) {
		wk.create()
		return
	}
	number := wk.mine[rng.IntN(len(wk.mine))]
	wk.mu.Lock()
	o := *wk.m.Orders[number]
	wk.mu.Unlock()
	if model.Finished(o.Status) && o.Status != "delivered" && rng.IntN(4) > 0 {
		// Mostly work live orders; a finished one now and then, where everything is refused.
		number = wk.mine[rng.IntN(len(wk.mine))]
		wk.mu.Lock()
		o = *wk.m.Orders[number]
		wk.mu.Unlock()
	}
	p := rng.IntN(100)
	if o.Status == "in_moderation" && p < 60 {
		p = 70 // a decision
	}
	switch {
	case p < 45: // the orders page: mostly the next step of the main line, sometimes anything
		to := statuses[rng.IntN(len(statuses))]
		if rng.IntN(3) > 0 {
			to = map[string]orders.Status{"created": orders.Deal, "deal": orders.PickedUp, "picked_up": orders.Delivered}[o.Status]
			if to == "" {
				to = statuses[rng.IntN(len(statuses))]
			}
		}
		var courier ledger.UserID
		if to == orders.Deal || rng.IntN(10) == 0 {
			courier = wk.courier()
		}
		before := wk.failures.Load()
		wk.act(fmt.Sprintf("move %s %s→%s courier %d", number, o.Status, to, courier),
			func() error { return wk.m.Move(number, string(to), int64(courier)) },
			func() error {
				return lifecycle.Move(wk.ctx, wk.pool, number, orders.MoveRequest{To: to, CourierID: int64(courier), Note: "model"}, wk.now)
			})
		if wk.failures.Load() != before {
			wk.explain(number, o, int64(courier), int64(o.Courier), int64(o.Client))
		}
	case p < 52: // a cancellation by the client on the orders page
		wk.act(fmt.Sprintf("cancel %s %s", number, o.Status),
			func() error { return wk.m.Move(number, "cancelled", 0) },
			func() error {
				return lifecycle.Move(wk.ctx, wk.pool, number, orders.MoveRequest{To: orders.Cancelled}, wk.now)
			})
	case p < 67: // the moderation desk opens a case
		reason := lifecycle.Reasons[1+rng.IntN(len(lifecycle.Reasons)-1)]
		if rng.IntN(3) == 0 {
			reason = "weight_dispute"
		}
		wk.act(fmt.Sprintf("open %s %s from %s", number, reason, o.Status),
			func() error { return wk.m.Open(number, reason) },
			func() error { _, err := lifecycle.Open(wk.ctx, wk.pool, number, reason, wk.now); return err })
	case p < 92: // a decision on the order's case (or on none)
		outcome := lifecycle.OutcomeNames[rng.IntN(len(lifecycle.OutcomeNames))]
		if o.CaseReason == "weight_dispute" && rng.IntN(2) == 0 {
			outcome = []string{"weight_accepted", "weight_refused"}[rng.IntN(2)]
		}
		var grams int64
		switch rng.IntN(4) {
		case 0:
			grams = o.Grams + o.Grams/10 // within ±20 %
		case 1, 2:
			grams = []int64{o.Grams * 2, o.Grams / 2, o.Grams*3/2 + 500}[rng.IntN(3)]
			grams = min(max(grams, 100), 30_000)
		}
		caseID := wk.caseOf(number)
		wk.act(fmt.Sprintf("decide %s case %d (%s from %s) %s %d g", number, caseID, o.CaseReason, o.CaseFrom, outcome, grams),
			func() error { return wk.m.Decide(number, outcome, grams) },
			func() error {
				if caseID == 0 {
					return apperr.New(apperr.NotFound, "moderation.not_found")
				}
				return lifecycle.Decide(wk.ctx, wk.pool, caseID, lifecycle.Decision{Outcome: outcome, RealGrams: grams}, wk.now)
			})
	case p < 96: // a complaint decision between the worker's parties
		wk.complaint()
	default: // a payout request
		wk.payout()
	}
}

// courier picks one of the worker's couriers or a shared rich one.
func (wk *worker) courier() ledger.UserID {
	if wk.rng.IntN(4) == 0 {
		return wk.richK[wk.rng.IntN(len(wk.richK))]
	}
	return wk.couriers[wk.rng.IntN(len(wk.couriers))]
}

func (wk *worker) create() {
	rng := wk.rng
	client := wk.clients[rng.IntN(len(wk.clients))]
	if rng.IntN(4) == 0 {
		client = wk.rich[rng.IntN(len(wk.rich))]
	}
	in := orders.Input{ClientID: int64(client), SenderName: "Олена", SenderPhone: "+380501112233", SenderAddress: "Київ",
		RecipientName: "Петро", RecipientPhone: "+380501112234", RecipientAddress: "Львів", Item: "книги",
		WeightGrams: int64(300 + rng.IntN(25_000)), DeclaredValue: int64(rng.IntN(1_500_00)), NoPromo: rng.IntN(5) == 0}
	expected := rng.IntN(2) == 0
	if expected {
		in.ExpectedAt = wk.now.Add(time.Hour)
	}
	var number string
	var modelErr error
	// The number is the portal's: the model learns it from the created order.
	o, err := lifecycle.Create(wk.ctx, wk.pool, in, wk.now)
	wk.mu.Lock()
	if err == nil {
		number = o.Number
		modelErr = wk.m.Place(number, int64(client), in.WeightGrams, in.DeclaredValue, in.NoPromo, expected)
	} else {
		modelErr = wk.m.Place("refused", int64(client), in.WeightGrams, in.DeclaredValue, in.NoPromo, expected)
		delete(wk.m.Orders, "refused")
	}
	wk.mu.Unlock()
	wk.compare(fmt.Sprintf("create for client %d, %d g", client, in.WeightGrams), modelErr, err)
	if err == nil && modelErr == nil {
		wk.mine = append(wk.mine, number)
	}
}

// complaint registers a complaint between two parties and decides it with a refund, a
// compensation or a penalty, as the complaints desk does.
func (wk *worker) complaint() {
	rng := wk.rng
	complainant := wk.clients[rng.IntN(len(wk.clients))]
	respondent := wk.couriers[rng.IntN(len(wk.couriers))]
	if rng.IntN(2) == 0 {
		complainant, respondent = respondent, complainant
	}
	var cph, rph string
	require.NoError(wk.t, wk.pool.QueryRow(wk.ctx, `SELECT (SELECT phone FROM accounts WHERE id = $1), (SELECT phone FROM accounts WHERE id = $2)`,
		int64(complainant), int64(respondent)).Scan(&cph, &rph))
	yesterday := wk.now.Add(-24 * time.Hour).In(wk.store.Loc)
	reg, err := wk.store.Register(wk.ctx, complaints.Intake{ComplainantName: "Олена Клієнтка", ComplainantBirth: "1990-05-17",
		ComplainantLogin: cph, RespondentLogin: rph, ActionDate: yesterday.Format("2006-01-02"), ActionTime: "10:00",
		ActionPlace: "Київ", ActionDetails: "Посилку пошкоджено", Grounds: "Договір", Demands: []string{"Повернути гроші"}}, nil, 0)
	if err != nil {
		wk.fail("register a complaint: %v", err)
		return
	}
	kind := []complaints.ActionKind{complaints.ActRefund, complaints.ActCompensation, complaints.ActPenalty}[rng.IntN(3)]
	amount := int64(1_00 + rng.IntN(300_00))
	wk.mu.Lock()
	switch kind {
	case complaints.ActRefund:
		wk.m.Refund(int64(respondent), int64(complainant), amount)
	case complaints.ActCompensation:
		wk.m.Compensation(int64(complainant), amount)
	default:
		wk.m.Penalty(int64(respondent), amount)
	}
	wk.mu.Unlock()
	err = wk.store.Decide(wk.ctx, reg.ID, complaints.Decision{Outcome: complaints.Upheld, Reasoning: "Підтверджено",
		Actions: []complaints.Action{{Kind: kind, Amount: amount}}})
	wk.compare(fmt.Sprintf("complaint %s %d", kind, amount), nil, err)
}

// payout requests a payout for one of the worker's parties (below the approval threshold: approved
// and queued; its job does not run here, so the money waits in payouts pending) or a large one for a
// rich party, which waits for a second officer, who refuses it: the money comes back.
func (wk *worker) payout() {
	rng := wk.rng
	user := append(append([]ledger.UserID{}, wk.clients...), wk.couriers...)[rng.IntN(len(wk.clients)+len(wk.couriers))]
	amount := int64(1_00 + rng.IntN(1_500_00))
	big := rng.IntN(3) == 0
	if big {
		user, amount = wk.rich[rng.IntN(len(wk.rich))], 6_000_00+int64(rng.IntN(1000_00))
	}
	var modelErr error
	var id int64
	wk.act(fmt.Sprintf("payout %d for %d", amount, user),
		func() error { modelErr = wk.m.Payout(int64(user), amount); return modelErr },
		func() error {
			p, err := payouts.Place(wk.ctx, wk.pool, noJobs{}, payouts.Request{AccountID: int64(user), Amount: amount})
			id = p.ID
			return err
		})
	if !big || modelErr != nil || id == 0 {
		return
	}
	wk.act(fmt.Sprintf("payout %d refused", id),
		func() error { wk.m.PayoutReturned(int64(user), amount); return nil },
		func() error { _, err := payouts.Refuse(wk.checker, wk.pool, id, "model: not this time"); return err })
}

// noJobs takes the payout job and runs nothing: the payment itself is the payouts desk's test.
type noJobs struct{}

func (noJobs) InsertTx(context.Context, pgx.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return nil, nil
}

func (noJobs) InsertManyTx(context.Context, pgx.Tx, []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	return nil, nil
}

// caseOf is the order's open case in the portal (0: none).
func (wk *worker) caseOf(number string) int64 {
	var id int64
	err := wk.pool.QueryRow(wk.ctx, `SELECT c.id FROM moderation_cases c JOIN orders o ON o.id = c.order_id
		WHERE o.number = $1 AND c.state = 'open'`, number).Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		wk.fail("case of %s: %v", number, err)
	}
	return id
}

// act runs the model's answer and the portal's and compares them. The model goes first, under the
// lock; an action it refuses has left it unchanged.
func (wk *worker) act(what string, inModel, inPortal func() error) {
	wk.mu.Lock()
	modelErr := inModel()
	wk.mu.Unlock()
	wk.compare(what, modelErr, inPortal())
}

func (wk *worker) compare(what string, modelErr, portalErr error) {
	wk.actions.Add(1)
	kind := strings.Fields(what)[0]
	if kind == "decide" || kind == "open" {
		kind += " " + strings.Fields(what)[map[string]int{"decide": 7, "open": 2}[kind]]
	}
	wk.statsMu.Lock()
	wk.stats[kind+map[bool]string{true: " done", false: " refused"}[portalErr == nil]]++
	wk.statsMu.Unlock()
	var refused model.Refused
	var fe orders.FieldErrors
	if errors.As(portalErr, &fe) {
		portalErr = apperr.InvalidField("form", fe.Error()) // the form's mistakes: a refusal
	}
	if modelErr != nil && !errors.As(modelErr, &refused) {
		wk.fail("%s: model: %v", what, modelErr)
		return
	}
	switch code := apperr.CodeOf(portalErr); {
	case modelErr == nil && portalErr == nil:
	case modelErr != nil && portalErr != nil && (code == apperr.Conflict || code == apperr.Invalid || code == apperr.NotFound):
		wk.refused.Add(1)
	case modelErr == nil:
		wk.fail("%s: the model allows it, the portal said %v", what, portalErr)
	case portalErr == nil:
		wk.fail("%s: the model refuses it (%s), the portal did it", what, refused.Why)
	default:
		wk.fail("%s: refused with an unexpected error: %v", what, portalErr)
	}
}

// explain logs what the model and the portal hold for the parties of a disagreement.
func (wk *worker) explain(number string, o model.Order, users ...int64) {
	wk.t.Logf("order %s in the model before the action: %+v", number, o)
	for _, u := range users {
		if u == 0 {
			continue
		}
		got, err := ledger.Balances(context.Background(), wk.pool, ledger.UserID(u))
		wk.mu.Lock()
		want := wk.m.Accounts[u]
		wk.mu.Unlock()
		wk.t.Logf("account %d: portal %+v (%v), model %+v", u, got, err, want)
	}
}

func (wk *worker) fail(format string, args ...any) {
	wk.failures.Add(1)
	wk.t.Errorf("worker %d: "+format, append([]any{wk.w}, args...)...)
}
