package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/orders"
)

// Lifecycle is what the API needs of the order lifecycle: the entry points the orders desk uses,
// so an order entered or cancelled through the API gets the same validation, tariff and money.
type Lifecycle interface {
	// CreateTx enters the order and holds its cost from the client, in the caller's transaction
	// (the API records the Idempotency-Key in the same one). It returns the order as created.
	CreateTx(ctx context.Context, tx pgx.Tx, in orders.Input, now time.Time) (orders.Order, error)
	// ClientCancel cancels the order as its client, by RULES.md §3.2: before a deal without a fee,
	// after a deal with the penalty, after pickup into moderation.
	ClientCancel(ctx context.Context, number, note string, now time.Time) error
}

// Party is a sender or recipient as the client entered them.
type Party struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// OrderSummary is an order in a list.
type OrderSummary struct {
	Number        string     `json:"number"`
	Waybill       string     `json:"waybill"`
	ExternalRef   string     `json:"external_ref"`
	Status        string     `json:"status"`
	Item          string     `json:"item"`
	WeightGrams   int64      `json:"weight_grams"`
	DeclaredValue int64      `json:"declared_value"`
	Cost          int64      `json:"cost"`
	Recipient     Party      `json:"recipient"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpectedAt    *time.Time `json:"expected_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

// HistoryLine is one status change.
type HistoryLine struct {
	At   time.Time `json:"at"`
	From *string   `json:"from"`
	To   string    `json:"to"`
}

// Tracking is GET /api/v1/orders/{number}: an order of the key's client with its status history.
type Tracking struct {
	OrderSummary
	Sender  Party         `json:"sender"`
	Comment string        `json:"comment"`
	History []HistoryLine `json:"history"`
}

func summary(o *orders.Order) OrderSummary {
	s := OrderSummary{Number: o.Number, Waybill: o.Waybill, ExternalRef: o.ExternalRef, Status: string(o.Status), Item: o.Item,
		WeightGrams: o.WeightGrams, DeclaredValue: o.DeclaredValue, Cost: o.Cost,
		Recipient: Party{Name: o.RecipientName, Phone: o.RecipientPhone, Address: o.RecipientAddress}, CreatedAt: o.CreatedAt.UTC()}
	if !o.ExpectedAt.IsZero() {
		t := o.ExpectedAt.UTC()
		s.ExpectedAt = &t
	}
	if !o.DeliveredAt.IsZero() {
		t := o.DeliveredAt.UTC()
		s.DeliveredAt = &t
	}
	return s
}

// ownOrder loads the client's order by number; another client's order, or none, is 404 alike,
// so a key cannot learn which numbers exist.
func (h *Handlers) ownOrder(c *fiber.Ctx, number string) (orders.Order, error) {
	o, err := orders.Get(c.UserContext(), h.Pool, number)
	if apperr.CodeOf(err) == apperr.NotFound || err == nil && o.ClientID != principal(c).AccountID {
		return orders.Order{}, apperr.New(apperr.NotFound, "api.order_not_found")
	}
	return o, err
}

func (h *Handlers) tracking(c *fiber.Ctx, o orders.Order) (Tracking, error) {
	t := Tracking{OrderSummary: summary(&o), Sender: Party{Name: o.SenderName, Phone: o.SenderPhone, Address: o.SenderAddress},
		Comment: o.Comment, History: []HistoryLine{}}
	hist, err := orders.History(c.UserContext(), h.Pool, o.ID)
	if err != nil {
		return t, err
	}
	for _, e := range hist {
		l := HistoryLine{At: e.At.UTC(), To: string(e.To)}
		if e.From != "" {
			from := string(e.From)
			l.From = &from
		}
		t.History = append(t.History, l)
	}
	return t, nil
}

// Order is GET /api/v1/orders/{number}.
func (h *Handlers) Order(c *fiber.Ctx) error {
	o, err := h.ownOrder(c, c.Params("number"))
	if err != nil {
		return fail(c, err)
	}
	t, err := h.tracking(c, o)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// OrderPage is GET /api/v1/orders: one page, newest first, and the cursor of the next ("" at the end).
type OrderPage struct {
	Orders     []OrderSummary `json:"orders"`
	NextCursor string         `json:"next_cursor"`
}

// ListOrders lists the client's orders by status and a period of creation or delivery, newest
// first, by keyset cursor: every page costs the same however deep.
func (h *Handlers) ListOrders(c *fiber.Ctx) error {
	f := orders.Filter{ClientID: principal(c).AccountID, Limit: 50}
	if s := c.Query("status"); s != "" {
		f.Status = orders.Status(s)
		if !f.Status.Valid() {
			return fail(c, apperr.InvalidField("status", "api.bad_status"))
		}
	}
	switch p := c.Query("period", "created"); p {
	case "created", "delivered":
		f.Period = p
	default:
		return fail(c, apperr.InvalidField("period", "api.bad_period"))
	}
	var err error
	if f.From, err = h.day(c.Query("from"), "from", 0); err != nil {
		return fail(c, err)
	}
	if f.To, err = h.day(c.Query("to"), "to", 1); err != nil {
		return fail(c, err)
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return fail(c, apperr.InvalidField("limit", "api.bad_limit"))
		}
		f.Limit = n
	}
	if s := c.Query("cursor"); s != "" {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return fail(c, apperr.InvalidField("cursor", "api.bad_cursor"))
		}
		f.After = string(raw)
	}
	list, next, err := orders.List(c.UserContext(), h.Pool, f)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			return fail(c, apperr.InvalidField("cursor", "api.bad_cursor"))
		}
		return failOr(c, err)
	}
	page := OrderPage{Orders: make([]OrderSummary, len(list))}
	for i := range list {
		page.Orders[i] = summary(&list[i])
	}
	if next != "" {
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	return c.JSON(page)
}

