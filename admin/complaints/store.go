package complaints

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/rbac"
)

// Record is the field-rules and audit name of a complaint.
const Record = "complaint"

// Its governed fields are listed with every other in rbac/fields_list.go.

// Store is the desk's data access. Loc is the platform's zone, which the clock counts days in.
type Store struct {
	Pool *pgxpool.Pool
	Loc  *time.Location
	Jobs enqueue.Inserter // nil: the decision letter is made by calling MakeLetter (tests)
	Now  func() time.Time
	// Currency is the platform's, for the amounts in the decision letter ("UAH" when empty).
	Currency string
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Complaint is a complaint as the viewer may see it.
type Complaint struct {
	ID                   int64
	Number               string
	State                State
	Source               string
	ComplainantName      string
	ComplainantBirth     string // "" when hidden
	ComplainantLogin     string
	ComplainantAccountID *int64
	ComplainantPhones    string
	ComplainantEmails    string
	ComplainantLang      string
	RespondentLogin      string
	RespondentAccountID  *int64
	OrderRef             string
	ActionAt             *time.Time
	ActionPlace          string
	ActionDetails        string
	Grounds              string
	ThirdParties         string
	ReceivedAt           time.Time
	DecisionDue          time.Time
	NoticeDue            *time.Time
	Extended             bool
	ReplyDue             *time.Time
	DecidedAt            *time.Time
	NotifiedAt           *time.Time
	Outcome              string
	Reasoning            string
	AssigneeID           *int64
	AssigneeName         string
	DuplicateOf          *int64
	DuplicateNumber      string
	MailFrom             string
	MailSubject          string
	MailBody             string
	UpdatedAt            time.Time
}

func (s *Store) columns(v rbac.View) string {
	birth := "''"
	if v.Sees(Record, "complainant_birth_date") {
		birth = "coalesce(to_char(c.complainant_birth_date, 'YYYY-MM-DD'), '')"
	}
	contacts := "'', ''"
	if v.Sees(Record, "complainant_contacts") {
		contacts = "c.complainant_phones, c.complainant_emails"
	}
	return `c.id, c.number, c.state, c.source, c.complainant_name, ` + birth + `, c.complainant_login, c.complainant_account_id, ` + contacts + `,
		c.complainant_lang, c.respondent_login, c.respondent_account_id, c.order_ref, c.action_at, c.action_place, c.action_details,
		c.grounds, c.third_parties, c.received_at, c.decision_due, c.notice_due, c.extended, c.reply_due, c.decided_at, c.notified_at,
		coalesce(c.outcome, ''), c.reasoning, c.assignee_id, coalesce(st.name, ''), c.duplicate_of, coalesce(d.number, ''),
		c.mail_from, c.mail_subject, c.mail_body, c.updated_at`
}

const fromComplaints = ` FROM complaints c LEFT JOIN staff st ON st.id = c.assignee_id LEFT JOIN complaints d ON d.id = c.duplicate_of `

func scanComplaint(row pgx.CollectableRow) (Complaint, error) {
	var c Complaint
	err := row.Scan(&c.ID, &c.Number, &c.State, &c.Source, &c.ComplainantName, &c.ComplainantBirth, &c.ComplainantLogin,
		&c.ComplainantAccountID, &c.ComplainantPhones, &c.ComplainantEmails, &c.ComplainantLang, &c.RespondentLogin,
		&c.RespondentAccountID, &c.OrderRef, &c.ActionAt, &c.ActionPlace, &c.ActionDetails, &c.Grounds, &c.ThirdParties,
		&c.ReceivedAt, &c.DecisionDue, &c.NoticeDue, &c.Extended, &c.ReplyDue, &c.DecidedAt, &c.NotifiedAt, &c.Outcome,
		&c.Reasoning, &c.AssigneeID, &c.AssigneeName, &c.DuplicateOf, &c.DuplicateNumber, &c.MailFrom, &c.MailSubject,
		&c.MailBody, &c.UpdatedAt)
	return c, err
}

// Get loads one complaint as the actor in ctx may see it: the parties' log-ins as the account's
// phone or e-mail, the contacts and the date of birth by the complaint's own rules.
func (s *Store) Get(ctx context.Context, q db.Querier, id int64) (Complaint, error) {
	return s.getAs(ctx, q, id, actor.ViewOf(ctx))
}

// load reads the complaint whole, for the desk's own work (where notices go, what a decision
// acts on); what it returns is never shown to staff.
func (s *Store) load(ctx context.Context, q db.Querier, id int64) (Complaint, error) {
	return s.getAs(ctx, q, id, rbac.FullView())
}

func (s *Store) getAs(ctx context.Context, q db.Querier, id int64, v rbac.View) (Complaint, error) {
	rows, err := q.Query(ctx, `SELECT `+s.columns(v)+fromComplaints+`WHERE c.id = $1`, id)
	if err != nil {
		return Complaint{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanComplaint)
	if errors.Is(err, pgx.ErrNoRows) {
		return Complaint{}, apperr.New(apperr.NotFound, "complaints.not_found")
	}
	return c.As(v), err
}

// As is the complaint as v may see it. Every personal field of a complaint passes here.
func (c Complaint) As(v rbac.View) Complaint {
	c.ComplainantBirth = v.Apply(Record, "complainant_birth_date", c.ComplainantBirth)
	c.ComplainantPhones = v.Apply(Record, "complainant_contacts", c.ComplainantPhones)
	c.ComplainantEmails = v.Apply(Record, "complainant_contacts", c.ComplainantEmails)
	c.ComplainantLogin = v.Login(c.ComplainantLogin)
	c.RespondentLogin = v.Login(c.RespondentLogin)
	if c.MailFrom != "" {
		c.MailFrom = v.Login(c.MailFrom)
	}
	// Third parties are named by their e-mails, one a line.
	third := strings.Split(c.ThirdParties, "\n")
	for i, l := range third {
		if l = strings.TrimSpace(l); l != "" {
			third[i] = v.Login(l)
		}
	}
	c.ThirdParties = strings.Join(third, "\n")
	return c
}

// lock takes the complaint's row for the rest of tx and returns its state. FOR NO KEY UPDATE
// serializes the complaint's actions without waiting for transactions that only reference the row
// (an SLA sweep inserting the events and alerts of 2,000 complaints holds their key-share locks
// until it commits: a FOR UPDATE here waited seconds behind it).
func lock(ctx context.Context, tx pgx.Tx, id int64) (State, error) {
	var st State
	err := tx.QueryRow(ctx, `SELECT state FROM complaints WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&st)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.NotFound, "complaints.not_found")
	}
	return st, err
}

// event appends one step to the history.
func event(ctx context.Context, tx pgx.Tx, id int64, kind EventKind, at time.Time, days int, note string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO complaint_events (complaint_id, kind, at, staff_id, days, note, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, kind, at, actor.StaffID(ctx), days, note, data)
	return err
}

// setState moves the complaint (checked by the rules) and records the step.
func setState(ctx context.Context, tx pgx.Tx, id int64, from, to State) error {
	if err := Move(from, to); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE complaints SET state = $2, updated_at = now() WHERE id = $1`, id, to)
	return err
}

// ClockEvents reads the events that move the clock, oldest first.
func ClockEvents(ctx context.Context, q db.Querier, id int64) ([]ClockEvent, error) {
	rows, err := q.Query(ctx, `SELECT kind, at, days FROM complaint_events
		WHERE complaint_id = $1 AND kind IN ('received', 'extended', 'decided', 'notice_delivered') ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ClockEvent, error) {
		var e ClockEvent
		err := r.Scan(&e.Kind, &e.At, &e.Days)
		return e, err
	})
}

// syncDeadlines stores what the history says: the columns are only ever written from Recompute.
func (s *Store) syncDeadlines(ctx context.Context, tx pgx.Tx, id int64) (Deadlines, error) {
	ev, err := ClockEvents(ctx, tx, id)
	if err != nil {
		return Deadlines{}, err
	}
	d := Recompute(ev, s.Loc)
	var notice, decided, notified *time.Time
	if !d.Notice.IsZero() {
		notice = &d.Notice
	}
	if !d.DecidedAt.IsZero() {
		decided = &d.DecidedAt
	}
	if !d.NotifiedAt.IsZero() {
		notified = &d.NotifiedAt
	}
	_, err = tx.Exec(ctx, `UPDATE complaints SET decision_due = $2, notice_due = $3, extended = $4, decided_at = $5, notified_at = $6,
		updated_at = now() WHERE id = $1`, id, d.Decision, notice, d.Extended, decided, notified)
	return d, err
}

// Event is one row of the timeline.
type Event struct {
	ID        int64
	Kind      EventKind
	At        time.Time
	StaffName string
	Days      int
	Note      string
	Data      map[string]any
}

// Events is the complaint's history, oldest first.
func Events(ctx context.Context, q db.Querier, id int64) ([]Event, error) {
	rows, err := q.Query(ctx, `SELECT e.id, e.kind, e.at, coalesce(s.name, ''), e.days, e.note, e.data
		FROM complaint_events e LEFT JOIN staff s ON s.id = e.staff_id WHERE e.complaint_id = $1 ORDER BY e.at, e.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.Kind, &e.At, &e.StaffName, &e.Days, &e.Note, &e.Data)
		return e, err
	})
}

