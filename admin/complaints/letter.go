package complaints

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/rbac"
)

// MakeLetter writes the decision letter (PDF, in the complainant's language) and sends the decision
// notice to the complainant, the respondent and the named third parties, each its own outbox row
// with the letter attached by id; then marks the complaint notified. It runs as a River job and is
// idempotent: a complaint already notified is left alone.
func (s *Store) MakeLetter(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		st, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != Decided {
			return nil
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		demands, err := Demands(ctx, tx, id)
		if err != nil {
			return err
		}
		acts, err := Actions(ctx, tx, id)
		if err != nil {
			return err
		}
		// One letter goes to every party: it carries what each may know of the others (names),
		// never the other side's phone or e-mail.
		pdf, err := s.LetterPDF(c.As(rbac.PartyView()), demands, acts)
		if err != nil {
			return err
		}
		name := "decision-" + c.Number + ".pdf"
		var letterID int64
		if err := tx.QueryRow(ctx, `INSERT INTO complaint_files (complaint_id, kind, name, content_type, data) VALUES ($1, 'letter', $2, 'application/pdf', $3) RETURNING id`,
			id, name, pdf).Scan(&letterID); err != nil {
			return err
		}
		data := map[string]any{"number": c.Number, "outcome": c.Outcome, "reasoning": c.Reasoning,
			"decided": c.DecidedAt.Format(time.RFC3339), "letter": name, "letter_id": letterID, "complaint_id": id}
		if err := sendTx(ctx, tx, c, complainantOf(c), "decision", "complainant", tplDecision, c.ComplainantLang, &letterID, data); err != nil {
			return err
		}
		if err := sendTx(ctx, tx, c, respondentOf(c), "decision", "respondent", tplDecision, "", &letterID, data); err != nil {
			return err
		}
		for _, email := range Lines(c.ThirdParties) {
			if err := sendTx(ctx, tx, c, party{email: strings.ToLower(email)}, "decision", "third_party", tplDecision, c.ComplainantLang, &letterID, data); err != nil {
				return err
			}
		}
		if err := setState(ctx, tx, id, Decided, Notified); err != nil {
			return err
		}
		if err := event(ctx, tx, id, EvNotified, s.now(), 0, name, map[string]any{"letter_id": letterID}); err != nil {
			return err
		}
		_, err = s.syncDeadlines(ctx, tx, id)
		return err
	})
}

// LetterPDF renders the decision letter in the complainant's language.
func (s *Store) LetterPDF(c Complaint, demands []Demand, acts []ActionRow) ([]byte, error) {
	lang := c.ComplainantLang
	t := func(key string, args ...any) string { return i18n.In(lang, key, args...) }
	when := func(tm time.Time) string { return tm.In(s.Loc).Format("02.01.2006 15:04") }
	d := pdfdoc.New()
	d.SetHeaderFooter(t("complaints.letter.title")+" "+c.Number, t("complaints.letter.page_of"))
	d.AddPage()
	d.SetFont(pdfdoc.Family, "B", 15)
	d.MultiCell(0, 8, pdfdoc.Clean(t("complaints.letter.title")+" "+c.Number), "", "L", false)
	d.Ln(2)
	d.SetFont(pdfdoc.Family, "", 10)
	line := func(label, value string) {
		if value == "" {
			return
		}
		d.SetFont(pdfdoc.Family, "B", 10)
		d.MultiCell(0, 5.5, pdfdoc.Clean(label), "", "L", false)
		d.SetFont(pdfdoc.Family, "", 10)
		d.MultiCell(0, 5.5, pdfdoc.Clean(value), "", "L", false)
		d.Ln(1.5)
	}
	line(t("complaints.f.complainant_name"), c.ComplainantName)
	line(t("complaints.f.complainant_login"), c.ComplainantLogin)
	line(t("complaints.f.respondent_login"), c.RespondentLogin)
	line(t("complaints.f.order_ref"), c.OrderRef)
	line(t("complaints.f.received_at"), when(c.ReceivedAt))
	if c.ActionAt != nil {
		line(t("complaints.f.action_at"), when(*c.ActionAt)+", "+c.ActionPlace)
	}
	line(t("complaints.f.action_details"), c.ActionDetails)
	// list writes a heading and its items, one per line (a MultiCell each: pdfdoc.Clean turns a
	// line break inside one into a space, which ran the items together).
	list := func(label string, items []string) {
		if len(items) == 0 {
			return
		}
		d.SetFont(pdfdoc.Family, "B", 10)
		d.MultiCell(0, 5.5, pdfdoc.Clean(label), "", "L", false)
		d.SetFont(pdfdoc.Family, "", 10)
		for _, it := range items {
			d.MultiCell(0, 5.5, pdfdoc.Clean("— "+it), "", "L", false)
		}
		d.Ln(1.5)
	}
	line(t("complaints.f.grounds"), c.Grounds)
	var ds []string
	for _, dm := range demands {
		if dm.WithdrawnAt != nil {
			ds = append(ds, dm.Text+" ("+t("complaints.demand.withdrawn")+")")
		} else {
			ds = append(ds, dm.Text)
		}
	}
	// The letter's own headings: the form's carry hints for whoever fills it in ("one per line").
	list(t("complaints.letter.demands"), ds)
	d.Ln(2)
	d.SetFont(pdfdoc.Family, "B", 12)
	d.MultiCell(0, 7, pdfdoc.Clean(t("complaints.letter.decision", "Outcome", t("complaints.outcome."+c.Outcome))), "", "L", false)
	d.SetFont(pdfdoc.Family, "", 10)
	if c.DecidedAt != nil {
		line(t("complaints.f.decided_at"), when(*c.DecidedAt))
	}
	line(t("complaints.f.reasoning"), c.Reasoning)
	var as []string
	for _, a := range acts {
		as = append(as, s.actionText(lang, a))
	}
	list(t("complaints.letter.actions"), as)
	d.Ln(2)
	d.MultiCell(0, 5.5, pdfdoc.Clean(t("complaints.letter.final")), "", "L", false)
	var b bytes.Buffer
	if err := d.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// actionText is one measure of the decision as the letter states it: money with its currency,
// a rating cut with its points, a new balance limit with its amount, blocked functions named.
func (s *Store) actionText(lang string, a ActionRow) string {
	t := func(key string, args ...any) string { return i18n.In(lang, key, args...) }
	currency := s.Currency
	if currency == "" {
		currency = "UAH"
	}
	switch a.Kind {
	case ActRefund, ActCompensation, ActPenalty:
		return t("complaints.letter.action."+string(a.Kind), "Amount", money.Format(a.Amount, currency, lang))
	case ActRatingCut:
		return t("complaints.letter.action.rating_cut", "Points", a.Amount)
	case ActBalanceLimitCut:
		return t("complaints.letter.action.balance_limit_cut", "Amount", money.Format(a.Amount, currency, lang))
	case ActBlockFunctions:
		var fs []string
		for _, f := range a.Functions {
			fs = append(fs, t("accounts.function."+f))
		}
		return t("complaints.action.block_functions") + ": " + strings.Join(fs, ", ")
	}
	return t("complaints.action." + string(a.Kind))
}
