// Package complaints is the complaints desk (RULES.md §4): intake by staff and e-mail, the
// 15-day decision clock with one extension, review, withdrawal, decisions that act through the
// owning desks, the 3-day decision notice, and the SLA board. rules.go and clock.go are pure Go;
// store.go and the *_store.go files hold the SQL; one handler file per screen.
package complaints

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/admin/apperr"
)

// State is where a complaint is in its procedure.
type State string

const (
	Draft        State = "draft" // e-mail intake; an agent completes it
	Received     State = "received"
	Acknowledged State = "acknowledged"
	InReview     State = "in_review"
	Waiting      State = "waiting" // for the respondent's explanation
	Decided      State = "decided"
	Notified     State = "notified"
	Closed       State = "closed"
	Withdrawn    State = "withdrawn"
)

// OpenStates are those before the decision: the decision clock runs and withdrawal is allowed.
var OpenStates = []State{Draft, Received, Acknowledged, InReview, Waiting}

// Open tells whether the complaint is still before its decision.
func (s State) Open() bool { return slices.Contains(OpenStates, s) }

// Final tells whether the decision is taken (or the complaint withdrawn): no edits, only notes.
func (s State) Final() bool { return !s.Open() }

// transitions lists where each state may go. received→acknowledged happens in the registering
// transaction, when the acknowledgement is written to the outbox.
var transitions = map[State][]State{
	Draft:        {Received, Withdrawn},
	Received:     {Acknowledged, Withdrawn},
	Acknowledged: {InReview, Waiting, Decided, Withdrawn},
	InReview:     {Waiting, Decided, Withdrawn},
	Waiting:      {InReview, Decided, Withdrawn},
	Decided:      {Notified},
	Notified:     {Closed},
}

// CanMove tells whether from → to is a step of the procedure.
func CanMove(from, to State) bool { return slices.Contains(transitions[from], to) }

// Move checks from → to and names the refusal a user can act on.
func Move(from, to State) error {
	if CanMove(from, to) {
		return nil
	}
	switch {
	case to == Withdrawn && !from.Open():
		return apperr.New(apperr.Conflict, "complaints.withdraw.after_decision")
	case from.Final() && from != Withdrawn:
		return apperr.New(apperr.Conflict, "complaints.final")
	case from == Withdrawn:
		return apperr.New(apperr.Conflict, "complaints.withdrawn_final")
	}
	return apperr.New(apperr.Conflict, "complaints.bad_transition")
}

// CheckExtension applies the extension rule: once, before the deadline passes, 1 to 15 days, with
// a reason.
func CheckExtension(state State, extended bool, deadline, now time.Time, days int, reason string) error {
	switch {
	case !state.Open():
		return apperr.New(apperr.Conflict, "complaints.final")
	case extended:
		return apperr.New(apperr.Conflict, "complaints.extend.once")
	case Breached(deadline, now):
		return apperr.New(apperr.Conflict, "complaints.extend.breached")
	case days < 1 || days > MaxExtensionDays:
		return apperr.InvalidField("days", "complaints.extend.days")
	case strings.TrimSpace(reason) == "":
		return apperr.InvalidField("reason", "complaints.extend.reason")
	}
	return nil
}

// Intake is the registration form (and the completion of an e-mail draft).
type Intake struct {
	ComplainantName   string
	ComplainantBirth  string // YYYY-MM-DD
	ComplainantLogin  string // phone or e-mail
	ComplainantPhones string
	ComplainantEmails string
	ComplainantLang   string
	RespondentLogin   string
	OrderRef          string
	ActionDate        string // YYYY-MM-DD
	ActionTime        string // HH:MM
	ActionPlace       string
	ActionDetails     string
	Grounds           string
	Demands           []string
	ThirdParties      string
	// ReceivedDate and ReceivedTime are when a complaint that came by post, on paper or by phone
	// reached the platform (annex E: the 15 days count from then, not from its typing in); empty
	// means now. ReceivedVia names the channel.
	ReceivedDate, ReceivedTime, ReceivedVia string
}

// Channels a complaint can be received through.
var Channels = []string{"form", "post", "paper", "phone", "email"}

