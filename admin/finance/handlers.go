package finance

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/clock"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views"
	"github.com/postdesk/postdesk/views/financev"
)

// Handlers serve the finance pages.
type Handlers struct {
	Pool     *pgxpool.Pool
	Enforcer *rbac.Enforcer
	Loc      *time.Location
	Currency string
	// DataDir and Jobs make the reconciliation act in the background (admin/files); Jobs is nil
	// in a process without River.
	DataDir string
	Jobs    enqueue.Inserter
	Now     func() time.Time // the portal's clock
}

// Routes are the finance pages' routes.
func Routes(h *Handlers) []web.Route {
	return []web.Route{
		{Method: "GET", Path: "/finance", Perm: rbac.FinanceRead, Handler: h.Overview},
		{Method: "GET", Path: "/finance/ledger", Perm: rbac.FinanceRead, Handler: h.Ledger},
		{Method: "GET", Path: "/finance/ledger.xlsx", Perm: rbac.FinanceRead, Handler: h.LedgerXLSX},
		{Method: "GET", Path: "/finance/balances", Perm: rbac.FinanceRead, Handler: h.Balances},
		{Method: "GET", Path: "/finance/statement", Perm: rbac.FinanceRead, Handler: h.Statement},
		{Method: "GET", Path: "/finance/statement.xlsx", Perm: rbac.FinanceRead, Handler: h.StatementXLSX},
		{Method: "GET", Path: "/finance/statement.pdf", Perm: rbac.FinanceRead, Handler: h.StatementPDF},
		{Method: "POST", Path: "/finance/statement/act", Perm: rbac.FinanceRead, Handler: h.QueueAct},
		{Method: "GET", Path: "/finance/settings", Perm: rbac.FinanceRead, Handler: h.Settings},
		{Method: "POST", Path: "/finance/settings/commission", Perm: rbac.FinanceEdit, Handler: h.SaveCommission},
		{Method: "POST", Path: "/finance/settings/tariff", Perm: rbac.FinanceEdit, Handler: h.SaveTariff},
	}
}

const revenueDays = 30

// Overview is the trial balance and the platform's revenue by day.
func (h *Handlers) Overview(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	tb, err := ledger.TrialBalance(ctx, h.Pool)
	if err != nil {
		return err
	}
	to := clock.Or(h.Now).In(h.Loc).AddDate(0, 0, 1)
	days, err := RevenueByDay(ctx, h.Pool, h.Loc, to.AddDate(0, 0, -revenueDays), to)
	if err != nil {
		return err
	}
	o := financev.Overview{Total: money.Show(ctx, tb.Total, h.Currency), Balanced: tb.Total == 0, Days: revenueDays}
	for _, k := range tb.Kinds {
		o.Kinds = append(o.Kinds, financev.KindLine{Kind: string(k.Kind), Accounts: k.Accounts, Balance: money.Show(ctx, k.Balance, h.Currency)})
	}
	o.Chart, o.RevenueSum = revenueChart(c, days, h.Currency)
	for _, d := range days {
		o.HasRevenue = o.HasRevenue || d.Amount != 0
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "finance.title"), financev.OverviewPage(o))
}

// revenueChart is the revenue by day as a bar chart (dates on the x axis, amounts in the viewer's
// number style on the y axis, the currency named on it; a day of refunds shows no bar) and the
// period's total.
func revenueChart(c *fiber.Ctx, days []Day, currency string) (views.Chart, string) {
	ctx := web.Ctx(c)
	lang := i18n.Lang(ctx)
	ch := views.Chart{ID: "revenue-chart", Label: web.T(c, "finance.revenue_chart"), YTitle: currency,
		Format: func(v float64) string { return money.Format(int64(v), "", lang) },
		Series: []views.Series{{Name: web.T(c, "finance.revenue"), Color: "#2a6fdb"}}}
	var total ledger.Minor
	for _, d := range days {
		total += d.Amount
		ch.Labels = append(ch.Labels, d.Day.Format("02.01"))
		ch.Series[0].Value = append(ch.Series[0].Value, views.Val(float64(max(d.Amount, 0))))
	}
	return ch, money.Show(ctx, total, currency)
}

