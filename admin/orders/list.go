package orders

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/rbac"
	"github.com/postdesk/postdesk/views"
	"github.com/postdesk/postdesk/views/ordersv"
)

// filterParams are the query parameters that make up a list view, in URL order.
var filterParams = []string{"q", "status", "client", "courier", "period", "from", "to", "sort", "dir"}

// readFilters reads the list's filters from a query string or a form (the export posts the same
// fields). Dates are days in the platform zone; "to" includes its whole day.
func (h *Handlers) readFilters(get func(string) string) (ordersv.Filters, Filter, error) {
	fv := ordersv.Filters{Q: strings.TrimSpace(get("q")), Status: get("status"), Client: get("client"), Courier: get("courier"),
		Period: get("period"), From: get("from"), To: get("to"), Sort: get("sort"), Dir: get("dir")}
	f := Filter{Q: fv.Q, Status: Status(fv.Status), Period: fv.Period, Sort: fv.Sort, Asc: fv.Dir == "asc", After: get("after")}
	if fv.Period != "delivered" {
		fv.Period, f.Period = "created", "created"
	}
	// A number search lists its matches in number order: the index that finds them also sorts
	// them, however many share the prefix typed so far.
	if q := normalizeNumber(fv.Q); q != "" && f.Sort == "" {
		f.Sort, f.Asc = SearchColumn(q), true
		fv.Sort, fv.Dir = f.Sort, "asc"
	}
	if f.Sort == "" && fv.Dir == "" {
		fv.Dir = "desc"
	}
	var err error
	parseID := func(s string, field string) int64 {
		if s == "" {
			return 0
		}
		n, e := strconv.ParseInt(s, 10, 64)
		if e != nil || n <= 0 {
			err = apperr.InvalidField(field, "orders.bad_id")
		}
		return n
	}
	f.ClientID = parseID(fv.Client, "client")
	f.CourierID = parseID(fv.Courier, "courier")
	day := func(s, field string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, e := time.ParseInLocation("2006-01-02", s, h.zone())
		if e != nil {
			err = apperr.InvalidField(field, "orders.bad_date")
		}
		return t
	}
	f.From = day(fv.From, "from")
	if to := day(fv.To, "to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	return fv, f, err
}

// query encodes the filters for a URL, leaving out empty ones.
func query(fv ordersv.Filters, extra ...string) url.Values {
	q := url.Values{}
	vals := []string{fv.Q, fv.Status, fv.Client, fv.Courier, fv.Period, fv.From, fv.To, fv.Sort, fv.Dir}
	for i, name := range filterParams {
		if vals[i] != "" && !(name == "period" && vals[i] == "created") {
			q.Set(name, vals[i])
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// List is /orders: search, filters, sort and keyset pages, all in the URL so a view can be
// bookmarked; the user's own columns.
func (h *Handlers) List(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	a := web.Actor(c)
	fv, f, ferr := h.readFilters(func(k string) string { return c.Query(k) })
	cols, err := ColumnsFor(ctx, h.Pool)
	if err != nil {
		return err
	}
	data := h.listData(c, fv, cols, a.View)
	data.CanEdit = h.canEdit(a.Roles)
	if data.CanEdit {
		for _, s := range h.Lifecycle.BulkTargets() {
			data.BulkTargets = append(data.BulkTargets, ordersv.Option{Value: string(s), Label: web.T(c, "orders.status."+string(s))})
		}
	}
	var list []Order
	next := ""
	if ferr == nil {
		list, next, ferr = List(ctx, h.Pool, f)
	}
	if ferr != nil {
		if apperr.CodeOf(ferr) == apperr.Internal {
			return ferr
		}
		data.Error = web.T(c, apperr.MessageOf(ferr), "Field", web.T(c, "orders.col."+fieldOf(ferr)))
	}
	data.Rows = h.rows(c, list, cols)
	if next != "" {
		data.NextURL = "/orders?" + query(fv, "after", next).Encode()
	}
	if c.Get("HX-Target") == "results" {
		return web.Fragment(c, fiber.StatusOK, ordersv.Results(data))
	}
	return web.Render(c, fiber.StatusOK, web.T(c, "nav.orders"), ordersv.List(data))
}

func fieldOf(err error) string {
	if e, ok := err.(*apperr.Error); ok {
		return e.Field
	}
	return ""
}

// Find is the scanner's shortcut: a whole order or waybill number opens the order; anything
// else lands on the list searched by it.
func (h *Handlers) Find(c *fiber.Ctx) error {
	q := c.Query("q")
	number, err := FindNumber(web.Ctx(c), h.Pool, q)
	if err != nil {
		return err
	}
	if number != "" {
		return web.Redirect(c, "/orders/"+number)
	}
	return web.Redirect(c, "/orders?"+url.Values{"q": {q}}.Encode())
}

func (h *Handlers) listData(c *fiber.Ctx, fv ordersv.Filters, cols []string, v rbac.View) ordersv.ListData {
	d := ordersv.ListData{F: fv}
	for _, s := range Statuses {
		d.Statuses = append(d.Statuses, ordersv.Option{Value: string(s), Label: web.T(c, "orders.status."+string(s))})
	}
	current := fv.Sort
	if current == "" {
		current = "created"
	}
	for _, key := range cols {
		col, _ := ColumnByKey(key)
		hc := ordersv.Col{Key: key, Label: web.T(c, "orders.col."+key), Numeric: Numeric(key)}
		if col.Sortable(v) {
			dir := "desc"
			if key == current {
				hc.Sorted = fv.Dir
				if fv.Dir != "asc" {
					hc.Sorted, dir = "desc", "asc"
				}
			}
			s := fv
			s.Sort, s.Dir = key, dir
			hc.SortURL = "/orders?" + query(s).Encode()
		}
		d.Cols = append(d.Cols, hc)
	}
	// The chooser lists the chosen columns first, in their order, then the others the viewer may see.
	pos := 1
	for _, key := range cols {
		d.Choices = append(d.Choices, ordersv.Choice{Key: key, Label: web.T(c, "orders.col."+key), Checked: true, Pos: pos})
		pos++
	}
	for _, col := range Columns {
		if col.Visible(v) && !slices.Contains(cols, col.Key) {
			d.Choices = append(d.Choices, ordersv.Choice{Key: col.Key, Label: web.T(c, "orders.col."+col.Key), Pos: pos})
			pos++
		}
	}
	return d
}

func (h *Handlers) rows(c *fiber.Ctx, list []Order, cols []string) []ordersv.Row {
	out := make([]ordersv.Row, len(list))
	for i := range list {
		o := &list[i]
		r := ordersv.Row{Number: o.Number, Cells: make([]ordersv.Cell, len(cols))}
		for j, key := range cols {
			r.Cells[j] = h.cell(c, o, key)
		}
		out[i] = r
	}
	return out
}

func (h *Handlers) cell(c *fiber.Ctx, o *Order, key string) ordersv.Cell {
	switch key {
	case "number":
		return ordersv.Cell{Text: o.Number, Href: "/orders/" + o.Number, Mono: true}
	case "waybill":
		return ordersv.Cell{Text: o.Waybill, Href: "/orders/" + o.Number, Mono: true}
	case "status":
		return ordersv.Cell{Text: web.T(c, "orders.status."+string(o.Status)), Status: string(o.Status)}
	case "client":
		return ordersv.Cell{Text: o.ClientName, Href: "/accounts/" + strconv.FormatInt(o.ClientID, 10)}
	case "courier":
		if o.CourierID == 0 {
			return ordersv.Cell{}
		}
		return ordersv.Cell{Text: o.CourierName, Href: "/accounts/" + strconv.FormatInt(o.CourierID, 10)}
	case "weight":
		return ordersv.Cell{Text: FormatKg(o.WeightGrams) + " " + web.T(c, "orders.kg"), Num: true}
	case "client_id", "courier_id":
		if id, ok := Value(o, key).(int64); ok {
			return ordersv.Cell{Text: strconv.FormatInt(id, 10), Num: true, Mono: true}
		}
		return ordersv.Cell{}
	case "declared_value", "cost":
		return ordersv.Cell{Text: money.Show(web.Ctx(c), Value(o, key).(int64), h.Currency), Num: true}
	case "sender_phone", "recipient_phone":
		return ordersv.Cell{Text: Value(o, key).(string), Mono: true}
	}
	switch v := Value(o, key).(type) {
	case time.Time:
		if v.IsZero() {
			return ordersv.Cell{}
		}
		return ordersv.Cell{Text: views.DateTime(web.Ctx(c), v)}
	case string:
		return ordersv.Cell{Text: v}
	}
	return ordersv.Cell{}
}

// SaveColumns stores the user's column choice (checked columns, ordered by their position
// inputs) and redraws the list with it.
func (h *Handlers) SaveColumns(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	if c.FormValue("reset") != "" {
		if err := ResetColumns(ctx, h.Pool); err != nil {
			return err
		}
	} else {
		args := c.Request().PostArgs()
		var keys []string
		for _, v := range args.PeekMulti("col") {
			keys = append(keys, string(v))
		}
		pos := func(k string) int {
			n, err := strconv.Atoi(c.FormValue("pos_" + k))
			if err != nil {
				return 1000
			}
			return n
		}
		slices.SortStableFunc(keys, func(a, b string) int { return pos(a) - pos(b) })
		if len(keys) == 0 {
			return apperr.InvalidField("col", "orders.columns_none")
		}
		if _, err := SaveColumns(ctx, h.Pool, keys); err != nil {
			return err
		}
	}
	web.Toast(c, "success", "orders.columns_saved")
	// Redraw the page with the filters the form carried along.
	c.Request().URI().SetQueryString(c.Request().PostArgs().String())
	c.Request().Header.Set("HX-Target", "main")
	return h.List(c)
}