// ReceivedAt is when the complaint was received: the form's date and time (00:00 when no time) in
// loc, or ok false when the form leaves it to now.
func (in Intake) ReceivedAt(loc *time.Location) (time.Time, bool) {
	if in.ReceivedDate == "" {
		return time.Time{}, false
	}
	clock := in.ReceivedTime
	if clock == "" {
		clock = "00:00"
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", in.ReceivedDate+" "+clock, loc)
	return t, err == nil
}

// FieldErrors maps a form field to its message key; empty means the form is complete.
type FieldErrors map[string]string

var (
	phoneRe = regexp.MustCompile(`^\+[0-9]{10,15}$`)
	timeRe  = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// NormLogin turns a login into the form accounts keep: a phone without spaces, a lower-case e-mail.
func NormLogin(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		return strings.ToLower(s)
	}
	return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s)
}

func validLogin(s string) bool {
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	}
	return phoneRe.MatchString(s)
}

// Normalize trims the form and drops empty demand lines.
func (in *Intake) Normalize() {
	for _, p := range []*string{&in.ComplainantName, &in.ComplainantBirth, &in.ComplainantPhones, &in.ComplainantEmails,
		&in.OrderRef, &in.ActionDate, &in.ActionTime, &in.ActionPlace, &in.ActionDetails, &in.Grounds, &in.ThirdParties,
		&in.ReceivedDate, &in.ReceivedTime, &in.ReceivedVia} {
		*p = strings.TrimSpace(*p)
	}
	in.ComplainantLogin = NormLogin(in.ComplainantLogin)
	in.RespondentLogin = NormLogin(in.RespondentLogin)
	var ds []string
	for _, d := range in.Demands {
		for _, line := range strings.Split(d, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				ds = append(ds, line)
			}
		}
	}
	in.Demands = ds
	switch in.ComplainantLang {
	case "en", "ru", "uk":
	default:
		in.ComplainantLang = "uk"
	}
}

// Validate says precisely what is missing or wrong, field by field. now bounds the dates: a birth
// date or a contested action cannot be in the future (platform time, loc).
func (in *Intake) Validate(now time.Time, loc *time.Location) FieldErrors {
	in.Normalize()
	fe := FieldErrors{}
	req := func(field, v, key string) bool {
		if v == "" {
			fe[field] = key
			return false
		}
		return true
	}
	req("complainant_name", in.ComplainantName, "complaints.err.complainant_name")
	if req("complainant_birth", in.ComplainantBirth, "complaints.err.complainant_birth") {
		b, err := time.ParseInLocation(time.DateOnly, in.ComplainantBirth, loc)
		switch {
		case err != nil:
			fe["complainant_birth"] = "complaints.err.date_format"
		case b.After(now) || b.Year() < 1900:
			fe["complainant_birth"] = "complaints.err.birth_range"
		}
	}
	if req("complainant_login", in.ComplainantLogin, "complaints.err.complainant_login") && !validLogin(in.ComplainantLogin) {
		fe["complainant_login"] = "complaints.err.login_format"
	}
	if req("respondent_login", in.RespondentLogin, "complaints.err.respondent_login") && !validLogin(in.RespondentLogin) {
		fe["respondent_login"] = "complaints.err.login_format"
	}
	if in.RespondentLogin != "" && in.RespondentLogin == in.ComplainantLogin {
		fe["respondent_login"] = "complaints.err.same_party"
	}
	dateOK := req("action_date", in.ActionDate, "complaints.err.action_date")
	timeOK := req("action_time", in.ActionTime, "complaints.err.action_time")
	if timeOK && !timeRe.MatchString(in.ActionTime) {
		fe["action_time"] = "complaints.err.time_format"
		timeOK = false
	}
	if dateOK {
		if _, err := time.ParseInLocation(time.DateOnly, in.ActionDate, loc); err != nil {
			fe["action_date"] = "complaints.err.date_format"
		} else if at, ok := in.ActionAt(loc); timeOK && ok && at.After(now) {
			fe["action_date"] = "complaints.err.action_future"
		}
	}
	if !slices.Contains(Channels, in.ReceivedVia) {
		in.ReceivedVia = "form"
	}
	if in.ReceivedDate != "" {
		if in.ReceivedTime != "" && !timeRe.MatchString(in.ReceivedTime) {
			fe["received_time"] = "complaints.err.time_format"
		} else if at, ok := in.ReceivedAt(loc); !ok {
			fe["received_date"] = "complaints.err.date_format"
		} else if at.After(now) {
			fe["received_date"] = "complaints.err.received_future"
		} else if action, ok := in.ActionAt(loc); ok && at.Before(action) {
			fe["received_date"] = "complaints.err.received_before_action"
		}
	}
	req("action_place", in.ActionPlace, "complaints.err.action_place")
	req("action_details", in.ActionDetails, "complaints.err.action_details")
	req("grounds", in.Grounds, "complaints.err.grounds")
	if len(in.Demands) == 0 {
		fe["demands"] = "complaints.err.demands"
	}
	for _, line := range Lines(in.ComplainantEmails) {
		if !validLogin(strings.ToLower(line)) || !strings.Contains(line, "@") {
			fe["complainant_emails"] = "complaints.err.email_format"
		}
	}
	for _, line := range Lines(in.ThirdParties) {
		if !validLogin(strings.ToLower(line)) || !strings.Contains(line, "@") {
			fe["third_parties"] = "complaints.err.email_format"
		}
	}
	return fe
}

