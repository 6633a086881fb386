package complaints

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
)

// MaxText caps notes, reasons and messages.
const MaxText = 5000

func checkText(field, s, emptyKey string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.InvalidField(field, emptyKey)
	}
	if len([]rune(s)) > MaxText {
		return "", apperr.InvalidField(field, "complaints.err.too_long")
	}
	return s, nil
}

// Assign gives the complaint to a support staff member (leads). An open complaint moves into
// review; a decided one can no longer be reassigned.
func (s *Store) Assign(ctx context.Context, id, staff int64) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if !st.Open() {
			return apperr.New(apperr.Conflict, "complaints.final")
		}
		if st == Draft {
			return apperr.New(apperr.Conflict, "complaints.draft_incomplete")
		}
		var name string
		var before *int64
		err = tx.QueryRow(ctx, `SELECT s.name FROM staff s WHERE s.id = $1 AND s.active AND EXISTS (
			SELECT 1 FROM staff_group_members m JOIN staff_groups g ON g.id = m.group_id
			WHERE m.staff_id = s.id AND g.role IN ('support_agent', 'support_lead', 'admin'))`, staff).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.InvalidField("assignee", "complaints.assign.bad_staff")
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT assignee_id FROM complaints WHERE id = $1`, id).Scan(&before); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE complaints SET assignee_id = $2, updated_at = now() WHERE id = $1`, id, staff); err != nil {
			return err
		}
		if st == Acknowledged {
			if err := setState(ctx, tx, id, st, InReview); err != nil {
				return err
			}
		}
		if err := event(ctx, tx, id, EvAssigned, s.now(), 0, name, map[string]any{"staff_id": staff, "before": before}); err != nil {
			return err
		}
		return auditTx(ctx, tx, "assign", id, map[string]any{"assignee_id": before}, map[string]any{"assignee_id": staff})
	})
}

// Note adds an internal note; notes are allowed at any stage, also after the decision.
func (s *Store) Note(ctx context.Context, id int64, text string) error {
	text, err := checkText("note", text, "complaints.note.empty")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := lock(ctx, tx, id); err != nil {
			return err
		}
		return event(ctx, tx, id, EvNote, s.now(), 0, text, nil)
	})
}

// editable locks an open, completed complaint for a change of its content.
func editable(ctx context.Context, tx pgx.Tx, id int64) (State, error) {
	st, err := lock(ctx, tx, id)
	if err != nil {
		return "", err
	}
	if !st.Open() {
		if st == Withdrawn {
			return "", apperr.New(apperr.Conflict, "complaints.withdrawn_final")
		}
		return "", apperr.New(apperr.Conflict, "complaints.final")
	}
	return st, nil
}