// Demand is one of the complainant's demands.
type Demand struct {
	ID          int64
	Text        string
	WithdrawnAt *time.Time
}

// Demands lists the complaint's demands in order.
func Demands(ctx context.Context, q db.Querier, id int64) ([]Demand, error) {
	rows, err := q.Query(ctx, `SELECT id, text, withdrawn_at FROM complaint_demands WHERE complaint_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Demand])
}

// accountByLogin finds a live account by phone or e-mail (nil when there is none).
func accountByLogin(ctx context.Context, q db.Querier, login string) (*int64, error) {
	if login == "" {
		return nil, nil
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM accounts WHERE status <> 'deleted' AND (phone = $1 OR email = $1) ORDER BY id LIMIT 1`, login).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// findDuplicate returns an open complaint between the same parties about the same order.
func findDuplicate(ctx context.Context, q db.Querier, self int64, complainantLogin, respondentLogin, order string) (*int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM complaints
		WHERE complainant_login = $1 AND respondent_login = $2 AND order_ref = $3 AND id <> $4
		  AND state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting') ORDER BY id LIMIT 1`,
		complainantLogin, respondentLogin, order, self).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// InvalidForm carries every field error of a form at once.
type InvalidForm struct{ Fields FieldErrors }

func (e *InvalidForm) Error() string {
	var keys []string
	for f, k := range e.Fields {
		keys = append(keys, f+": "+k)
	}
	return "invalid complaint form: " + strings.Join(keys, ", ")
}

func numberFor(id int64, receivedAt time.Time, loc *time.Location) string {
	return fmt.Sprintf("C-%d-%06d", receivedAt.In(loc).Year(), id)
}

// audit writes the complaint's audit entry in tx.
func auditTx(ctx context.Context, tx pgx.Tx, action string, id int64, before, after any) error {
	return audit.Record(ctx, tx, "complaints."+action, Record, id, before, after)
}
