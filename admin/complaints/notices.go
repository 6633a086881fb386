package complaints

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/notify"
)

// Templates in admin/notify/templates written by this desk.
const (
	tplAck         = "complaint_ack"
	tplExplanation = "complaint_explanation"
	tplDecision    = "complaint_decision"
	tplStaff       = "complaint_staff"
	tplExtended    = "complaint_extended"
	tplWithdrawn   = "complaint_withdrawn"
)

// LetterSource names the complaint files (the decision letter) that notices carry as attachments.
const LetterSource = "complaint_file"

// LetterFile reads a complaint file (the decision letter) that a notice carries as an attachment;
// the composition root lists it among the delivery's attachment sources under LetterSource.
func LetterFile(ctx context.Context, q db.Querier, id int64) ([]byte, error) {
	var data []byte
	err := q.QueryRow(ctx, `SELECT data FROM complaint_files WHERE id = $1`, id).Scan(&data)
	return data, err
}

// party is where a notice to one side goes: its account when linked, else a bare e-mail address.
type party struct {
	accountID int64
	email     string
}

func complainantOf(c Complaint) party {
	p := party{}
	if c.ComplainantAccountID != nil {
		p.accountID = *c.ComplainantAccountID
	}
	if emails := Lines(c.ComplainantEmails); len(emails) > 0 {
		p.email = strings.ToLower(emails[0])
	} else if strings.Contains(c.ComplainantLogin, "@") {
		p.email = c.ComplainantLogin
	}
	return p
}

func respondentOf(c Complaint) party {
	p := party{}
	if c.RespondentAccountID != nil {
		p.accountID = *c.RespondentAccountID
	} else if strings.Contains(c.RespondentLogin, "@") {
		p.email = c.RespondentLogin
	}
	return p
}

// sendTx writes one notice to the outbox and remembers it on the complaint, with its purpose and
// the recipient's role; the recipient's delivery status is the outbox row's.
func sendTx(ctx context.Context, tx pgx.Tx, c Complaint, to party, purpose, role, tpl, lang string, letterID *int64, data map[string]any) error {
	n := notify.Notice{AccountID: to.accountID, Email: to.email, Template: tpl, Data: data, Lang: lang, Cause: "complaint:" + c.Number}
	if to.accountID != 0 && to.email != "" && role == "complainant" {
		n.Email = to.email // the complaint names where the complainant wants answers
	}
	if letterID != nil {
		name, _ := data["letter"].(string)
		n.Attachments = []notify.Attachment{{Source: LetterSource, ID: *letterID, Name: name, ContentType: "application/pdf"}}
	}
	ids, err := notify.EnqueueTx(ctx, tx, n)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO complaint_notices (complaint_id, notification_id, purpose, role, letter_id) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, id, purpose, role, letterID); err != nil {
			return err
		}
	}
	return nil
}

// acknowledgeTx tells the complainant the complaint is registered: the procedure, the deadline and
// whom to contact (the staff member registering it, or the assignee).
func (s *Store) acknowledgeTx(ctx context.Context, tx pgx.Tx, c Complaint) error {
	contactName, contactEmail := c.AssigneeName, ""
	if a := actor.From(ctx); a != nil && contactName == "" {
		contactName, contactEmail = a.Name, a.Email
	}
	if c.AssigneeID != nil {
		_ = tx.QueryRow(ctx, `SELECT name, email FROM staff WHERE id = $1`, *c.AssigneeID).Scan(&contactName, &contactEmail)
	}
	return sendTx(ctx, tx, c, complainantOf(c), "acknowledgement", "complainant", tplAck, c.ComplainantLang, nil, map[string]any{
		"number":        c.Number,
		"name":          c.ComplainantName,
		"received":      c.ReceivedAt.Format(time.RFC3339),
		"deadline":      lastMinute(c.DecisionDue),
		"contact_name":  contactName,
		"contact_email": contactEmail,
	})
}

// lastMinute shows a 24:00 deadline as 23:59 of its last day, which readers understand.
func lastMinute(deadline time.Time) string { return deadline.Add(-time.Minute).Format(time.RFC3339) }

// StaffAlert is a warning before a deadline or an escalation at its breach, sent to a staff member.
func staffAlertTx(ctx context.Context, tx pgx.Tx, c Complaint, email, lang, level, clock string, deadline time.Time) error {
	_, err := notify.EnqueueTx(ctx, tx, notify.Notice{Email: email, Template: tplStaff, Lang: lang, Cause: "complaint:" + c.Number,
		Data: map[string]any{"number": c.Number, "level": level, "clock": clock, "deadline": lastMinute(deadline), "id": c.ID}})
	return err
}

// Notice is a notice a complaint sent, with its recipient's delivery status.
type Notice struct {
	NotificationID int64
	Purpose        string
	Role           string
	Address        string
	Status         string
	LetterID       *int64
	CreatedAt      time.Time
	SentAt         *time.Time
}

// Notices lists the complaint's notices, oldest first.
func Notices(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id int64) ([]Notice, error) {
	rows, err := q.Query(ctx, `SELECT n.id, cn.purpose, cn.role, n.address, n.status, cn.letter_id, n.created_at, n.sent_at
		FROM complaint_notices cn JOIN notifications n ON n.id = cn.notification_id WHERE cn.complaint_id = $1 ORDER BY n.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Notice])
}
