package payouts

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/notify"
)

// Payout is a payout as staff see it.
type Payout struct {
	ID             int64      `json:"id"`
	Reference      string     `json:"reference"`
	AccountID      int64      `json:"account_id"`
	AccountName    string     `json:"-"`
	Amount         int64      `json:"amount"`
	Currency       string     `json:"currency"`
	CardToken      string     `json:"-"`
	CardLast4      string     `json:"card_last4"`
	CardHolder     string     `json:"card_holder"`
	AccountHolder  string     `json:"account_holder"`
	HolderMatch    bool       `json:"holder_match"`
	OverrideReason string     `json:"override_reason,omitempty"`
	State          State      `json:"state"`
	NeedsApproval  bool       `json:"needs_approval"`
	RequestedBy    int64      `json:"requested_by"`
	RequestedName  string     `json:"-"`
	RequestedAt    time.Time  `json:"requested_at"`
	ApprovedBy     *int64     `json:"approved_by,omitempty"`
	ApprovedName   string     `json:"-"`
	ApprovedAt     *time.Time `json:"approved_at,omitempty"`
	RefusedBy      *int64     `json:"refused_by,omitempty"`
	RefuseReason   string     `json:"refuse_reason,omitempty"`
	GatewayStatus  string     `json:"gateway_status,omitempty"`
	GatewayCode    *int       `json:"gateway_code,omitempty"`
	GatewayReason  string     `json:"gateway_reason,omitempty"`
	GatewayFee     int64      `json:"gateway_fee"`
	Attempts       int        `json:"attempts"`
	LastError      string     `json:"last_error,omitempty"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	FinishedAt     *time.Time `json:"finished_at,omitempty"`
}

const columns = `p.id, p.reference, p.account_id, a.name, p.amount, p.currency, p.card_token, p.card_last4, p.card_holder,
	p.account_holder, p.holder_match, coalesce(p.override_reason, ''), p.state, p.needs_approval, p.requested_by, rs.name,
	p.requested_at, p.approved_by, coalesce(aps.name, ''), p.approved_at, p.refused_by, coalesce(p.refuse_reason, ''),
	p.gateway_status, p.gateway_code, p.gateway_reason, p.gateway_fee, p.attempts, p.last_error, p.sent_at, p.finished_at`

const from = ` FROM payouts p JOIN accounts a ON a.id = p.account_id JOIN staff rs ON rs.id = p.requested_by
	LEFT JOIN staff aps ON aps.id = p.approved_by `

func scan(row pgx.CollectableRow) (Payout, error) {
	var p Payout
	err := row.Scan(&p.ID, &p.Reference, &p.AccountID, &p.AccountName, &p.Amount, &p.Currency, &p.CardToken, &p.CardLast4,
		&p.CardHolder, &p.AccountHolder, &p.HolderMatch, &p.OverrideReason, &p.State, &p.NeedsApproval, &p.RequestedBy,
		&p.RequestedName, &p.RequestedAt, &p.ApprovedBy, &p.ApprovedName, &p.ApprovedAt, &p.RefusedBy, &p.RefuseReason,
		&p.GatewayStatus, &p.GatewayCode, &p.GatewayReason, &p.GatewayFee, &p.Attempts, &p.LastError, &p.SentAt, &p.FinishedAt)
	return p, err
}

// ExecuteArgs is the job that pays one approved payout (jobs/payouts_execute.go runs it).
type ExecuteArgs struct {
	PayoutID int64 `json:"payout_id"`
}

func (ExecuteArgs) Kind() string { return "payouts_execute" }

// InsertOpts: one live job per payout, whatever the number of clicks; a payout whose answer stays
// unknown keeps trying for about a day before staff are asked to look (see Recheck).
func (ExecuteArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 15, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// Queue is the payouts' own River queue, so a slow gateway never holds up other jobs.
const Queue = "payouts"

// Threshold is the amount above which a payout needs a second officer (settings
// payouts.approval_threshold, minor units).
func Threshold(ctx context.Context, q db.Querier) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT (value #>> '{}')::bigint FROM settings WHERE key = 'payouts.approval_threshold'), 500000)`).Scan(&v)
	return v, err
}

// Request is what an officer enters.
type Request struct {
	AccountID int64
	Amount    int64
	// Override is the reason for paying to a card whose holder is not the account holder; only
	// officers with payouts:override may give one (the handler checks).
	Override string
	// Key is the idempotency key issued with the request form: a second request with the same key
	// from the same officer (a double click, a retried POST) returns the first payout.
	Key string
}