// day reads a YYYY-MM-DD day in the platform zone; plus 1 gives the next midnight (an inclusive
// "to" day).
func (h *Handlers) day(s, field string, plus int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, h.zone())
	if err != nil {
		return time.Time{}, apperr.InvalidField(field, "api.bad_date")
	}
	return t.AddDate(0, 0, plus), nil
}

// NewOrder is POST /api/v1/orders.
type NewOrder struct {
	ExternalRef   string     `json:"external_ref"`
	Sender        Party      `json:"sender"`
	Recipient     Party      `json:"recipient"`
	Item          string     `json:"item"`
	WeightGrams   int64      `json:"weight_grams"`
	DeclaredValue int64      `json:"declared_value"`
	ExpectedAt    *time.Time `json:"expected_at"`
	Comment       string     `json:"comment"`
	NoPromo       bool       `json:"no_promo"`
}

// apiField names the desk's form fields as the request's JSON paths.
var apiField = map[string]string{
	"sender_name": "sender.name", "sender_phone": "sender.phone", "sender_address": "sender.address",
	"recipient_name": "recipient.name", "recipient_phone": "recipient.phone", "recipient_address": "recipient.address",
	"weight": "weight_grams", "client_id": "client",
}

// CreateOrder enters an order for the key's client through the lifecycle. With an
// Idempotency-Key header the key is recorded in the order's own transaction: a retry of the same
// request (even one sent while the first is still running) answers with the order the first made
// and creates nothing, and a different request under a used key is refused.
func (h *Handlers) CreateOrder(c *fiber.Ctx) error {
	if h.Orders == nil {
		return c.Status(fiber.StatusNotImplemented).JSON(errBody(c, "not_implemented", "api.not_available"))
	}
	ctx := c.UserContext()
	p := principal(c)
	var req NewOrder
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
	}
	idem := strings.TrimSpace(c.Get("Idempotency-Key"))
	if len(idem) > 255 {
		return fail(c, apperr.InvalidField("Idempotency-Key", "api.bad_idempotency_key"))
	}
	idem = utils.CopyString(idem)
	in := orders.Input{ExternalRef: req.ExternalRef, ClientID: p.AccountID, SenderName: req.Sender.Name, SenderPhone: req.Sender.Phone,
		SenderAddress: req.Sender.Address, RecipientName: req.Recipient.Name, RecipientPhone: req.Recipient.Phone,
		RecipientAddress: req.Recipient.Address, Item: req.Item, WeightGrams: req.WeightGrams, DeclaredValue: req.DeclaredValue,
		Comment: req.Comment, NoPromo: req.NoPromo}
	if req.ExpectedAt != nil {
		in.ExpectedAt = req.ExpectedAt.UTC()
	}
	sum := sha256.Sum256(c.Body())
	var created orders.Order
	var number string
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		if idem != "" {
			// A concurrent retry waits here on the first request's row until it commits.
			tag, err := tx.Exec(ctx, `INSERT INTO api_idempotency (account_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				p.AccountID, idem, sum[:])
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				var hash []byte
				if err := tx.QueryRow(ctx, `SELECT i.request_hash, o.number FROM api_idempotency i JOIN orders o ON o.id = i.order_id
					WHERE i.account_id = $1 AND i.key = $2`, p.AccountID, idem).Scan(&hash, &number); err != nil {
					return err
				}
				if string(hash) != string(sum[:]) {
					return apperr.New(apperr.Conflict, "api.idempotency_key_reused")
				}
				return nil
			}
		}
		var err error
		if created, err = h.Orders.CreateTx(ctx, tx, in, h.now()); err != nil {
			return err
		}
		if idem != "" {
			_, err = tx.Exec(ctx, `UPDATE api_idempotency SET order_id = $3 WHERE account_id = $1 AND key = $2`, p.AccountID, idem, created.ID)
		}
		return err
	})
	var fe orders.FieldErrors
	if errors.As(err, &fe) {
		// The client's own block on placing orders (or on the whole account) is a refusal, not a mistake.
		if msg := fe["client_id"]; strings.HasPrefix(msg, "orders.blocked_") || msg == "orders.deleted_client" {
			return fail(c, apperr.New(apperr.Forbidden, msg))
		}
		return invalidFields(c, fe)
	}
	if err != nil {
		return failOr(c, err)
	}
	var t Tracking
	if number != "" { // a repeated request: the order as it is now
		o, err := h.ownOrder(c, number)
		if err != nil {
			return err
		}
		if t, err = h.tracking(c, o); err != nil {
			return err
		}
		c.Set("Idempotent-Replayed", "true")
	} else {
		// Created in this request: its history is its one creation line.
		t = Tracking{OrderSummary: summary(&created), Sender: Party{Name: created.SenderName, Phone: created.SenderPhone, Address: created.SenderAddress},
			Comment: created.Comment, History: []HistoryLine{{At: created.CreatedAt.UTC(), To: string(created.Status)}}}
	}
	c.Set(fiber.HeaderLocation, "/api/v1/orders/"+t.Number)
	return c.Status(fiber.StatusCreated).JSON(t)
}

// invalidFields answers 422 with each wrong field under its JSON path.
func invalidFields(c *fiber.Ctx, fe orders.FieldErrors) error {
	b := errBody(c, string(apperr.Invalid), "api.invalid_order")
	b.Error.Fields = map[string]string{}
	for f, key := range fe {
		name := f
		if n, ok := apiField[f]; ok {
			name = n
		}
		b.Error.Fields[name] = i18n.T(c.UserContext(), key, "Max", orders.FormatKg(70000))
	}
	return c.Status(fiber.StatusUnprocessableEntity).JSON(b)
}

// CancelRequest is the optional body of POST /api/v1/orders/{number}/cancel.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// CancelOrder cancels the client's order through the lifecycle, by the cancellation rows of
// RULES.md §3.2, and answers with the order as it now is.
func (h *Handlers) CancelOrder(c *fiber.Ctx) error {
	if h.Orders == nil {
		return c.Status(fiber.StatusNotImplemented).JSON(errBody(c, "not_implemented", "api.not_available"))
	}
	var req CancelRequest
	if len(c.Body()) > 0 {
		if err := json.Unmarshal(c.Body(), &req); err != nil {
			return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
		}
	}
	if len([]rune(req.Reason)) > 500 {
		return fail(c, apperr.InvalidField("reason", "api.reason_long"))
	}
	o, err := h.ownOrder(c, c.Params("number"))
	if err != nil {
		return fail(c, err)
	}
	note := "API: " + principal(c).Prefix
	if r := strings.TrimSpace(req.Reason); r != "" {
		note += ": " + r
	}
	if err := h.Orders.ClientCancel(c.UserContext(), o.Number, note, h.now()); err != nil {
		if apperr.CodeOf(err) == apperr.Conflict || apperr.CodeOf(err) == apperr.Invalid {
			return fail(c, &apperr.Error{Code: apperr.Conflict, Message: "api.cancel_refused", Args: map[string]any{"Status": string(o.Status)}})
		}
		return failOr(c, err)
	}
	if o, err = h.ownOrder(c, o.Number); err != nil {
		return err
	}
	t, err := h.tracking(c, o)
	if err != nil {
		return err
	}
	return c.JSON(t)
}
