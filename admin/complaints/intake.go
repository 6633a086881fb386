package complaints

import (
	"context"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
)

// Upload is an evidence file or an e-mail attachment.
type Upload struct {
	Name        string
	ContentType string
	Data        []byte
}

// MaxUpload is the largest evidence file (matches the table's CHECK).
const MaxUpload = 20 << 20

// Caps on one complaint's evidence: room for photos of a parcel and its papers, not a store for
// anything at all.
const (
	MaxFiles      = 20
	MaxFilesBytes = 50 << 20
)

// Registered is what registration tells the agent.
type Registered struct {
	ID          int64
	Number      string
	DuplicateOf *int64
	Deadline    time.Time
}

// Register records a complaint entered by staff (draftID 0) or completes an e-mail draft: it
// validates the form, links the parties to their accounts, flags a duplicate, writes the received
// and acknowledged events, stores the deadline recomputed from them, and writes the acknowledgement
// to the outbox, all in one transaction. Field errors come back as *InvalidForm.
func (s *Store) Register(ctx context.Context, in Intake, evidence []Upload, draftID int64) (Registered, error) {
	now := s.now()
	if fe := in.Validate(now, s.Loc); len(fe) > 0 {
		return Registered{}, &InvalidForm{Fields: fe}
	}
	var out Registered
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		complainantID, err := accountByLogin(ctx, tx, in.ComplainantLogin)
		if err != nil {
			return err
		}
		respondentID, err := accountByLogin(ctx, tx, in.RespondentLogin)
		if err != nil {
			return err
		}
		actionAt, _ := in.ActionAt(s.Loc)
		receivedAt := now
		if at, ok := in.ReceivedAt(s.Loc); ok {
			receivedAt = at // by post, on paper, by phone: the clock runs from its arrival
		}
		id := draftID
		if draftID != 0 {
			st, err := lock(ctx, tx, draftID)
			if err != nil {
				return err
			}
			if err := Move(st, Received); err != nil {
				return err
			}
			// The clock has run since the e-mail arrived.
			if err := tx.QueryRow(ctx, `SELECT received_at FROM complaints WHERE id = $1`, draftID).Scan(&receivedAt); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM complaint_demands WHERE complaint_id = $1`, draftID); err != nil {
				return err
			}
		} else {
			if err := tx.QueryRow(ctx, `INSERT INTO complaints (number, state, source, received_at, decision_due, created_by)
				VALUES ('pending', 'received', 'staff', $1, $2, $3) RETURNING id`,
				receivedAt, PeriodEnd(receivedAt, DecisionDays, s.Loc), actor.StaffID(ctx)).Scan(&id); err != nil {
				return err
			}
			if err := event(ctx, tx, id, EvReceived, receivedAt, 0, "", map[string]any{"source": "staff", "via": in.ReceivedVia}); err != nil {
				return err
			}
		}
		dup, err := findDuplicate(ctx, tx, id, in.ComplainantLogin, in.RespondentLogin, in.OrderRef)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE complaints SET number = CASE WHEN number = 'pending' THEN $2 ELSE number END,
			state = 'received', complainant_name = $3, complainant_birth_date = $4, complainant_login = $5, complainant_account_id = $6,
			complainant_phones = $7, complainant_emails = $8, complainant_lang = $9, respondent_login = $10, respondent_account_id = $11,
			order_ref = $12, action_at = $13, action_place = $14, action_details = $15, grounds = $16, third_parties = $17,
			duplicate_of = $18, updated_at = now() WHERE id = $1`,
			id, numberFor(id, receivedAt, s.Loc), in.ComplainantName, in.ComplainantBirth, in.ComplainantLogin, complainantID,
			in.ComplainantPhones, in.ComplainantEmails, in.ComplainantLang, in.RespondentLogin, respondentID,
			in.OrderRef, actionAt, in.ActionPlace, in.ActionDetails, in.Grounds, in.ThirdParties, dup); err != nil {
			return err
		}
		for _, d := range in.Demands {
			if _, err := tx.Exec(ctx, `INSERT INTO complaint_demands (complaint_id, text) VALUES ($1, $2)`, id, d); err != nil {
				return err
			}
		}
		for _, f := range evidence {
			if err := addFile(ctx, tx, id, "evidence", f); err != nil {
				return err
			}
		}
		if draftID != 0 {
			if err := event(ctx, tx, id, EvEdited, now, 0, "", map[string]any{"completed_draft": true}); err != nil {
				return err
			}
		}
		d, err := s.syncDeadlines(ctx, tx, id)
		if err != nil {
			return err
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.acknowledgeTx(ctx, tx, c); err != nil {
			return err
		}
		if err := setState(ctx, tx, id, Received, Acknowledged); err != nil {
			return err
		}
		if err := event(ctx, tx, id, EvAcknowledged, now, 0, "", nil); err != nil {
			return err
		}
		out = Registered{ID: id, Number: c.Number, DuplicateOf: dup, Deadline: d.Decision}
		return auditTx(ctx, tx, "register", id, nil, map[string]any{"number": c.Number, "duplicate_of": dup, "deadline": d.Decision})
	})
	return out, err
}