// Place records the request, moves the amount from the user's available balance to payouts
// pending, and — when no second officer is needed — queues the payment job, all in one transaction.
func Place(ctx context.Context, pool *pgxpool.Pool, jobs enqueue.Inserter, req Request) (Payout, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Payout{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	if req.Amount <= 0 {
		return Payout{}, apperr.InvalidField("amount", "payouts.amount_positive")
	}
	req.Override = strings.TrimSpace(req.Override)
	req.Key = strings.TrimSpace(req.Key)
	if len(req.Key) > 200 {
		return Payout{}, apperr.InvalidField("", "payouts.bad_key")
	}
	if p, found, err := byKey(ctx, pool, a.ID, req); found || err != nil {
		return p, err
	}
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := accounts.CheckFunction(ctx, tx, accounts.ID(req.AccountID), accounts.FnPayouts); err != nil {
			return err
		}
		var name, token, last4, holder, currency string
		err := tx.QueryRow(ctx, `SELECT name, coalesce(card_token, ''), coalesce(card_last4, ''), coalesce(card_holder, ''), ledger_currency()
			FROM accounts WHERE id = $1 FOR SHARE`, req.AccountID).Scan(&name, &token, &last4, &holder, &currency)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.InvalidField("account", "payouts.account_not_found")
		}
		if err != nil {
			return err
		}
		if token == "" || last4 == "" {
			return apperr.InvalidField("account", "payouts.no_card")
		}
		match := HolderMatches(holder, name)
		if !match && req.Override == "" {
			return apperr.InvalidField("override", "payouts.holder_mismatch")
		}
		if match {
			req.Override = ""
		}
		acc, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(req.AccountID))
		if err != nil {
			return err
		}
		bal, err := ledger.Balances(ctx, tx, ledger.UserID(req.AccountID))
		if err != nil {
			return err
		}
		if ledger.Minor(req.Amount) > bal.Available {
			return apperr.InvalidField("amount", "payouts.insufficient")
		}
		threshold, err := Threshold(ctx, tx)
		if err != nil {
			return err
		}
		needs := req.Amount > threshold
		state := Approved
		if needs {
			state = PendingApproval
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO payouts (account_id, amount, currency, card_token, card_last4, card_holder, account_holder, holder_match,
				override_reason, state, needs_approval, requested_by, approved_by, approved_at, request_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, ''), $10, $11, $12, NULL, CASE WHEN NOT $11 THEN now() END, nullif($13, ''))
			RETURNING id`,
			req.AccountID, req.Amount, currency, token, last4, holder, name, match, req.Override, state, needs, a.ID, req.Key).Scan(&id); err != nil {
			return err
		}
		plat, err := ledger.Platform(ctx, tx)
		if err != nil {
			return err
		}
		t, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{
			Key: placeKey(id), Reason: "payout_placed", Legs: ledger.Move(acc.Available, plat.PayoutsPending, ledger.Minor(req.Amount)),
			Links: ledger.Links{PayoutID: id}, CreatedBy: ledger.StaffID(a.ID)})
		if err != nil {
			if apperr.MessageOf(err) == ledger.ErrInsufficient {
				return apperr.InvalidField("amount", "payouts.insufficient")
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE payouts SET place_transfer = $2 WHERE id = $1`, id, t.ID); err != nil {
			return err
		}
		if !needs {
			if err := queuePayoutTx(ctx, tx, jobs, id); err != nil {
				return err
			}
		}
		p, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "payout.requested", "payout", id, nil, p)
	})
	if db.IsUniqueViolation(err, "payouts_request_key_idx") {
		// A concurrent submission of the same form won (the index made this one wait for it).
		if p, found, err := byKey(ctx, pool, a.ID, req); found || err != nil {
			return p, err
		}
	}
	if err != nil {
		return Payout{}, err
	}
	return Get(ctx, pool, id)
}

// byKey finds the payout an officer already placed with the request's key. The same key with
// another account or amount is not a repeat but a mistake, and is refused.
func byKey(ctx context.Context, q db.Querier, staff int64, req Request) (Payout, bool, error) {
	if req.Key == "" {
		return Payout{}, false, nil
	}
	var id, account, amount int64
	err := q.QueryRow(ctx, `SELECT id, account_id, amount FROM payouts WHERE requested_by = $1 AND request_key = $2`, staff, req.Key).
		Scan(&id, &account, &amount)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payout{}, false, nil
	}
	if err != nil {
		return Payout{}, false, err
	}
	if account != req.AccountID || amount != req.Amount {
		return Payout{}, true, apperr.New(apperr.Conflict, "payouts.key_reused")
	}
	p, err := Get(ctx, q, id)
	return p, true, err
}

