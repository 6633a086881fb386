package complaints

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views/complaintsv"
)

// BoardPage is the leads' SLA board.
func (h *Handlers) BoardPage(c *fiber.Ctx) error {
	b, err := h.store().SLABoard(web.Ctx(c), h.Pool, 12)
	if err != nil {
		return err
	}
	p := boardPage(c, b)
	th, err := LoadThresholds(web.Ctx(c), h.Pool)
	if err != nil {
		return err
	}
	p.Warnings = h.warningsForm(c, warningValues(th), nil)
	return web.Render(c, fiber.StatusOK, web.T(c, "complaints.board"), complaintsv.Board(p))
}

// The warning fields of the board's form: each clock's first and second warning.
var warnFields = []string{"decision_first", "decision_second", "notice_first", "notice_second"}

// warningValues are the thresholds as the form shows them: whole days where they are, else hours.
func warningValues(t Thresholds) map[string][2]string {
	span := func(hours int) [2]string {
		if hours%24 == 0 {
			return [2]string{strconv.Itoa(hours / 24), "d"}
		}
		return [2]string{strconv.Itoa(hours), "h"}
	}
	return map[string][2]string{"decision_first": span(t.Decision.First), "decision_second": span(t.Decision.Second),
		"notice_first": span(t.Notice.First), "notice_second": span(t.Notice.Second)}
}

// warningsForm is the board's warnings section with values (amount, unit) and errors (message keys).
func (h *Handlers) warningsForm(c *fiber.Ctx, values map[string][2]string, errs map[string]string) complaintsv.WarningsForm {
	f := complaintsv.WarningsForm{CanEdit: h.can(c, rbac.ComplaintsAssign)}
	for _, clock := range []string{"decision", "notice"} {
		cl := complaintsv.WarnClock{Legend: web.T(c, "complaints.warn."+clock)}
		for _, which := range []string{"first", "second"} {
			name := clock + "_" + which
			v := values[name]
			w := complaintsv.WarnField{Name: name, Label: web.T(c, "complaints.warn."+which), Amount: v[0], Unit: v[1]}
			if v[1] == "h" {
				w.Text = web.T(c, "complaints.warn.n_hours", "N", v[0])
			} else {
				w.Text = web.T(c, "complaints.warn.n_days", "N", v[0])
			}
			if errs[name] != "" {
				w.Error = web.T(c, errs[name])
			}
			cl.Fields = append(cl.Fields, w)
		}
		f.Clocks = append(f.Clocks, cl)
	}
	if len(errs) > 0 {
		f.Summary = web.T(c, "complaints.warn.summary")
	}
	return f
}

// SaveWarnings sets the board's warning times (a lead): whole days or hours, the first before the
// second, at most 15 days. A refusal keeps what was typed beside its message and changes nothing.
func (h *Handlers) SaveWarnings(c *fiber.Ctx) error {
	values, errs := map[string][2]string{}, map[string]string{}
	hours := map[string]int{}
	for _, name := range warnFields {
		amount, unit := strings.TrimSpace(c.FormValue(name)), c.FormValue(name+"_unit")
		values[name] = [2]string{amount, unit}
		n, err := ParseSpan(amount, unit)
		if err != nil {
			errs[name] = err.Error()
			continue
		}
		hours[name] = n
	}
	th := Thresholds{Decision: Warnings{First: hours["decision_first"], Second: hours["decision_second"]},
		Notice: Warnings{First: hours["notice_first"], Second: hours["notice_second"]}}
	for clock, w := range map[string]Warnings{"decision": th.Decision, "notice": th.Notice} {
		if errs[clock+"_first"] != "" || errs[clock+"_second"] != "" {
			continue
		}
		if err := w.Check(); err != nil {
			errs[clock+"_second"] = err.Error() // the order is broken at the second field
		}
	}
	if len(errs) > 0 {
		return h.renderWarnings(c, fiber.StatusUnprocessableEntity, h.warningsForm(c, values, errs))
	}
	if err := h.store().SetThresholds(web.Ctx(c), th); err != nil {
		return err
	}
	web.Toast(c, "success", "complaints.warn.saved")
	if !web.IsHTMX(c) {
		return web.Redirect(c, "/complaints/board")
	}
	return h.renderWarnings(c, fiber.StatusOK, h.warningsForm(c, warningValues(th), nil))
}