// filter reads the ledger browser's filters from the query string.
func (h *Handlers) filter(c *fiber.Ctx) (ledger.EntryFilter, error) {
	ids, err := web.QueryIDs(c, "account", "user")
	if err != nil {
		return ledger.EntryFilter{}, err
	}
	f := ledger.EntryFilter{Account: ledger.AccountID(ids[0]), User: ledger.UserID(ids[1]),
		Reason: strings.TrimSpace(c.Query("reason")), OrderRef: strings.TrimSpace(c.Query("order"))}
	if f.From, err = parseDay(c.Query("from"), h.Loc); err != nil {
		return f, err
	}
	to, err := parseDay(c.Query("to"), h.Loc)
	if err != nil {
		return f, err
	}
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the "to" day is included
	}
	if b := c.Query("before"); b != "" {
		at, id, ok := strings.Cut(b, "_")
		ns, err1 := strconv.ParseInt(at, 10, 64)
		n, err2 := strconv.ParseInt(id, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return f, apperr.InvalidField("before", "finance.bad_cursor")
		}
		f.Before = ledger.Cursor{At: time.Unix(0, ns), ID: ledger.EntryID(n)}
	}
	return f, nil
}

const pageSize = 50

// Ledger is the ledger browser: entries newest first, filtered, a keyset page at a time.
func (h *Handlers) Ledger(c *fiber.Ctx) error {
	f, err := h.filter(c)
	if err != nil {
		return err
	}
	f.Limit = pageSize
	es, err := ledger.Entries(web.Ctx(c), h.Pool, f)
	if err != nil {
		return err
	}
	rows, err := h.entries(c, es)
	if err != nil {
		return err
	}
	q := c.Context().QueryArgs()
	l := financev.Ledger{Account: string(q.Peek("account")), User: string(q.Peek("user")), Reason: f.Reason, Order: f.OrderRef,
		From: c.Query("from"), To: c.Query("to"), Entries: rows, ExportURL: "/finance/ledger.xlsx?" + exportQuery(c)}
	l.NextURL = next(c, "/finance/ledger", es)
	return web.Render(c, fiber.StatusOK, web.T(c, "finance.ledger"), financev.LedgerPage(l))
}

// next is the URL of the page after es, keeping the filters; "" on the last page.
func next(c *fiber.Ctx, path string, es []ledger.Entry) string {
	if len(es) < pageSize {
		return ""
	}
	last := es[len(es)-1].Cursor()
	args := c.Context().QueryArgs()
	var b strings.Builder
	args.VisitAll(func(k, v []byte) {
		if string(k) != "before" {
			fmt.Fprintf(&b, "%s=%s&", k, v)
		}
	})
	return fmt.Sprintf("%s?%sbefore=%d_%d", path, b.String(), last.At.UnixNano(), last.ID)
}

func exportQuery(c *fiber.Ctx) string {
	args := c.Context().QueryArgs()
	var parts []string
	args.VisitAll(func(k, v []byte) {
		if string(k) != "before" {
			parts = append(parts, string(k)+"="+string(v))
		}
	})
	return strings.Join(parts, "&")
}

// show formats amounts for the page: the viewer's language, the deployment's currency.
func (h *Handlers) show(c *fiber.Ctx) func(ledger.Minor) string {
	ctx := web.Ctx(c)
	return func(m ledger.Minor) string { return money.Show(ctx, m, h.Currency) }
}

