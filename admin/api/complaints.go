package api

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/i18n"
)

// ComplaintRequest is POST /api/v1/complaints. The complainant is the key's client: their login
// is taken from the account, never from the body.
type ComplaintRequest struct {
	ComplainantName   string   `json:"complainant_name"`
	ComplainantBirth  string   `json:"complainant_birth"` // YYYY-MM-DD
	ComplainantPhones string   `json:"complainant_phones"`
	ComplainantEmails string   `json:"complainant_emails"`
	RespondentLogin   string   `json:"respondent_login"`
	OrderRef          string   `json:"order_ref"`
	ActionDate        string   `json:"action_date"` // YYYY-MM-DD
	ActionTime        string   `json:"action_time"` // HH:MM
	ActionPlace       string   `json:"action_place"`
	ActionDetails     string   `json:"action_details"`
	Grounds           string   `json:"grounds"`
	Demands           []string `json:"demands"`
}

// ComplaintResponse says what was registered and when the decision is due.
type ComplaintResponse struct {
	ID          int64     `json:"id"`
	Number      string    `json:"number"`
	Deadline    time.Time `json:"deadline"`
	DuplicateOf *int64    `json:"duplicate_of,omitempty"`
}

// Complaint files a complaint as the key's client.
func (h *Handlers) Complaint(c *fiber.Ctx) error {
	if h.Complaints == nil {
		return c.Status(fiber.StatusNotImplemented).JSON(errBody(c, "not_implemented", "api.not_available"))
	}
	var req ComplaintRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
	}
	p := principal(c)
	var login, lang string
	if err := h.Pool.QueryRow(c.UserContext(), `SELECT phone, lang FROM accounts WHERE id = $1`, p.AccountID).Scan(&login, &lang); err != nil {
		return err
	}
	in := complaints.Intake{ComplainantName: req.ComplainantName, ComplainantBirth: req.ComplainantBirth, ComplainantLogin: login,
		ComplainantPhones: req.ComplainantPhones, ComplainantEmails: req.ComplainantEmails, ComplainantLang: lang,
		RespondentLogin: req.RespondentLogin, OrderRef: req.OrderRef, ActionDate: req.ActionDate, ActionTime: req.ActionTime,
		ActionPlace: req.ActionPlace, ActionDetails: req.ActionDetails, Grounds: req.Grounds, Demands: req.Demands}
	reg, err := h.Complaints.Register(c.UserContext(), in, nil, 0)
	var inv *complaints.InvalidForm
	if errors.As(err, &inv) {
		b := errBody(c, string(apperr.Invalid), "api.invalid_complaint")
		b.Error.Fields = map[string]string{}
		for f, key := range inv.Fields {
			b.Error.Fields[f] = i18n.T(c.UserContext(), key)
		}
		return c.Status(fiber.StatusUnprocessableEntity).JSON(b)
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Internal {
			return fail(c, err)
		}
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ComplaintResponse{ID: reg.ID, Number: reg.Number, Deadline: reg.Deadline, DuplicateOf: reg.DuplicateOf})
}

func errBody(c *fiber.Ctx, code, msg string) ErrorBody {
	var b ErrorBody
	b.Error.Code = apperr.Code(code)
	b.Error.Message = i18n.T(c.UserContext(), msg)
	return b
}

// ComplaintSummary is a complaint the client filed, with its deadline and state.
type ComplaintSummary struct {
	ID          int64      `json:"id"`
	Number      string     `json:"number"`
	State       string     `json:"state"`
	Source      string     `json:"source"`
	OrderRef    string     `json:"order_ref"`
	Respondent  string     `json:"respondent_login"`
	ReceivedAt  time.Time  `json:"received_at"`
	Deadline    time.Time  `json:"deadline"`
	Extended    bool       `json:"extended"`
	DecidedAt   *time.Time `json:"decided_at"`
	Outcome     *string    `json:"outcome"`
	Withdrawn   bool       `json:"withdrawn"`
	DuplicateOf *int64     `json:"duplicate_of"`
}

// ComplaintPage is GET /api/v1/complaints.
type ComplaintPage struct {
	Complaints []ComplaintSummary `json:"complaints"`
	NextCursor string             `json:"next_cursor"`
}

const complaintCols = `id, number, state, source, order_ref, respondent_login, received_at, decision_due, extended, decided_at, outcome,
	state = 'withdrawn', duplicate_of`

func scanComplaint(row pgx.CollectableRow) (ComplaintSummary, error) {
	var s ComplaintSummary
	err := row.Scan(&s.ID, &s.Number, &s.State, &s.Source, &s.OrderRef, &s.Respondent, &s.ReceivedAt, &s.Deadline, &s.Extended,
		&s.DecidedAt, &s.Outcome, &s.Withdrawn, &s.DuplicateOf)
	s.ReceivedAt, s.Deadline = s.ReceivedAt.UTC(), s.Deadline.UTC()
	return s, err
}

// ListComplaints lists the complaints the client filed, newest first, by keyset cursor. Drafts
// (mail intake not yet completed by staff) are the platform's work in progress and are left out.
func (h *Handlers) ListComplaints(c *fiber.Ctx) error {
	limit := 50
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return fail(c, apperr.InvalidField("limit", "api.bad_limit"))
		}
		limit = n
	}
	var before int64 = math.MaxInt64
	if s := c.Query("cursor"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return fail(c, apperr.InvalidField("cursor", "api.bad_cursor"))
		}
		before = n
	}
	rows, err := h.Pool.Query(c.UserContext(), `SELECT `+complaintCols+` FROM complaints
		WHERE complainant_account_id = $1 AND state <> 'draft' AND id < $2 ORDER BY id DESC LIMIT $3`, principal(c).AccountID, before, limit+1)
	if err != nil {
		return err
	}
	list, err := pgx.CollectRows(rows, scanComplaint)
	if err != nil {
		return err
	}
	page := ComplaintPage{Complaints: list}
	if len(list) > limit {
		page.Complaints = list[:limit]
		page.NextCursor = strconv.FormatInt(list[limit-1].ID, 10)
	}
	if page.Complaints == nil {
		page.Complaints = []ComplaintSummary{}
	}
	return c.JSON(page)
}

// GetComplaint is one complaint the client filed, by its number; anyone else's is 404.
func (h *Handlers) GetComplaint(c *fiber.Ctx) error {
	rows, err := h.Pool.Query(c.UserContext(), `SELECT `+complaintCols+` FROM complaints
		WHERE number = $1 AND complainant_account_id = $2 AND state <> 'draft'`, c.Params("number"), principal(c).AccountID)
	if err != nil {
		return err
	}
	s, err := pgx.CollectExactlyOneRow(rows, scanComplaint)
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(c, apperr.New(apperr.NotFound, "api.complaint_not_found"))
	}
	if err != nil {
		return err
	}
	return c.JSON(s)
}