// ActionAt is the contested action's moment in loc.
func (in Intake) ActionAt(loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04", in.ActionDate+" "+in.ActionTime, loc)
	return t, err == nil
}

// Lines splits a multi-line field (or comma-separated) into trimmed non-empty entries.
func Lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ';' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Outcome of a decision.
type Outcome string

const (
	Upheld   Outcome = "upheld"
	Rejected Outcome = "rejected"
)

// ActionKind is a measure an upheld decision takes.
type ActionKind string

const (
	ActRefund          ActionKind = "refund"            // from the respondent to the complainant
	ActCompensation    ActionKind = "compensation"      // from the platform to the complainant
	ActPenalty         ActionKind = "penalty"           // from the respondent to the platform
	ActBlock           ActionKind = "block"             // the respondent's whole account
	ActBlockFunctions  ActionKind = "block_functions"   // some of its functions
	ActRatingCut       ActionKind = "rating_cut"        // the respondent's rating, less Amount points
	ActBalanceLimitCut ActionKind = "balance_limit_cut" // the respondent's balance limit, down to Amount
	ActDeactivation    ActionKind = "deactivation"      // a permanent whole-account block
)

// ActionKinds in the order the decision form lists them.
var ActionKinds = []ActionKind{ActRefund, ActCompensation, ActPenalty, ActBlock, ActBlockFunctions, ActRatingCut, ActBalanceLimitCut, ActDeactivation}

// Action is one measure of a decision.
type Action struct {
	Kind      ActionKind
	Amount    int64    // minor units: refund, compensation, penalty; points or minor units for cuts
	Functions []string // block_functions
}

// Decision is what the deciding agent submits.
type Decision struct {
	Outcome   Outcome
	Reasoning string
	Actions   []Action
}

// Validate checks the decision: reasoning always; actions only when upheld, each well-formed.
func (d *Decision) Validate() error {
	d.Reasoning = strings.TrimSpace(d.Reasoning)
	if d.Outcome != Upheld && d.Outcome != Rejected {
		return apperr.InvalidField("outcome", "complaints.decide.outcome")
	}
	if d.Reasoning == "" {
		return apperr.InvalidField("reasoning", "complaints.decide.reasoning")
	}
	if d.Outcome == Rejected && len(d.Actions) > 0 {
		return apperr.InvalidField("actions", "complaints.decide.rejected_actions")
	}
	for _, a := range d.Actions {
		if !slices.Contains(ActionKinds, a.Kind) {
			return apperr.InvalidField("actions", "complaints.decide.bad_action")
		}
		switch a.Kind {
		case ActRefund, ActCompensation, ActPenalty, ActRatingCut, ActBalanceLimitCut:
			if a.Amount <= 0 {
				return apperr.InvalidField("amount_"+string(a.Kind), "complaints.decide.amount")
			}
		case ActBlockFunctions:
			if len(a.Functions) == 0 {
				return apperr.InvalidField("functions", "complaints.decide.functions")
			}
		}
	}
	return nil
}
