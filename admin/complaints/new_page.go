package complaints

import (
	"errors"
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/complaintsv"
)

var formFields = []string{"complainant_name", "complainant_birth", "complainant_login", "complainant_phones", "complainant_emails",
	"complainant_lang", "respondent_login", "order_ref", "action_date", "action_time", "action_place", "action_details",
	"grounds", "demands", "third_parties", "received_date", "received_time", "received_via"}

func intakeOf(c *fiber.Ctx) (Intake, map[string]string) {
	v := map[string]string{}
	for _, f := range formFields {
		v[f] = c.FormValue(f)
	}
	return Intake{
		ComplainantName: v["complainant_name"], ComplainantBirth: v["complainant_birth"], ComplainantLogin: v["complainant_login"],
		ComplainantPhones: v["complainant_phones"], ComplainantEmails: v["complainant_emails"], ComplainantLang: v["complainant_lang"],
		RespondentLogin: v["respondent_login"], OrderRef: v["order_ref"], ActionDate: v["action_date"], ActionTime: v["action_time"],
		ActionPlace: v["action_place"], ActionDetails: v["action_details"], Grounds: v["grounds"], Demands: []string{v["demands"]},
		ThirdParties: v["third_parties"], ReceivedDate: v["received_date"], ReceivedTime: v["received_time"], ReceivedVia: v["received_via"],
	}, v
}

// uploads reads the files of a multipart field, refusing any over MaxUpload.
func uploads(c *fiber.Ctx, field string) ([]Upload, error) {
	form, err := c.MultipartForm()
	if err != nil {
		return nil, nil // a form without files
	}
	var out []Upload
	for _, fh := range form.File[field] {
		if fh.Size == 0 {
			continue
		}
		if fh.Size > MaxUpload {
			return nil, errors.New("complaints.evidence.too_big")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, Upload{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data})
	}
	return out, nil
}

// NewForm shows the empty registration form.
func (h *Handlers) NewForm(c *fiber.Ctx) error {
	f := complaintsv.Form{Action: "/complaints", Title: web.T(c, "complaints.new"), Values: map[string]string{"complainant_lang": "uk"}}
	return web.Render(c, fiber.StatusOK, f.Title, complaintsv.NewForm(f))
}

// Create registers a complaint, or shows the form again saying what is missing.
func (h *Handlers) Create(c *fiber.Ctx) error {
	return h.register(c, 0, complaintsv.Form{Action: "/complaints", Title: web.T(c, "complaints.new")})
}

func (h *Handlers) register(c *fiber.Ctx, draftID int64, f complaintsv.Form) error {
	in, values := intakeOf(c)
	if draftID != 0 {
		if err := h.keepUnread(c, draftID, &in); err != nil {
			return err
		}
	}
	files, err := uploads(c, "evidence")
	if err != nil {
		return web.Render(c, fiber.StatusUnprocessableEntity, f.Title, complaintsv.NewForm(withErrors(c, f, values, FieldErrors{"evidence": err.Error()})))
	}
	r, err := h.store().Register(web.Ctx(c), in, files, draftID)
	var inv *InvalidForm
	if errors.As(err, &inv) {
		return web.Render(c, fiber.StatusUnprocessableEntity, f.Title, complaintsv.NewForm(withErrors(c, f, values, inv.Fields)))
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "complaints.registered", "Number", r.Number)
	return web.Redirect(c, "/complaints/"+itoa(r.ID))
}

func withErrors(c *fiber.Ctx, f complaintsv.Form, values map[string]string, fe FieldErrors) complaintsv.Form {
	f.Values, f.Errors = values, map[string]string{}
	for field, key := range fe {
		f.Errors[field] = web.T(c, key)
	}
	f.Summary = web.T(c, "complaints.err.form")
	return f
}

// CompleteForm shows an e-mail draft's form, prefilled with what the message gave.
func (h *Handlers) CompleteForm(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	cm, err := h.store().Get(web.Ctx(c), h.Pool, id)
	if err != nil {
		return err
	}
	// The form writes back what it shows: a log-in or contacts the viewer cannot read whole are
	// left for them to type, never prefilled masked.
	values := map[string]string{"complainant_lang": cm.ComplainantLang}
	if cm.ComplainantLogin != "" && actorView(c).Reads("account", rbac.LoginField(cm.ComplainantLogin)) {
		values["complainant_login"] = cm.ComplainantLogin
	}
	if actorView(c).Reads(Record, "complainant_contacts") {
		values["complainant_emails"] = cm.ComplainantEmails
	}
	f := complaintsv.Form{Action: "/complaints/" + itoa(id) + "/complete", Title: web.T(c, "complaints.complete") + " " + cm.Number,
		Values: values,
		Mail:   &complaintsv.MailInfo{From: cm.MailFrom, Subject: cm.MailSubject, Body: cm.MailBody}}
	return web.Render(c, fiber.StatusOK, f.Title, complaintsv.NewForm(f))
}

// keepUnread completes a draft with what its mail gave for the fields the viewer cannot read (the
// form left them empty rather than show them): the complainant's log-in and contact e-mails.
func (h *Handlers) keepUnread(c *fiber.Ctx, draftID int64, in *Intake) error {
	v := actorView(c)
	stored, err := h.store().load(web.Ctx(c), h.Pool, draftID)
	if err != nil {
		return err
	}
	if in.ComplainantLogin == "" && stored.ComplainantLogin != "" && !v.Reads("account", rbac.LoginField(stored.ComplainantLogin)) {
		in.ComplainantLogin = stored.ComplainantLogin
	}
	if in.ComplainantEmails == "" && !v.Reads(Record, "complainant_contacts") {
		in.ComplainantEmails = stored.ComplainantEmails
	}
	return nil
}

// Complete turns a draft into a registered complaint.
func (h *Handlers) Complete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.register(c, id, complaintsv.Form{Action: "/complaints/" + itoa(id) + "/complete", Title: web.T(c, "complaints.complete")})
}
