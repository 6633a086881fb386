package accounts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/notify"
)

// Function is something an account can do on the platform that a block can stop on its own.
type Function string

const (
	FnLogin        Function = "login"
	FnPlaceOrders  Function = "place_orders"
	FnAcceptOrders Function = "accept_orders"
	FnPayouts      Function = "payouts"
	FnAPI          Function = "api"
)

// Functions lists every blockable function, in the order forms show them.
var Functions = []Function{FnLogin, FnPlaceOrders, FnAcceptOrders, FnPayouts, FnAPI}

// Reasons a block may give (RULES.md §5). A complaint decision names the complaint.
var Reasons = []string{"agreement_breach", "law", "system_threat", "duplicate", "false_data", "complaint_decision"}

// Block is one block, active or lifted. No functions means the whole account.
type Block struct {
	ID            int64
	AccountID     ID
	Functions     []Function
	Reason        string
	ComplaintRef  string
	Note          string
	StartsAt      time.Time
	EndsAt        *time.Time
	CreatedBy     string // staff name
	CreatedAt     time.Time
	LiftedAt      *time.Time
	LiftedBy      string // staff name; empty with LiftedAt set means the end date lifted it
	LiftNote      string
	LiftedByStaff bool
}

// Whole tells whether the block stops the whole account.
func (b Block) Whole() bool { return len(b.Functions) == 0 }

// Active tells whether the block is in force at now.
func (b Block) Active(now time.Time) bool {
	return b.LiftedAt == nil && (b.EndsAt == nil || b.EndsAt.After(now))
}

// BlockRequest is what staff fill in to block.
type BlockRequest struct {
	AccountID    ID
	Whole        bool
	Functions    []Function
	Reason       string
	ComplaintRef string
	Note         string
	EndsAt       *time.Time
	// Notify sends the user a notice by e-mail and SMS (the default on the form).
	Notify bool
	// Now is the moment the block takes effect, from the portal's clock: an end date must lie
	// after it.
	Now time.Time
}

// MaxNote is the longest free-text note a block or lift may carry.
const MaxNote = 2000

// Validate checks the request against the rules; now is the moment it would take effect.
func (r *BlockRequest) Validate(now time.Time) error {
	if r.Whole {
		r.Functions = nil
	} else {
		if len(r.Functions) == 0 {
			return apperr.InvalidField("functions", "accounts.block.functions_required")
		}
		for _, f := range r.Functions {
			if !slices.Contains(Functions, f) {
				return apperr.InvalidField("functions", "accounts.block.functions_required")
			}
		}
		slices.Sort(r.Functions)
		r.Functions = slices.Compact(r.Functions)
	}
	if !slices.Contains(Reasons, r.Reason) {
		return apperr.InvalidField("reason", "accounts.block.reason_required")
	}
	r.ComplaintRef = strings.TrimSpace(r.ComplaintRef)
	if r.Reason == "complaint_decision" && r.ComplaintRef == "" {
		return apperr.InvalidField("complaint_ref", "accounts.block.complaint_required")
	}
	r.Note = strings.TrimSpace(r.Note)
	if len([]rune(r.Note)) > MaxNote {
		return apperr.InvalidField("note", "accounts.block.note_long")
	}
	if r.EndsAt != nil && !r.EndsAt.After(now) {
		return apperr.InvalidField("ends_at", "accounts.block.end_in_past")
	}
	return nil
}

const blockColumns = `b.id, b.account_id, b.functions, b.reason, b.complaint_ref, b.note, b.starts_at, b.ends_at,
	coalesce(cs.name, ''), b.created_at, b.lifted_at, coalesce(ls.name, ''), b.lift_note, b.lifted_by IS NOT NULL`

const blockFrom = ` FROM account_blocks b LEFT JOIN staff cs ON cs.id = b.created_by LEFT JOIN staff ls ON ls.id = b.lifted_by `

func scanBlock(row pgx.CollectableRow) (Block, error) {
	var b Block
	var fns []string
	err := row.Scan(&b.ID, &b.AccountID, &fns, &b.Reason, &b.ComplaintRef, &b.Note, &b.StartsAt, &b.EndsAt,
		&b.CreatedBy, &b.CreatedAt, &b.LiftedAt, &b.LiftedBy, &b.LiftNote, &b.LiftedByStaff)
	for _, f := range fns {
		b.Functions = append(b.Functions, Function(f))
	}
	return b, err
}

// Blocks is an account's block history, newest first.
func Blocks(ctx context.Context, q db.Querier, account ID) ([]Block, error) {
	rows, err := q.Query(ctx, `SELECT `+blockColumns+blockFrom+`WHERE b.account_id = $1 ORDER BY b.id DESC`, account)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanBlock)
}