func placeKey(id int64) string  { return "payout:" + strconv.FormatInt(id, 10) + ":place" }
func paidKey(id int64) string   { return "payout:" + strconv.FormatInt(id, 10) + ":paid" }
func returnKey(id int64) string { return "payout:" + strconv.FormatInt(id, 10) + ":return" }

func queuePayoutTx(ctx context.Context, tx pgx.Tx, jobs enqueue.Inserter, id int64) error {
	if jobs == nil {
		return errors.New("payouts: no job queue to send the payout")
	}
	_, err := jobs.InsertTx(ctx, tx, ExecuteArgs{PayoutID: id}, nil)
	return err
}

// Approve lets a second officer release a payout above the threshold. The requester can never
// approve their own request (maker–checker; the database refuses it too).
func Approve(ctx context.Context, pool *pgxpool.Pool, jobs enqueue.Inserter, id int64) (Payout, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Payout{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		before, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.State != PendingApproval {
			return apperr.New(apperr.Conflict, "payouts.not_pending")
		}
		if before.RequestedBy == a.ID {
			return apperr.New(apperr.Forbidden, "payouts.own_request")
		}
		if _, err := tx.Exec(ctx, `UPDATE payouts SET state = 'approved', approved_by = $2, approved_at = now(), updated_at = now() WHERE id = $1`, id, a.ID); err != nil {
			return err
		}
		if err := queuePayoutTx(ctx, tx, jobs, id); err != nil {
			return err
		}
		after, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "payout.approved", "payout", id, before, after)
	})
	if err != nil {
		return Payout{}, err
	}
	return Get(ctx, pool, id)
}

// Refuse turns down a payout awaiting approval: its money goes back to the user's available
// balance and the user is told.
func Refuse(ctx context.Context, pool *pgxpool.Pool, id int64, reason string) (Payout, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Payout{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Payout{}, apperr.InvalidField("reason", "payouts.reason_required")
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		before, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.State != PendingApproval {
			return apperr.New(apperr.Conflict, "payouts.not_pending")
		}
		tr, err := giveBack(ctx, tx, before, ledger.StaffID(a.ID))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE payouts SET state = 'refused', refused_by = $2, refused_at = now(), refuse_reason = $3,
			result_transfer = $4, finished_at = now(), updated_at = now() WHERE id = $1`, id, a.ID, reason, tr); err != nil {
			return err
		}
		if err := tell(ctx, tx, before, "refused", reason); err != nil {
			return err
		}
		after, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "payout.refused", "payout", id, before, after)
	})
	if err != nil {
		return Payout{}, err
	}
	return Get(ctx, pool, id)
}

// giveBack moves a payout's money from payouts pending back to the user's available balance.
func giveBack(ctx context.Context, tx pgx.Tx, p Payout, by ledger.StaffID) (ledger.TransferID, error) {
	acc, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(p.AccountID))
	if err != nil {
		return 0, err
	}
	plat, err := ledger.Platform(ctx, tx)
	if err != nil {
		return 0, err
	}
	t, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: returnKey(p.ID), Reason: "payout_returned",
		Legs: ledger.Move(plat.PayoutsPending, acc.Available, ledger.Minor(p.Amount)), Links: ledger.Links{PayoutID: p.ID}, CreatedBy: by})
	return t.ID, err
}

// tell writes the user's notice to the outbox (why: "refused" or "failed").
func tell(ctx context.Context, tx pgx.Tx, p Payout, why, reason string) error {
	_, err := notify.EnqueueTx(ctx, tx, notify.Notice{AccountID: p.AccountID, Template: "payout_returned",
		Cause: "payout:" + p.Reference, Data: map[string]any{"name": p.AccountHolder, "reference": p.Reference,
			"amount": ledger.Minor(p.Amount).String(), "currency": p.Currency, "card": p.CardLast4, "why": why, "reason": reason}})
	return err
}

// DefaultJobTimeout is how long one run of the payment job may take (two gateway calls and the
// database work); jobs.Options.PayoutTimeout overrides it. A job still "running" longer than this
// has lost its worker: its context was cancelled, so only a dead process leaves it so.
const DefaultJobTimeout = time.Minute

// Rechecked says what "check again" did.
type Rechecked string

const (
	RecheckQueued  Rechecked = "queued"  // a new job was queued
	RecheckMoved   Rechecked = "moved"   // the waiting (or abandoned) job was moved to run now
	RecheckRunning Rechecked = "running" // a job is running it now; nothing to add
)

// Recheck queues the payment job again for a payout whose gateway answer stayed unknown, or whose
// job was left behind by a crashed process: the job asks the gateway's status first, so this never
// pays twice. A job already waiting for its retry is moved to run now, and one left "running" by a
// dead worker (longer than stuckAfter) is handed back to the queue without waiting for River's
// rescuer. (Before, the unique job options silently skipped the insert and staff were told the
// check was queued when nothing was.)
func Recheck(ctx context.Context, pool *pgxpool.Pool, jobs enqueue.Inserter, id int64, stuckAfter time.Duration) (Rechecked, error) {
	if stuckAfter <= 0 {
		stuckAfter = DefaultJobTimeout
	}
	var out Rechecked
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		p, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.State != Sending && p.State != Approved {
			return apperr.New(apperr.Conflict, "payouts.not_unknown")
		}
		if jobs == nil {
			return errors.New("payouts: no job queue to send the payout")
		}
		res, err := jobs.InsertTx(ctx, tx, ExecuteArgs{PayoutID: id}, nil)
		if err != nil {
			return err
		}
		out = RecheckQueued
		if res.UniqueSkippedAsDuplicate {
			tag, err := tx.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
				WHERE id = $1 AND (state IN ('retryable', 'scheduled', 'available')
					OR state = 'running' AND attempted_at < now() - make_interval(secs => $2))`,
				res.Job.ID, stuckAfter.Seconds())
			if err != nil {
				return err
			}
			out = RecheckMoved
			if tag.RowsAffected() == 0 {
				out = RecheckRunning
			}
		}
		return audit.Record(ctx, tx, "payout.rechecked", "payout", id, nil, map[string]any{"job": string(out)})
	})
	return out, err
}

