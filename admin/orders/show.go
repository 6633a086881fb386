package orders

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views"
	"github.com/postdesk/postdesk/views/ordersv"
)

// Show is /orders/{number}: the details the viewer may see, the status timeline, attachments.
func (h *Handlers) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, "")
}

func (h *Handlers) show(c *fiber.Ctx, status int, attachErr string) error {
	ctx := web.Ctx(c)
	o, err := Get(ctx, h.Pool, c.Params("number"))
	if err != nil {
		return err
	}
	hist, err := History(ctx, h.Pool, o.ID)
	if err != nil {
		return err
	}
	att, err := h.Files.Attachments(ctx, Record, o.Number)
	if err != nil {
		return err
	}
	a := web.Actor(c)
	d := ordersv.ShowData{Number: o.Number, Waybill: o.Waybill, Status: string(o.Status),
		StatusLabel: web.T(c, "orders.status."+string(o.Status)), CanEdit: h.canEdit(a.Roles), AttachError: attachErr}
	v := a.View
	prop := func(key, value string) {
		col, ok := ColumnByKey(key)
		if ok && !col.Visible(v) {
			return
		}
		d.Props = append(d.Props, ordersv.Prop{Label: web.T(c, "orders.col."+key), Value: value})
	}
	last := func() *ordersv.Prop { return &d.Props[len(d.Props)-1] }
	prop("client", o.ClientName)
	if col, _ := ColumnByKey("client"); col.Visible(v) {
		last().Href = "/accounts/" + strconv.FormatInt(o.ClientID, 10)
	} else {
		d.Props = append(d.Props, ordersv.Prop{Label: web.T(c, "orders.col.client"), Value: "#" + strconv.FormatInt(o.ClientID, 10),
			Href: "/accounts/" + strconv.FormatInt(o.ClientID, 10)})
	}
	if o.CourierID != 0 {
		name := o.CourierName
		if name == "" {
			name = "#" + strconv.FormatInt(o.CourierID, 10)
		}
		d.Props = append(d.Props, ordersv.Prop{Label: web.T(c, "orders.col.courier"), Value: name, Href: "/accounts/" + strconv.FormatInt(o.CourierID, 10)})
	}
	prop("sender_name", o.SenderName)
	prop("sender_phone", o.SenderPhone)
	prop("sender_address", o.SenderAddress)
	prop("recipient_name", o.RecipientName)
	prop("recipient_phone", o.RecipientPhone)
	prop("recipient_address", o.RecipientAddress)
	prop("item", o.Item)
	prop("weight", FormatKg(o.WeightGrams)+" "+web.T(c, "orders.kg"))
	prop("declared_value", money.Show(ctx, o.DeclaredValue, h.Currency))
	prop("cost", money.Show(ctx, o.Cost, h.Currency))
	prop("created", views.DateTime(ctx, o.CreatedAt))
	if !o.ExpectedAt.IsZero() {
		prop("expected", views.DateTime(ctx, o.ExpectedAt))
	}
	if !o.DeliveredAt.IsZero() {
		prop("delivered", views.DateTime(ctx, o.DeliveredAt))
	}
	if o.Comment != "" {
		prop("comment", o.Comment)
	}
	if o.ExternalRef != "" {
		prop("external_ref", o.ExternalRef)
	}
	for _, e := range hist {
		ev := ordersv.Event{At: views.DateTime(ctx, e.At), Who: e.StaffName, To: web.T(c, "orders.status."+string(e.To)),
			Status: string(e.To), Note: e.Note}
		if e.From != "" {
			ev.From = web.T(c, "orders.status."+string(e.From))
		}
		if ev.Who == "" {
			ev.Who = web.T(c, "orders.system")
		}
		d.Events = append(d.Events, ev)
	}
	for _, n := range h.Lifecycle.Moves(o) {
		label := web.T(c, "orders.status."+string(n))
		switch {
		case n == Deal && o.Status == Deal:
			label = web.T(c, "lifecycle.change_courier")
			d.NeedsCourier = true
		case n == Deal:
			d.NeedsCourier = o.CourierID == 0
		}
		d.Next = append(d.Next, ordersv.Option{Value: string(n), Label: label})
		if n == InModeration {
			for _, r := range h.Lifecycle.CaseReasons(o.Status) {
				d.Reasons = append(d.Reasons, ordersv.Option{Value: r, Label: web.T(c, "moderation.reason."+r)})
			}
		}
	}
	if o.Status == InModeration {
		// The order leaves moderation only through its case's decision: the page links to it.
		id, err := h.Lifecycle.OpenCase(ctx, o.ID)
		if err != nil {
			return err
		}
		if id != 0 {
			d.CaseHref = "/moderation/" + strconv.FormatInt(id, 10)
		}
	}
	for _, f := range att {
		href := fmt.Sprintf("/orders/%s/attachments/%d", o.Number, f.ID)
		at := ordersv.Attachment{Name: f.Name, Href: href, Size: humanSize(f.Size), Who: f.OwnerName, At: views.DateTime(ctx, f.CreatedAt)}
		if at.Who == "" {
			at.Who = web.T(c, "orders.system")
		}
		if f.ThumbKey != "" {
			at.Thumb = href + "/thumb"
		}
		d.Attachments = append(d.Attachments, at)
	}
	return web.Render(c, status, o.Number, ordersv.Show(d))
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// Move changes the order's status (a refused transition comes back as a toast; nothing changes).
func (h *Handlers) Move(c *fiber.Ctx) error {
	number := c.Params("number")
	m := MoveRequest{To: Status(c.FormValue("to")), Note: c.FormValue("note"), Reason: c.FormValue("reason")}
	if s := strings.TrimSpace(c.FormValue("courier")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return apperr.InvalidField("courier", "orders.bad_id")
		}
		m.CourierID = id
	}
	if err := h.Lifecycle.Move(web.Ctx(c), number, m, h.nowUTC()); err != nil {
		return err
	}
	web.Toast(c, "success", "orders.status_changed")
	return web.Redirect(c, "/orders/"+number)
}

// Attach uploads a file onto the order.
func (h *Handlers) Attach(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	o, err := Get(ctx, h.Pool, c.Params("number"))
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return h.show(c, fiber.StatusUnprocessableEntity, web.T(c, "files.empty"))
	}
	r, err := fh.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = h.Files.Attach(ctx, files.Upload{Owner: web.Actor(c).ID, RecordType: Record, RecordID: o.Number,
		Name: fh.Filename, Size: fh.Size, Body: r}, files.DefaultPolicy)
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == apperr.Invalid {
		return h.show(c, fiber.StatusUnprocessableEntity, web.T(c, ae.Message, argsOf(ae)...))
	}
	if err != nil {
		return err
	}
	web.Toast(c, "success", "orders.attached")
	return h.show(c, fiber.StatusOK, "")
}

// Attachment serves a file on the order to anyone who may see the order.
func (h *Handlers) Attachment(c *fiber.Ctx) error { return h.serveAttachment(c, false) }

// Thumb serves a picture's thumbnail.
func (h *Handlers) Thumb(c *fiber.Ctx) error { return h.serveAttachment(c, true) }

func (h *Handlers) serveAttachment(c *fiber.Ctx, thumb bool) error {
	ctx := web.Ctx(c)
	o, err := Get(ctx, h.Pool, c.Params("number"))
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	f, err := h.Files.Attachment(ctx, Record, o.Number, id)
	if err != nil {
		return err
	}
	return h.Files.Serve(c, f, thumb, c.Query("download") != "")
}