// RequestExplanation sends the respondent a message with a reply deadline (replyDays calendar days,
// ending 24:00) and puts the complaint in waiting.
func (s *Store) RequestExplanation(ctx context.Context, id int64, message string, replyDays int) error {
	message, err := checkText("message", message, "complaints.explain.empty")
	if err != nil {
		return err
	}
	if replyDays < 1 || replyDays > 15 {
		return apperr.InvalidField("reply_days", "complaints.explain.days")
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := editable(ctx, tx, id)
		if err != nil {
			return err
		}
		if st == Draft {
			return apperr.New(apperr.Conflict, "complaints.draft_incomplete")
		}
		now := s.now()
		due := PeriodEnd(now, replyDays, s.Loc)
		if st != Waiting {
			if err := setState(ctx, tx, id, st, Waiting); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE complaints SET reply_due = $2 WHERE id = $1`, id, due); err != nil {
			return err
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		to := respondentOf(c)
		if err := sendTx(ctx, tx, c, to, "explanation", "respondent", tplExplanation, "", nil, map[string]any{
			"number": c.Number, "message": message, "reply_due": lastMinute(due)}); err != nil {
			return err
		}
		return event(ctx, tx, id, EvExplanation, now, replyDays, message, map[string]any{"reply_due": due})
	})
}

// RecordReply notes the respondent's explanation (or its absence) and resumes the review.
func (s *Store) RecordReply(ctx context.Context, id int64, text string) error {
	text, err := checkText("reply", text, "complaints.reply.empty")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := editable(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != Waiting {
			return apperr.New(apperr.Conflict, "complaints.reply.not_waiting")
		}
		if err := setState(ctx, tx, id, st, InReview); err != nil {
			return err
		}
		return event(ctx, tx, id, EvReply, s.now(), 0, text, nil)
	})
}

// AddEvidence attaches a file. Evidence may come at any time before the decision.
func (s *Store) AddEvidence(ctx context.Context, id int64, f Upload) error {
	if f.Name == "" || len(f.Data) == 0 {
		return apperr.InvalidField("file", "complaints.evidence.empty")
	}
	if len(f.Data) > MaxUpload {
		return apperr.InvalidField("file", "complaints.evidence.too_big")
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := editable(ctx, tx, id); err != nil {
			return err
		}
		if err := addFile(ctx, tx, id, "evidence", f); err != nil {
			return err
		}
		return event(ctx, tx, id, EvEvidence, s.now(), 0, f.Name, map[string]any{"size": len(f.Data)})
	})
}

// Extend applies the one extension (leads): before the deadline passes, 1–15 days, with a reason.
// The new deadline is recomputed from the history, which now holds the extension.
func (s *Store) Extend(ctx context.Context, id int64, days int, reason string) (time.Time, error) {
	var deadline time.Time
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		deadline, err = s.extendTx(ctx, tx, id, days, reason)
		return err
	})
	return deadline, err
}

// extendTx is Extend inside tx (a lead granting an agent's request extends in the same transaction).
func (s *Store) extendTx(ctx context.Context, tx pgx.Tx, id int64, days int, reason string) (time.Time, error) {
	var deadline time.Time
	err := func() error {
		st, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		var due time.Time
		var extended bool
		if err := tx.QueryRow(ctx, `SELECT decision_due, extended FROM complaints WHERE id = $1`, id).Scan(&due, &extended); err != nil {
			return err
		}
		now := s.now()
		if err := CheckExtension(st, extended, due, now, days, reason); err != nil {
			return err
		}
		if err := event(ctx, tx, id, EvExtended, now, days, strings.TrimSpace(reason), map[string]any{"before": due}); err != nil {
			return err
		}
		d, err := s.syncDeadlines(ctx, tx, id)
		if err != nil {
			return err
		}
		deadline = d.Decision
		// Annex E: the complainant is told of the extension and the new deadline, in their language.
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := sendTx(ctx, tx, c, complainantOf(c), "extension", "complainant", tplExtended, c.ComplainantLang, nil, map[string]any{
			"number": c.Number, "name": c.ComplainantName, "days": days, "deadline": lastMinute(d.Decision), "reason": strings.TrimSpace(reason)}); err != nil {
			return err
		}
		return auditTx(ctx, tx, "extend", id, map[string]any{"decision_due": due}, map[string]any{"decision_due": d.Decision, "days": days, "reason": reason})
	}()
	return deadline, err
}

// RequestExtension is an agent asking a lead for the one extension, with the days and a reason;
// the same rules as the extension itself are checked now, and one request waits at a time.
func (s *Store) RequestExtension(ctx context.Context, id int64, days int, reason string) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		var due time.Time
		var extended bool
		if err := tx.QueryRow(ctx, `SELECT decision_due, extended FROM complaints WHERE id = $1`, id).Scan(&due, &extended); err != nil {
			return err
		}
		now := s.now()
		if err := CheckExtension(st, extended, due, now, days, reason); err != nil {
			return err
		}
		var rid int64
		err = tx.QueryRow(ctx, `INSERT INTO complaint_extension_requests (complaint_id, days, reason, requested_by, requested_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, id, days, strings.TrimSpace(reason), actor.StaffID(ctx), now).Scan(&rid)
		if db.IsUniqueViolation(err, "complaint_extension_requests_open_idx") {
			return apperr.New(apperr.Conflict, "complaints.extend.requested_already")
		}
		if err != nil {
			return err
		}
		return auditTx(ctx, tx, "extend_request", id, nil, map[string]any{"request": rid, "days": days, "reason": reason})
	})
}

// PendingExtension is a complaint's open extension request, or nil.
type PendingExtension struct {
	ID            int64
	Days          int
	Reason        string
	RequestedName string
	RequestedAt   time.Time
}