// Get returns one payout, as the viewer may see it.
func Get(ctx context.Context, q db.Querier, id int64) (Payout, error) {
	p, err := get(ctx, q, id)
	return masked(ctx, p), err
}

func get(ctx context.Context, q db.Querier, id int64) (Payout, error) {
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE p.id = $1`, id)
	if err != nil {
		return Payout{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payout{}, apperr.New(apperr.NotFound, "payouts.not_found")
	}
	return p, err
}

// lock reads a payout and locks its row until tx ends, in one round trip.
func lock(ctx context.Context, tx pgx.Tx, id int64) (Payout, error) {
	rows, err := tx.Query(ctx, `SELECT `+columns+from+` WHERE p.id = $1 FOR UPDATE OF p`, id)
	if err != nil {
		return Payout{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payout{}, apperr.New(apperr.NotFound, "payouts.not_found")
	}
	return p, err
}

// Filter narrows List.
type Filter struct {
	State   State
	Account int64
	Before  int64 // keyset: payouts with a smaller id
	Limit   int
}

// List returns payouts newest first, a page at a time, and the cursor of the next page (0: none).
func List(ctx context.Context, q db.Querier, f Filter) ([]Payout, int64, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args := pgx.NamedArgs{"limit": f.Limit + 1}
	where := "true"
	if f.State != "" {
		where += " AND p.state = @state"
		args["state"] = f.State
	}
	if f.Account != 0 {
		where += " AND p.account_id = @account"
		args["account"] = f.Account
	}
	if f.Before != 0 {
		where += " AND p.id < @before"
		args["before"] = f.Before
	}
	rows, err := q.Query(ctx, `SELECT `+columns+from+` WHERE `+where+` ORDER BY p.id DESC LIMIT @limit`, args)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, 0, err
	}
	for i := range list {
		list[i] = masked(ctx, list[i])
	}
	var next int64
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

// Counts are how many payouts are in each state, for the list's tabs.
func Counts(ctx context.Context, q db.Querier) (map[State]int, error) {
	rows, err := q.Query(ctx, `SELECT state, count(*) FROM payouts GROUP BY state`)
	if err != nil {
		return nil, err
	}
	out := map[State]int{}
	var (
		s State
		n int
	)
	_, err = pgx.ForEachRow(rows, []any{&s, &n}, func() error { out[s] = n; return nil })
	return out, err
}

// masked applies the viewer's field rules for accounts' card fields to a payout's snapshot of them.
func masked(ctx context.Context, p Payout) Payout {
	v := actor.ViewOf(ctx)
	p.CardHolder = v.Apply("account", "card_holder", p.CardHolder)
	p.CardLast4 = v.Apply("account", "card_last4", p.CardLast4)
	p.AccountHolder = v.Apply("account", "name", p.AccountHolder)
	p.AccountName = v.Apply("account", "name", p.AccountName)
	return p
}

// CardHolder reads the account holder's name and the name on the saved card ("" when none).
func CardHolder(ctx context.Context, q db.Querier, account int64) (string, string, error) {
	var name, holder string
	err := q.QueryRow(ctx, `SELECT name, coalesce(card_holder, '') FROM accounts WHERE id = $1`, account).Scan(&name, &holder)
	return name, holder, err
}
