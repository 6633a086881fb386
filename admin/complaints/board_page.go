package complaints

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/docs/xlsx"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/complaintsv"
)

// BoardPage is the leads' SLA board.
func (h *Handlers) BoardPage(c *fiber.Ctx) error {
	b, err := h.store().SLABoard(web.Ctx(c), h.Pool, 12)
	if err != nil {
		return err
	}
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
	return web.Render(c, fiber.StatusOK, web.T(c, "complaints.board"), complaintsv.Board(p))
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
