package complaints

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
)

// LetterArgs makes the decision letter and sends the decision notice (its worker is in jobs/complaints_sla.go).
type LetterArgs struct {
	ComplaintID int64 `json:"complaint_id"`
}

func (LetterArgs) Kind() string { return "complaint_letter" }

// InsertOpts: one letter job per complaint, however often enqueued.
func (LetterArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Decide takes the decision: upheld with its actions, or rejected; with reasoning. Actions run
// through their desks in this transaction, so a refused action (no account to refund) refuses the
// decision. Afterwards the complaint is final: no edits, only notes. The letter job is enqueued on
// the same transaction; the notice is due 3 days after the decision (recomputed from history).
func (s *Store) Decide(ctx context.Context, id int64, d Decision) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := editable(ctx, tx, id)
		if err != nil {
			return err
		}
		if st == Draft {
			return apperr.New(apperr.Conflict, "complaints.draft_incomplete")
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		var done []map[string]any
		for _, a := range d.Actions {
			acc, result, err := runAction(ctx, tx, c, a, s.now())
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO complaint_actions (complaint_id, kind, account_id, amount, functions, result)
				VALUES ($1, $2, $3, $4, coalesce($5, '{}'::text[]), $6)`, id, a.Kind, acc, a.Amount, a.Functions, result); err != nil {
				return err
			}
			done = append(done, map[string]any{"kind": a.Kind, "account_id": acc, "amount": a.Amount, "result": result})
		}
		if err := Move(st, Decided); err != nil {
			return err
		}
		now := s.now()
		if err := event(ctx, tx, id, EvDecided, now, 0, d.Reasoning, map[string]any{"outcome": d.Outcome, "actions": done}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE complaints SET state = 'decided', outcome = $2, reasoning = $3, decided_by = $4, decided_at = $5,
			notice_due = $6 WHERE id = $1`, id, d.Outcome, d.Reasoning, actor.StaffID(ctx), now, PeriodEnd(now, NoticeDays, s.Loc)); err != nil {
			return err
		}
		if _, err := s.syncDeadlines(ctx, tx, id); err != nil {
			return err
		}
		if s.Jobs != nil {
			if _, err := s.Jobs.InsertTx(ctx, tx, LetterArgs{ComplaintID: id}, nil); err != nil {
				return err
			}
		}
		return auditTx(ctx, tx, "decide", id, map[string]any{"state": st}, map[string]any{"outcome": d.Outcome, "actions": done})
	})
}

// ActionRow is a carried-out measure as the complaint page lists it.
type ActionRow struct {
	Kind      ActionKind
	AccountID int64
	Amount    int64
	Functions []string
	Result    string
}

// Actions lists the decision's measures.
func Actions(ctx context.Context, q db.Querier, id int64) ([]ActionRow, error) {
	rows, err := q.Query(ctx, `SELECT kind, account_id, amount, functions, result FROM complaint_actions WHERE complaint_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ActionRow])
}