// PendingExtensionOf returns complaint id's open request, if any.
func PendingExtensionOf(ctx context.Context, q db.Querier, id int64) (*PendingExtension, error) {
	var p PendingExtension
	err := q.QueryRow(ctx, `SELECT r.id, r.days, r.reason, s.name, r.requested_at FROM complaint_extension_requests r
		JOIN staff s ON s.id = r.requested_by WHERE r.complaint_id = $1 AND r.state = 'pending'`, id).Scan(&p.ID, &p.Days, &p.Reason, &p.RequestedName, &p.RequestedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return &p, err
}

// DecideExtension is a lead granting (the extension itself, with the request's days and reason)
// or refusing, with a reason, the open request of complaint id.
func (s *Store) DecideExtension(ctx context.Context, id int64, grant bool, refuseReason string) error {
	refuseReason = strings.TrimSpace(refuseReason)
	if !grant && refuseReason == "" {
		return apperr.InvalidField("refuse_reason", "complaints.extend.refuse_reason")
	}
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var rid int64
		var days int
		var reason string
		err := tx.QueryRow(ctx, `SELECT id, days, reason FROM complaint_extension_requests WHERE complaint_id = $1 AND state = 'pending' FOR UPDATE`, id).
			Scan(&rid, &days, &reason)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.Conflict, "complaints.extend.no_request")
		}
		if err != nil {
			return err
		}
		state := "refused"
		if grant {
			state = "granted"
			if _, err := s.extendTx(ctx, tx, id, days, reason); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE complaint_extension_requests SET state = $2, decided_by = $3, decided_at = $4, refuse_reason = nullif($5, '')
			WHERE id = $1`, rid, state, actor.StaffID(ctx), s.now(), refuseReason); err != nil {
			return err
		}
		return auditTx(ctx, tx, "extend_request_"+state, id, nil, map[string]any{"request": rid, "reason": refuseReason})
	})
}

// Withdraw records the complainant's withdrawal: of the whole complaint (demandIDs empty) or of
// the chosen demands. Only before the decision; withdrawing every demand withdraws the complaint.
func (s *Store) Withdraw(ctx context.Context, id int64, demandIDs []int64, note string) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if !st.Open() {
			return Move(st, Withdrawn)
		}
		now := s.now()
		note = strings.TrimSpace(note)
		if len(demandIDs) > 0 {
			tag, err := tx.Exec(ctx, `UPDATE complaint_demands SET withdrawn_at = $3
				WHERE complaint_id = $1 AND id = ANY($2) AND withdrawn_at IS NULL`, id, demandIDs, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return apperr.InvalidField("demands", "complaints.withdraw.no_demands")
			}
			var left int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM complaint_demands WHERE complaint_id = $1 AND withdrawn_at IS NULL`, id).Scan(&left); err != nil {
				return err
			}
			if err := event(ctx, tx, id, EvPartWithdraw, now, 0, note, map[string]any{"demands": demandIDs}); err != nil {
				return err
			}
			if left > 0 {
				return auditTx(ctx, tx, "withdraw_part", id, nil, map[string]any{"demands": demandIDs})
			}
		}
		if err := setState(ctx, tx, id, st, Withdrawn); err != nil {
			return err
		}
		if err := event(ctx, tx, id, EvWithdrawn, now, 0, note, nil); err != nil {
			return err
		}
		// Annex E: both parties are told the review has ended, each in their language.
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		at := now.Format(time.RFC3339)
		if err := sendTx(ctx, tx, c, complainantOf(c), "withdrawal", "complainant", tplWithdrawn, c.ComplainantLang, nil,
			map[string]any{"number": c.Number, "name": c.ComplainantName, "at": at}); err != nil {
			return err
		}
		if to := respondentOf(c); to.accountID != 0 || to.email != "" {
			if err := sendTx(ctx, tx, c, to, "withdrawal", "respondent", tplWithdrawn, "", nil, map[string]any{"number": c.Number, "at": at}); err != nil {
				return err
			}
		}
		return auditTx(ctx, tx, "withdraw", id, map[string]any{"state": st}, map[string]any{"state": Withdrawn})
	})
}

// Close ends a notified complaint.
func (s *Store) Close(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := setState(ctx, tx, id, st, Closed); err != nil {
			return err
		}
		return event(ctx, tx, id, EvClosed, s.now(), 0, "", nil)
	})
}