// GetBlock loads one block.
func GetBlock(ctx context.Context, q db.Querier, id int64) (Block, error) {
	rows, err := q.Query(ctx, `SELECT `+blockColumns+blockFrom+`WHERE b.id = $1`, id)
	if err != nil {
		return Block{}, err
	}
	b, err := pgx.CollectExactlyOneRow(rows, scanBlock)
	if errors.Is(err, pgx.ErrNoRows) {
		return Block{}, apperr.New(apperr.NotFound, "error.not_found")
	}
	return b, err
}

// BlockTx blocks the account (or some of its functions) on tx: the block, the account's status,
// the audit entry and the user's notice are written together.
func BlockTx(ctx context.Context, tx pgx.Tx, r BlockRequest) (Block, error) {
	if r.Now.IsZero() {
		return Block{}, errors.New("accounts: BlockRequest.Now is not set")
	}
	if err := r.Validate(r.Now); err != nil {
		return Block{}, err
	}
	var status, name string
	err := tx.QueryRow(ctx, `SELECT status, name FROM accounts WHERE id = $1 FOR UPDATE`, r.AccountID).Scan(&status, &name)
	if errors.Is(err, pgx.ErrNoRows) {
		return Block{}, apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return Block{}, err
	}
	if status == "deleted" {
		return Block{}, apperr.New(apperr.Conflict, "accounts.deleted_refused")
	}
	var createdBy *int64
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		createdBy = &a.ID
	}
	fns := make([]string, len(r.Functions))
	for i, f := range r.Functions {
		fns[i] = string(f)
	}
	var id int64
	if err := tx.QueryRow(ctx, `
		INSERT INTO account_blocks (account_id, functions, reason, complaint_ref, note, starts_at, ends_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.AccountID, fns, r.Reason, r.ComplaintRef, r.Note, r.Now, r.EndsAt, createdBy).Scan(&id); err != nil {
		return Block{}, err
	}
	if err := syncStatus(ctx, tx, r.AccountID); err != nil {
		return Block{}, err
	}
	b, err := GetBlock(ctx, tx, id)
	if err != nil {
		return Block{}, err
	}
	if err := audit.Record(ctx, tx, "accounts.block", Record, r.AccountID, nil, auditBlock(b)); err != nil {
		return Block{}, err
	}
	if r.Notify {
		if err := noticeTx(ctx, tx, "account_blocked", b, name); err != nil {
			return Block{}, err
		}
	}
	return b, nil
}

// LiftTx unblocks: a staff member lifts an active block with a note saying why.
func LiftTx(ctx context.Context, tx pgx.Tx, blockID int64, note string, notifyUser bool) (Block, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return Block{}, apperr.InvalidField("lift_note", "accounts.block.lift_note_required")
	}
	if len([]rune(note)) > MaxNote {
		return Block{}, apperr.InvalidField("lift_note", "accounts.block.note_long")
	}
	before, err := GetBlock(ctx, tx, blockID)
	if err != nil {
		return Block{}, err
	}
	var name string
	if err := tx.QueryRow(ctx, `SELECT name FROM accounts WHERE id = $1 FOR UPDATE`, before.AccountID).Scan(&name); err != nil {
		return Block{}, err
	}
	var by *int64
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		by = &a.ID
	}
	tag, err := tx.Exec(ctx, `UPDATE account_blocks SET lifted_at = now(), lifted_by = $2, lift_note = $3 WHERE id = $1 AND lifted_at IS NULL`,
		blockID, by, note)
	if err != nil {
		return Block{}, err
	}
	if tag.RowsAffected() == 0 {
		return Block{}, apperr.New(apperr.Conflict, "accounts.block.already_lifted")
	}
	if err := syncStatus(ctx, tx, before.AccountID); err != nil {
		return Block{}, err
	}
	after, err := GetBlock(ctx, tx, blockID)
	if err != nil {
		return Block{}, err
	}
	if err := audit.Record(ctx, tx, "accounts.unblock", Record, before.AccountID, auditBlock(before), auditBlock(after)); err != nil {
		return Block{}, err
	}
	if notifyUser {
		if err := noticeTx(ctx, tx, "account_unblocked", after, name); err != nil {
			return Block{}, err
		}
	}
	return after, nil
}

// LiftExpired lifts every block whose end date has come, each exactly once however many
// processes run it at the same time: the conditional UPDATE takes each row once, and a
// concurrent run skips the rows this one holds. Returns how many it lifted.
func LiftExpired(ctx context.Context, pool *pgxpool.Pool, now time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `
				UPDATE account_blocks SET lifted_at = ends_at
				WHERE id IN (SELECT id FROM account_blocks WHERE lifted_at IS NULL AND ends_at <= $1
				             ORDER BY ends_at LIMIT 500 FOR UPDATE SKIP LOCKED)
				  AND lifted_at IS NULL
				RETURNING id`, now)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			n = len(ids)
			sys := actor.With(ctx, &actor.Actor{Email: "system"})
			for _, id := range ids {
				b, err := GetBlock(ctx, tx, id)
				if err != nil {
					return err
				}
				var name string
				if err := tx.QueryRow(ctx, `SELECT name FROM accounts WHERE id = $1 FOR UPDATE`, b.AccountID).Scan(&name); err != nil {
					return err
				}
				if err := syncStatus(ctx, tx, b.AccountID); err != nil {
					return err
				}
				if err := audit.Record(sys, tx, "accounts.unblock_expired", Record, b.AccountID, nil, auditBlock(b)); err != nil {
					return err
				}
				if err := noticeTx(ctx, tx, "account_unblocked", b, name); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < 500 {
			return total, nil
		}
	}
}

// syncStatus keeps accounts.status in step with the blocks: blocked while a whole-account block
// is in force. A deleted account stays deleted.
func syncStatus(ctx context.Context, tx pgx.Tx, account ID) error {
	_, err := tx.Exec(ctx, `
		UPDATE accounts SET status = CASE WHEN EXISTS (
			SELECT 1 FROM account_blocks WHERE account_id = $1 AND lifted_at IS NULL AND functions = '{}') THEN 'blocked' ELSE 'active' END
		WHERE id = $1 AND status <> 'deleted'`, account)
	return err
}

func auditBlock(b Block) map[string]any {
	m := map[string]any{"block_id": b.ID, "functions": b.Functions, "whole": b.Whole(), "reason": b.Reason,
		"complaint_ref": b.ComplaintRef, "note": b.Note, "ends_at": b.EndsAt}
	if b.LiftedAt != nil {
		m["lifted_at"], m["lift_note"] = b.LiftedAt, b.LiftNote
	}
	return m
}

func noticeTx(ctx context.Context, tx pgx.Tx, template string, b Block, name string) error {
	data := map[string]any{"name": name, "whole": b.Whole(), "functions": b.Functions, "reason": b.Reason}
	if b.EndsAt != nil {
		data["until"] = b.EndsAt.UTC().Format(time.RFC3339)
	}
	_, err := notify.EnqueueTx(ctx, tx, notify.Notice{AccountID: b.AccountID, Channels: []notify.Channel{notify.Email, notify.SMS},
		Template: template, Data: data, Kind: notify.Service, Cause: "block:" + itoa(b.ID)})
	return err
}

// CheckFunction is what other desks call before doing fn for an account (placing an order, a
// payout, an API call): nil when allowed, otherwise a Conflict whose message says what is blocked
// and until when. A block past its end date no longer counts, even before the job has lifted it.
func CheckFunction(ctx context.Context, q db.Querier, account ID, fn Function) error {
	var status string
	var whole, found bool
	var until *time.Time
	var forever bool
	err := q.QueryRow(ctx, `
		SELECT a.status, b.id IS NOT NULL, coalesce(b.functions = '{}', false), b.ends_at, b.id IS NOT NULL AND b.ends_at IS NULL
		FROM accounts a
		LEFT JOIN LATERAL (
			SELECT id, functions, ends_at FROM account_blocks
			WHERE account_id = a.id AND lifted_at IS NULL AND (ends_at IS NULL OR ends_at > now())
			  AND (functions = '{}' OR $2 = ANY (functions))
			ORDER BY functions = '{}' DESC, ends_at DESC NULLS FIRST LIMIT 1) b ON true
		WHERE a.id = $1`, account, string(fn)).Scan(&status, &found, &whole, &until, &forever)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return err
	}
	if status == "deleted" {
		return apperr.New(apperr.Conflict, "accounts.deleted_refused")
	}
	if !found {
		return nil
	}
	e := &apperr.Error{Code: apperr.Conflict, Message: "accounts.blocked." + string(fn), Args: map[string]any{"Until": ""}}
	if whole {
		e.Message = "accounts.blocked.account"
	}
	if !forever && until != nil {
		e.Args["Until"] = until.In(actor.Zone(ctx)).Format("2006-01-02 15:04")
	}
	return e
}

// IsBlocked tells whether err is CheckFunction's refusal.
func IsBlocked(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && (strings.HasPrefix(e.Message, "accounts.blocked.") || e.Message == "accounts.deleted_refused")
}
