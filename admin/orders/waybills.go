package orders

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/accounts"
	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	pdfdoc "github.com/postdesk/postdesk/admin/docs/pdf"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/web"
)

// MaxWaybills caps one waybill PDF.
const MaxWaybills = 5000

// WaybillsArgs asks for one PDF of waybills: the picked orders, or the filtered list when none
// were picked.
type WaybillsArgs struct {
	JobBase
	Numbers  []string `json:"numbers,omitempty"`
	Filter   *Filter  `json:"filter,omitempty"`
	PerSheet int      `json:"per_sheet"`
}

func (WaybillsArgs) Kind() string { return "orders_waybills" }

// ActArgs asks for a courier's handover act for a day.
type ActArgs struct {
	JobBase
	CourierID int64  `json:"courier_id"`
	Date      string `json:"date"` // YYYY-MM-DD in the platform zone
}

func (ActArgs) Kind() string { return "orders_act" }

// Waybills enqueues the waybill PDF.
func (h *Handlers) Waybills(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	per, _ := strconv.Atoi(c.FormValue("per_sheet", "1"))
	if per != 1 && per != 2 && per != 4 {
		return apperr.InvalidField("per_sheet", "orders.bad_per_sheet")
	}
	args := WaybillsArgs{JobBase: base(web.Actor(c), i18n.Lang(ctx)), PerSheet: per}
	for _, n := range c.Request().PostArgs().PeekMulti("n") {
		if s := normalizeNumber(string(n)); s != "" {
			args.Numbers = append(args.Numbers, s)
		}
	}
	name := web.T(c, "orders.waybills_name")
	if len(args.Numbers) == 0 {
		_, f, err := h.readFilters(func(k string) string { return c.FormValue(k) })
		if err != nil {
			return err
		}
		f.After = ""
		args.Filter = &f
	} else if len(args.Numbers) == 1 {
		name += " " + args.Numbers[0]
	}
	if len(args.Numbers) > MaxWaybills {
		return apperr.InvalidField("n", "orders.too_many_waybills")
	}
	return h.enqueue(c, files.Job{Owner: web.Actor(c).ID, Kind: "orders_waybills", Name: name + ".pdf"}, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
}

// Act enqueues a handover act.
func (h *Handlers) Act(c *fiber.Ctx) error {
	ctx := web.Ctx(c)
	courier, err := strconv.ParseInt(c.FormValue("courier"), 10, 64)
	if err != nil || courier <= 0 {
		return apperr.InvalidField("courier", "orders.bad_id")
	}
	date := c.FormValue("date")
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return apperr.InvalidField("date", "orders.bad_date")
	}
	args := ActArgs{JobBase: base(web.Actor(c), i18n.Lang(ctx)), CourierID: courier, Date: date}
	name := web.T(c, "orders.act_name") + " " + strconv.FormatInt(courier, 10) + " " + date + ".pdf"
	return h.enqueue(c, files.Job{Owner: web.Actor(c).ID, Kind: "orders_act", RecordType: "account",
		RecordID: strconv.FormatInt(courier, 10), Name: name}, func(id int64) river.JobArgs {
		args.FileID = id
		return args
	})
}

// ByNumbers loads orders by number, in the order given, as the actor may see them.
func ByNumbers(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, numbers []string) ([]Order, error) {
	v := actor.ViewOf(ctx)
	rows, err := q.Query(ctx, "SELECT "+selectList(v)+" FROM orders o JOIN unnest($1::text[]) WITH ORDINALITY n(number, i) ON o.number = n.number ORDER BY n.i", numbers)
	if err != nil {
		return nil, err
	}
	return collect(rows, v)
}

// Labels are the captions of the printed documents in lang.
func Labels(lang string) pdfdoc.Labels {
	t := func(k string) string { return i18n.In(lang, "orders.pdf."+k) }
	return pdfdoc.Labels{
		Waybill: t("waybill"), Order: t("order"), Sender: t("sender"), Recipient: t("recipient"), Phone: t("phone"),
		Item: t("item"), Weight: t("weight"), DeclaredValue: t("declared_value"), Cost: t("cost"), Created: t("created"),
		ExpectedDelivery: t("expected"), Comment: t("comment"), SenderSignature: t("sender_signature"),
		RecipientSignature: t("recipient_signature"), Kg: t("kg"), HandoverAct: t("act"), Courier: t("courier"),
		Date: t("date"), Waybills: t("waybill_no"), Address: t("address"), RowNo: t("row_no"), Total: t("total"),
		HandedOver: t("handed_over"), Received: t("received"), Signature: t("signature"), PageOf: t("page_of"),
		Lang: lang,
	}
}

func (e *Env) waybill(o *Order) pdfdoc.Waybill {
	return pdfdoc.Waybill{Number: o.Waybill, OrderNumber: o.Number,
		Sender:    pdfdoc.Party{Name: o.SenderName, Phone: o.SenderPhone, Address: o.SenderAddress},
		Recipient: pdfdoc.Party{Name: o.RecipientName, Phone: o.RecipientPhone, Address: o.RecipientAddress},
		Item:      o.Item, WeightGrams: o.WeightGrams, DeclaredValue: o.DeclaredValue, Cost: o.Cost, Currency: e.Currency,
		CreatedAt: o.CreatedAt, ExpectedAt: o.ExpectedAt, Location: e.zone(), Comment: o.Comment}
}

