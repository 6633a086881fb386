package complaints

import (
	"fmt"
	"mime"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views"
	"github.com/postdesk/postdesk/views/complaintsv"
)

// FileRow is an evidence file or a letter.
type FileRow struct {
	ID        int64
	Kind      string
	Name      string
	Size      int
	CreatedAt time.Time
}

// Show is the complaint page: facts, demands, evidence, notices, timeline and the actions the
// viewer may take in the complaint's state.
func (h *Handlers) Show(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.show(c, id, fiber.StatusOK, "")
}

// show renders complaint id; actionError, when not empty, is a refused action's message shown
// above the actions.
func (h *Handlers) show(c *fiber.Ctx, id int64, status int, actionError string) error {
	ctx, s := web.Ctx(c), h.store()
	cm, err := s.Get(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	demands, err := Demands(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	files, err := Files(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	notices, err := Notices(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	acts, err := Actions(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	th, err := LoadThresholds(ctx, h.Pool)
	if err != nil {
		return err
	}
	events, err := Events(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	when := func(t time.Time) string { return views.DateTime(ctx, t) }
	base := "/complaints/" + itoa(id)
	b := BadgeFor(cm.DecisionDue, s.now(), h.Loc, th.Decision.First)
	p := complaintsv.ShowPage{ID: id, Base: base, Number: cm.Number, StateKey: string(cm.State),
		State: web.T(c, "complaints.state."+string(cm.State)), BadgeLevel: b.Level, BadgeText: LeftText(c, b.Left),
		Due: when(cm.DecisionDue.Add(-time.Minute)), Open: cm.State.Open(), Draft: cm.State == Draft, Waiting: cm.State == Waiting,
		CanAssign: h.can(c, rbac.ComplaintsAssign), CanExtend: h.can(c, rbac.ComplaintsExtend) && !cm.Extended && !Breached(cm.DecisionDue, s.now()),
		CanDecide: h.can(c, rbac.ComplaintsDecide), CanWrite: h.can(c, rbac.ComplaintsWrite), CanClose: cm.State == Notified && h.can(c, rbac.ComplaintsWrite)}
	if cm.DuplicateOf != nil {
		p.Duplicate = web.T(c, "complaints.duplicate", "Number", cm.DuplicateNumber)
	}
	link := func(acc *int64) (string, string) {
		if acc == nil {
			return web.T(c, "complaints.f.unlinked"), ""
		}
		return web.T(c, "complaints.f.linked", "ID", *acc), "/accounts/" + itoa(*acc)
	}
	fact := func(key, v string) {
		if v != "" {
			p.Facts = append(p.Facts, complaintsv.KV{Label: web.T(c, key), Value: v})
		}
	}
	fact("complaints.f.complainant_name", cm.ComplainantName)
	birth := cm.ComplainantBirth
	if !actorView(c).Sees(Record, "complainant_birth_date") {
		birth = web.T(c, "complaints.f.hidden")
	}
	fact("complaints.f.complainant_birth", birth)
	acc, href := link(cm.ComplainantAccountID)
	p.Facts = append(p.Facts, complaintsv.KV{Label: web.T(c, "complaints.f.complainant_login"), Value: cm.ComplainantLogin + " · " + acc, Href: href})
	fact("complaints.f.complainant_phones", cm.ComplainantPhones)
	fact("complaints.f.complainant_emails", cm.ComplainantEmails)
	acc, href = link(cm.RespondentAccountID)
	p.Facts = append(p.Facts, complaintsv.KV{Label: web.T(c, "complaints.f.respondent_login"), Value: cm.RespondentLogin + " · " + acc, Href: href})
	fact("complaints.f.order_ref", cm.OrderRef)
	if cm.ActionAt != nil {
		fact("complaints.f.action_at", when(*cm.ActionAt)+" · "+cm.ActionPlace)
	}
	fact("complaints.f.action_details", cm.ActionDetails)
	fact("complaints.f.grounds", cm.Grounds)
	fact("complaints.f.third_parties", cm.ThirdParties)
	fact("complaints.f.received_at", when(cm.ReceivedAt))
	fact("complaints.col.assignee", cm.AssigneeName)
	if cm.ReplyDue != nil && cm.State == Waiting {
		fact("complaints.f.reply_due", when(cm.ReplyDue.Add(-time.Minute)))
	}
	if cm.DecidedAt != nil {
		fact("complaints.f.decided_at", when(*cm.DecidedAt)+" · "+web.T(c, "complaints.outcome."+cm.Outcome))
		fact("complaints.f.reasoning", cm.Reasoning)
	}
	if cm.NoticeDue != nil {
		fact("complaints.f.notice_due", when(cm.NoticeDue.Add(-time.Minute)))
		// The notice is given when its e-mails were delivered, not when they were queued.
		if cm.NotifiedAt != nil {
			fact("complaints.f.notified_at", when(*cm.NotifiedAt))
		} else {
			fact("complaints.f.notified_at", web.T(c, "complaints.f.not_delivered"))
		}
	}
	if cm.MailSubject != "" || cm.MailBody != "" {
		fact("complaints.f.mail", cm.MailFrom+" — "+cm.MailSubject+"\n"+cm.MailBody)
	}
	for _, d := range demands {
		it := complaintsv.Item{ID: d.ID, Title: d.Text, Muted: d.WithdrawnAt != nil}
		if d.WithdrawnAt != nil {
			it.Detail = web.T(c, "complaints.demand.withdrawn") + " " + when(*d.WithdrawnAt)
		}
		p.Demands = append(p.Demands, it)
	}
	for _, f := range files {
		it := complaintsv.Item{Title: f.Name, Href: base + "/files/" + itoa(f.ID), When: when(f.CreatedAt), Detail: fmt.Sprintf("%d KB", (f.Size+1023)/1024)}
		if f.Kind == "letter" {
			p.Letters = append(p.Letters, it)
		} else {
			p.Files = append(p.Files, it)
		}
	}
	for _, n := range notices {
		p.Notices = append(p.Notices, complaintsv.Item{Title: web.T(c, "complaints.notice.purpose."+n.Purpose) + " → " +
			web.T(c, "complaints.role."+n.Role) + " " + actorView(c).Strictest(n.Address, "account."+rbac.LoginField(n.Address), Record+".complainant_contacts"), Status: n.Status, StatusText: web.T(c, "notify.status."+n.Status), When: when(n.CreatedAt)})
		if n.SentAt != nil {
			p.Notices[len(p.Notices)-1].Detail = web.T(c, "complaints.notice.delivered", "At", when(*n.SentAt))
		}
	}
	for _, a := range acts {
		d := a.Result
		if a.Amount > 0 {
			d = fmt.Sprintf("%d · %s", a.Amount, a.Result)
		}
		p.Actions = append(p.Actions, complaintsv.Item{Title: web.T(c, "complaints.action."+string(a.Kind)), Detail: d, Href: "/accounts/" + itoa(a.AccountID)})
	}
	for _, e := range events {
		note := e.Note
		if e.Kind == EvWarning || e.Kind == EvEscalated {
			note = web.T(c, "complaints.sla_level."+note) // the sweep writes the level: d3, d1, breach
		}
		p.Timeline = append(p.Timeline, complaintsv.Item{Title: web.T(c, "complaints.ev."+string(e.Kind)), When: when(e.At), By: e.StaffName, Detail: note})
	}
	if p.CanAssign {
		if p.Staff, err = supportStaff(ctx, h.Pool); err != nil {
			return err
		}
		for i := range p.Staff {
			p.Staff[i].Selected = cm.AssigneeID != nil && p.Staff[i].Value == itoa(*cm.AssigneeID)
		}
	}
	for _, k := range ActionKinds {
		p.ActionKinds = append(p.ActionKinds, complaintsv.Option{Value: string(k), Label: web.T(c, "complaints.action."+string(k))})
	}
	for _, f := range accounts.Functions {
		p.Functions = append(p.Functions, complaintsv.Option{Value: string(f), Label: web.T(c, "accounts.function."+string(f))})
	}
	p.ActionError, p.Assignee = actionError, cm.AssigneeName
	pending, err := PendingExtensionOf(ctx, h.Pool, id)
	if err != nil {
		return err
	}
	extendable := p.Open && !p.Draft && !cm.Extended && !Breached(cm.DecisionDue, s.now())
	if pending != nil {
		p.PendingExtension = &complaintsv.ExtensionRequest{Days: pending.Days, Reason: pending.Reason, By: pending.RequestedName, At: when(pending.RequestedAt)}
		p.CanGrant = extendable && h.can(c, rbac.ComplaintsExtend)
	} else {
		p.CanRequestExtension = extendable && p.CanWrite && !h.can(c, rbac.ComplaintsExtend)
	}
	if a := web.Actor(c); a != nil && p.Open && !p.Draft && h.can(c, rbac.ComplaintsWrite) && (cm.AssigneeID == nil || *cm.AssigneeID != a.ID) {
		p.CanTake = true
	}
	return web.Render(c, status, cm.Number, complaintsv.Show(p))
}

func actorView(c *fiber.Ctx) rbac.View {
	if a := web.Actor(c); a != nil {
		return a.View
	}
	return rbac.FullView()
}

// File sends an evidence file or a letter.
func (h *Handlers) File(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	fid, err := web.ParamID(c, "file")
	if err != nil {
		return err
	}
	name, ct, data, err := FileData(web.Ctx(c), h.Pool, id, fid)
	if err != nil {
		return err
	}
	// The stored type was read from the bytes. Only pictures and PDFs that browsers show safely
	// are served as what they are (inline); anything else, an SVG or HTML too, is a download of
	// plain bytes. The name never decides the type (Fiber's Attachment would take it from the
	// extension, so the header is written here, after it).
	disposition, serveAs := "attachment", "application/octet-stream"
	if safeInline[ct] {
		disposition, serveAs = "inline", ct
	}
	c.Set(fiber.HeaderContentDisposition, contentDisposition(disposition, name))
	c.Set(fiber.HeaderContentType, serveAs)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if serveAs != "application/pdf" { // Chromium will not show a PDF in a sandboxed document
		c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(data)
}

// safeInline are the evidence types a browser may show in place: pictures it decodes as
// pictures (never SVG, which can carry script) and PDF.
var safeInline = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// contentDisposition names the file for the browser, any language, with no header injection.
func contentDisposition(kind, name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, filepath.Base(name))
	if v := mime.FormatMediaType(kind, map[string]string{"filename": name}); v != "" {
		return v
	}
	return kind
}