// addFile keeps a file of the complaint. Its type is read from its bytes, never taken from the
// sender (Handlers.File serves it as what it is, or as a download). Evidence is refused past the
// complaint's caps on count and total size; the complaint's row is locked first, so two uploads
// at once cannot pass a cap together.
func addFile(ctx context.Context, tx pgx.Tx, id int64, kind string, f Upload) error {
	if kind == "evidence" {
		var n int
		var total int64
		err := tx.QueryRow(ctx, `WITH c AS (SELECT id FROM complaints WHERE id = $1 FOR NO KEY UPDATE)
			SELECT count(f.id), coalesce(sum(length(f.data)), 0) FROM c LEFT JOIN complaint_files f ON f.complaint_id = c.id AND f.kind = 'evidence'`, id).
			Scan(&n, &total)
		if err != nil {
			return err
		}
		if n+1 > MaxFiles {
			return &apperr.Error{Code: apperr.Invalid, Message: "complaints.evidence.too_many", Field: "file", Args: map[string]any{"Max": MaxFiles}}
		}
		if total+int64(len(f.Data)) > MaxFilesBytes {
			return &apperr.Error{Code: apperr.Invalid, Message: "complaints.evidence.too_much", Field: "file", Args: map[string]any{"MB": MaxFilesBytes >> 20}}
		}
	}
	f.ContentType = mimetype.Detect(f.Data).String()
	_, err := tx.Exec(ctx, `INSERT INTO complaint_files (complaint_id, kind, name, content_type, data, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, kind, f.Name, f.ContentType, f.Data, actor.StaffID(ctx))
	return err
}

// MailDraft is a message of the complaints mailbox.
type MailDraft struct {
	MessageID   string
	From        string
	Subject     string
	Body        string
	Date        time.Time // when the mailbox received it: the clock starts here
	Attachments []Upload
}

// CreateDraft turns a message into a draft complaint with its attachments, once per message id:
// reading the same message again (a retry, a second worker) changes nothing. It reports whether a
// draft was made.
func (s *Store) CreateDraft(ctx context.Context, m MailDraft) (bool, error) {
	if m.Date.IsZero() {
		m.Date = s.now()
	}
	made := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO complaints (number, state, source, received_at, decision_due, mail_message_id,
				mail_from, mail_subject, mail_body, complainant_login, complainant_emails)
			VALUES ('pending', 'draft', 'email', $1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (mail_message_id) DO NOTHING RETURNING id`,
			m.Date, PeriodEnd(m.Date, DecisionDays, s.Loc), m.MessageID, m.From, m.Subject, m.Body, NormLogin(m.From)).Scan(&id)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		made = true
		if _, err := tx.Exec(ctx, `UPDATE complaints SET number = $2 WHERE id = $1`, id, numberFor(id, m.Date, s.Loc)); err != nil {
			return err
		}
		if err := event(ctx, tx, id, EvReceived, m.Date, 0, "", map[string]any{"source": "email", "message_id": m.MessageID}); err != nil {
			return err
		}
		for _, f := range m.Attachments {
			if err := addFile(ctx, tx, id, "evidence", f); err != nil {
				if apperr.CodeOf(err) == apperr.Invalid {
					break // past the caps: the draft keeps what fits, and the mail stays in the mailbox
				}
				return err
			}
		}
		if _, err := s.syncDeadlines(ctx, tx, id); err != nil {
			return err
		}
		return auditTx(ctx, tx, "draft_from_mail", id, nil, map[string]any{"message_id": m.MessageID, "from": m.From})
	})
	return made, err
}