// renderWarnings answers htmx with the section alone; a plain form post gets the whole board.
func (h *Handlers) renderWarnings(c *fiber.Ctx, status int, f complaintsv.WarningsForm) error {
	if web.IsHTMX(c) {
		return web.Fragment(c, status, complaintsv.Warnings(f))
	}
	b, err := h.store().SLABoard(web.Ctx(c), h.Pool, 12)
	if err != nil {
		return err
	}
	p := boardPage(c, b)
	p.Warnings = f
	return web.Render(c, status, web.T(c, "complaints.board"), complaintsv.Board(p))
}

// boardPage is the board's weeks and breaches as the page shows them.
func boardPage(c *fiber.Ctx, b Board) complaintsv.BoardPage {
	p := complaintsv.BoardPage{}
	for _, w := range b.Weeks {
		p.Weeks = append(p.Weeks, boardWeek(w))
	}
	for _, a := range b.Agents {
		name := a.Name
		if name == "" {
			name = web.T(c, "complaints.board.unassigned")
		}
		p.Agents = append(p.Agents, complaintsv.BoardAgent{Name: name, Breaches: a.Breaches})
		p.MaxB = max(p.MaxB, a.Breaches)
	}
	return p
}

// boardWeek is a week as the board shows it: shares and the average only for weeks that have
// decisions (or notices) to measure, "—" otherwise.
func boardWeek(w Week) complaintsv.BoardWeek {
	v := complaintsv.BoardWeek{Label: w.Start.Format("02.01"), Start: w.Start.Format("2006-01-02"), Received: w.Received, Decided: w.Decided,
		OnTime: "—", Notice: "—", AvgDays: "—"}
	if w.Decided > 0 {
		pct := float64(pct(w.OnTimeShare()))
		v.OnTimePct, v.OnTime, v.AvgDays = &pct, fmt.Sprintf("%.0f%%", pct), fmt.Sprintf("%.1f", w.AvgDays)
	}
	if w.Notified > 0 {
		pct := float64(pct(w.NoticeShare()))
		v.NoticePct, v.Notice = &pct, fmt.Sprintf("%.0f%%", pct)
	}
	return v
}

// BoardExport streams the board's weeks and breaches as an Excel workbook.
func (h *Handlers) BoardExport(c *fiber.Ctx) error {
	b, err := h.store().SLABoard(web.Ctx(c), h.Pool, 52)
	if err != nil {
		return err
	}
	c.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Attachment("complaints-sla.xlsx")
	w, err := xlsx.NewWriter(c.Response().BodyWriter(), web.T(c, "complaints.board"), h.Loc)
	if err != nil {
		return err
	}
	if err := w.SetColumns(boardColumns(c)); err != nil {
		return err
	}
	for _, wk := range b.Weeks {
		if err := w.WriteRow(web.Ctx(c), wk.Start, wk.Received, wk.Decided, pct(wk.OnTimeShare()), int64(wk.AvgDays*100+0.5), pct(wk.NoticeShare())); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return nil
}

func pct(share float64) int { return int(share*100 + 0.5) }

// boardColumns are the export's columns. The writer has no decimal kind, so the average days go
// through Money (hundredths shown with two decimals).
func boardColumns(c *fiber.Ctx) []xlsx.Column {
	return []xlsx.Column{
		{Title: web.T(c, "complaints.board.week"), Kind: xlsx.Date},
		{Title: web.T(c, "complaints.board.received"), Kind: xlsx.Int},
		{Title: web.T(c, "complaints.board.decided"), Kind: xlsx.Int},
		{Title: web.T(c, "complaints.board.on_time") + ", %", Kind: xlsx.Int},
		{Title: web.T(c, "complaints.board.avg_days"), Kind: xlsx.Money},
		{Title: web.T(c, "complaints.board.notices_on_time") + ", %", Kind: xlsx.Int},
	}
}