// RunWaybills writes the waybill PDF.
func (e *Env) RunWaybills(ctx context.Context, a WaybillsArgs) error {
	ctx, err := e.asStaff(ctx, a.JobBase)
	if err != nil {
		return err
	}
	var list []Order
	if len(a.Numbers) > 0 {
		list, err = ByNumbers(ctx, e.Pool, a.Numbers)
	} else if a.Filter != nil {
		err = Each(ctx, e.Pool, *a.Filter, func(o *Order) error {
			if len(list) >= MaxWaybills {
				return apperr.InvalidField("n", "orders.too_many_waybills")
			}
			list = append(list, *o)
			return nil
		})
	}
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	list = onlyClient(a.JobBase, list)
	if len(list) == 0 {
		return e.fail(ctx, a.FileID, apperr.New(apperr.Invalid, "orders.nothing_to_print"))
	}
	_ = e.Files.Progress(ctx, a.FileID, 30, "files.working")
	ws := make([]pdfdoc.Waybill, len(list))
	for i := range list {
		ws[i] = e.waybill(&list[i])
	}
	f, err := e.Files.Get(ctx, a.FileID)
	if err != nil {
		return err
	}
	err = e.Files.Complete(ctx, a.FileID, f.Name, "application/pdf", func(w io.Writer) error {
		return pdfdoc.WriteWaybills(w, Labels(a.Lang), ws, a.PerSheet)
	}, map[string]any{"waybills": len(ws)})
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	return nil
}

// ActOrders are the parcels of a handover act: the courier's orders awaiting pickup (status
// deal) and those picked up on the day.
func ActOrders(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, courierID int64, from, to time.Time) ([]Order, error) {
	v := actor.ViewOf(ctx)
	rows, err := q.Query(ctx, "SELECT "+selectList(v)+` FROM orders o WHERE o.courier_id = $1 AND (o.status = 'deal' OR EXISTS (
			SELECT 1 FROM order_status_history h WHERE h.order_id = o.id AND h.to_status = 'picked_up' AND h.at >= $2 AND h.at < $3))
		ORDER BY o.number`, courierID, from, to)
	if err != nil {
		return nil, err
	}
	return collect(rows, v)
}

// RunAct writes the handover act.
func (e *Env) RunAct(ctx context.Context, a ActArgs) error {
	ctx, err := e.asStaff(ctx, a.JobBase)
	if err != nil {
		return err
	}
	act, err := e.buildAct(ctx, a)
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	f, err := e.Files.Get(ctx, a.FileID)
	if err != nil {
		return err
	}
	err = e.Files.Complete(ctx, a.FileID, f.Name, "application/pdf", func(w io.Writer) error {
		return pdfdoc.WriteHandoverAct(w, Labels(a.Lang), act)
	}, map[string]any{"orders": len(act.Rows)})
	if err != nil {
		return e.fail(ctx, a.FileID, err)
	}
	return nil
}

// buildAct reads the act's courier and parcels (only the client's own when a client asked).
func (e *Env) buildAct(ctx context.Context, a ActArgs) (pdfdoc.HandoverAct, error) {
	day, err := time.ParseInLocation("2006-01-02", a.Date, e.zone())
	if err != nil {
		return pdfdoc.HandoverAct{}, apperr.InvalidField("date", "orders.bad_date")
	}
	courier, err := accounts.Get(ctx, e.Pool, a.CourierID)
	if err != nil || courier.Kind != "courier" {
		return pdfdoc.HandoverAct{}, apperr.New(apperr.Invalid, "orders.not_found_courier")
	}
	list, err := ActOrders(ctx, e.Pool, a.CourierID, day, day.AddDate(0, 0, 1))
	if err != nil {
		return pdfdoc.HandoverAct{}, err
	}
	list = onlyClient(a.JobBase, list)
	if len(list) == 0 {
		return pdfdoc.HandoverAct{}, apperr.New(apperr.Invalid, "orders.act_empty")
	}
	act := pdfdoc.HandoverAct{Number: strings.ReplaceAll(a.Date, "-", "") + "-" + strconv.FormatInt(a.CourierID, 10),
		Date: day, Location: e.zone(), CourierName: courier.Name, CourierPhone: courier.Phone, Currency: e.Currency}
	for _, o := range list {
		act.Rows = append(act.Rows, pdfdoc.ActRow{OrderNumber: o.Number, WaybillNumber: o.Waybill, Recipient: o.RecipientName,
			Address: o.RecipientAddress, WeightGrams: o.WeightGrams, DeclaredValue: o.DeclaredValue, Cost: o.Cost})
	}
	return act, nil
}

// userMessage is the message key of a user error ("" for an internal one).
func userMessage(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code != apperr.Internal {
		return ae.Message
	}
	return ""
}
