package api

import (
	"encoding/json"
	"errors"
	"time"

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