// entries are ledger entries as the pages show them: the reason in words in the viewer's
// language (its code stays as a tooltip, for the reason filter), the owner's name beside the id.
func (h *Handlers) entries(c *fiber.Ctx, es []ledger.Entry) ([]financev.Entry, error) {
	ctx := web.Ctx(c)
	show, lang := h.show(c), i18n.Lang(ctx)
	var owners []int64
	for _, e := range es {
		if e.Owner != 0 {
			owners = append(owners, int64(e.Owner))
		}
	}
	names, err := OwnerNames(ctx, h.Pool, owners)
	if err != nil {
		return nil, err
	}
	out := make([]financev.Entry, 0, len(es))
	for _, e := range es {
		out = append(out, financev.Entry{ID: int64(e.ID), At: e.CreatedAt, Account: int64(e.Account), Kind: string(e.Kind),
			Owner: int64(e.Owner), OwnerName: names[int64(e.Owner)], Amount: show(e.Amount), Reason: ReasonText(lang, e.Reason), Code: e.Reason,
			OrderRef: e.OrderRef, Transfer: int64(e.Transfer)})
	}
	return out, nil
}

// Balances shows a client's or courier's balances with the entries behind them.
func (h *Handlers) Balances(c *fiber.Ctx) error {
	user, err := web.QueryID(c, "user")
	if err != nil {
		return err
	}
	b := financev.Balances{}
	if user > 0 {
		ctx := web.Ctx(c)
		bal, err := ledger.Balances(ctx, h.Pool, ledger.UserID(user))
		if err != nil {
			return err
		}
		f, err := h.filter(c)
		if err != nil {
			return err
		}
		f.Limit = pageSize
		es, err := ledger.Entries(ctx, h.Pool, f)
		if err != nil {
			return err
		}
		rows, err := h.entries(c, es)
		if err != nil {
			return err
		}
		show := h.show(c)
		b = financev.Balances{User: itoa(user), Available: show(bal.Available), Held: show(bal.Held),
			Deposit: show(bal.Deposit), Promo: show(bal.Promo), Entries: rows, NextURL: next(c, "/finance/balances", es)}
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "finance.balances"), financev.BalancesPage(b))
}

// Settings shows the commission rate and the tariff; finance may change them.
func (h *Handlers) Settings(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	bp, err := settle.CommissionBP(ctx, h.Pool)
	if err != nil {
		return err
	}
	tariff, err := orders.LoadTariff(ctx, h.Pool)
	if err != nil {
		return err
	}
	s := financev.Settings{CommissionPercent: money.PercentPlain(int64(bp)),
		CanEdit: h.Enforcer != nil && h.Enforcer.Can(web.Actor(c).Roles, rbac.FinanceEdit)}
	for _, b := range tariff {
		s.Bands = append(s.Bands, financev.Band{MaxGrams: b.MaxGrams, Price: money.Plain(b.Price)})
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "finance.settings"), financev.SettingsPage(s))
}

// SaveCommission sets the commission for new orders (a percentage with up to two decimals).
func (h *Handlers) SaveCommission(c *fiber.Ctx) error {
	bp, err := money.ParsePercent(c.FormValue("percent"))
	if err != nil {
		return apperr.InvalidField("commission", apperr.MessageOf(err))
	}
	if err := SetCommission(web.Ctx(c), h.Pool, int(bp)); err != nil {
		return err
	}
	web.Toast(c, "success", "finance.saved")
	return web.Redirect(c, "/finance/settings")
}

// SaveTariff replaces the tariff from lines "max_grams price".
func (h *Handlers) SaveTariff(c *fiber.Ctx) error {
	var bands orders.Tariff
	for _, line := range strings.Split(c.FormValue("bands"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return apperr.InvalidField("tariff", "finance.tariff_band_invalid")
		}
		g, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return apperr.InvalidField("tariff", "finance.tariff_band_invalid")
		}
		p, err := money.ParseField("tariff", f[1], money.Positive)
		if err != nil {
			return err
		}
		bands = append(bands, orders.Band{MaxGrams: g, Price: p})
	}
	if err := SetTariff(web.Ctx(c), h.Pool, bands); err != nil {
		return err
	}
	web.Toast(c, "success", "finance.saved")
	return web.Redirect(c, "/finance/settings")
}
