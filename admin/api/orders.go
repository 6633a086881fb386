package api

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
)

// Tracking is GET /api/v1/orders/{number}: an order of the key's client with its status history.
type Tracking struct {
	Number        string          `json:"number"`
	Waybill       string          `json:"waybill"`
	Status        string          `json:"status"`
	Item          string          `json:"item"`
	WeightGrams   int             `json:"weight_grams"`
	DeclaredValue int64           `json:"declared_value"`
	Cost          int64           `json:"cost"`
	Recipient     Party           `json:"recipient"`
	CreatedAt     time.Time       `json:"created_at"`
	ExpectedAt    *time.Time      `json:"expected_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	History       json.RawMessage `json:"history"`
}

// Party is a sender or recipient as the client entered them.
type Party struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// Order answers with the client's own order; another client's order, or none, is 404 alike, so
// a key cannot learn which numbers exist. One statement, on the unique number index.
func (h *Handlers) Order(c *fiber.Ctx) error {
	p := principal(c)
	var t Tracking
	err := h.Pool.QueryRow(c.UserContext(), `
		SELECT o.number, o.waybill, o.status, o.item, o.weight_grams, o.declared_value, o.cost,
			o.recipient_name, o.recipient_phone, o.recipient_address, o.created_at, o.expected_at, o.delivered_at,
			coalesce((SELECT json_agg(json_build_object('at', h.at, 'from', h.from_status, 'to', h.to_status, 'note', h.note) ORDER BY h.id)
			          FROM order_status_history h WHERE h.order_id = o.id), '[]'::json)
		FROM orders o WHERE o.number = $1 AND o.client_id = $2`, c.Params("number"), p.AccountID).
		Scan(&t.Number, &t.Waybill, &t.Status, &t.Item, &t.WeightGrams, &t.DeclaredValue, &t.Cost,
			&t.Recipient.Name, &t.Recipient.Phone, &t.Recipient.Address, &t.CreatedAt, &t.ExpectedAt, &t.DeliveredAt, &t.History)
	if errors.Is(err, pgx.ErrNoRows) {
		return fail(c, apperr.New(apperr.NotFound, "api.order_not_found"))
	}
	if err != nil {
		return err
	}
	return c.JSON(t)
}
