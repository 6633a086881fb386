package api

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/webhooks"
)

// WebhookList is GET /api/v1/webhooks.
type WebhookList struct {
	Webhooks []webhooks.Endpoint `json:"webhooks"`
}

// WebhookSecret answers a registration or a rotation: the endpoint and its new secret, the only
// time the secret is shown.
type WebhookSecret struct {
	webhooks.Endpoint
	Secret string `json:"secret"`
}

func webhookID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "webhooks.not_found")
	}
	return id, nil
}

// ListWebhooks lists the client's endpoints.
func (h *Handlers) ListWebhooks(c *fiber.Ctx) error {
	list, err := webhooks.ForAccount(c.UserContext(), h.Pool, principal(c).AccountID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []webhooks.Endpoint{}
	}
	return c.JSON(WebhookList{Webhooks: list})
}

// CreateWebhook registers an endpoint for the client.
func (h *Handlers) CreateWebhook(c *fiber.Ctx) error {
	var in webhooks.Input
	if err := json.Unmarshal(c.Body(), &in); err != nil {
		return fail(c, apperr.New(apperr.Invalid, "api.bad_json"))
	}
	var out WebhookSecret
	err := pgx.BeginFunc(c.UserContext(), h.Pool, func(tx pgx.Tx) (err error) {
		out.Endpoint, out.Secret, err = webhooks.Register(c.UserContext(), tx, h.Webhooks, principal(c).AccountID, in, webhooks.By{KeyID: principal(c).KeyID})
		return err
	})
	if err != nil {
		return failOr(c, err)
	}
	c.Set("Cache-Control", "no-store")
	c.Set(fiber.HeaderLocation, "/api/v1/webhooks/"+strconv.FormatInt(out.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(out)
}

// GetWebhook is one of the client's endpoints.
func (h *Handlers) GetWebhook(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return fail(c, err)
	}
	e, err := webhooks.Get(c.UserContext(), h.Pool, principal(c).AccountID, id)
	if err != nil {
		return failOr(c, err)
	}
	return c.JSON(e)
}

// DeleteWebhook removes one of the client's endpoints.
func (h *Handlers) DeleteWebhook(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return fail(c, err)
	}
	err = pgx.BeginFunc(c.UserContext(), h.Pool, func(tx pgx.Tx) error {
		return webhooks.Delete(c.UserContext(), tx, principal(c).AccountID, id, h.now())
	})
	if err != nil {
		return failOr(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// RotateWebhook gives an endpoint a new secret; the previous one keeps signing alongside for
// webhooks.RotationOverlap.
func (h *Handlers) RotateWebhook(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return fail(c, err)
	}
	var out WebhookSecret
	err = pgx.BeginFunc(c.UserContext(), h.Pool, func(tx pgx.Tx) (err error) {
		out.Endpoint, out.Secret, err = webhooks.Rotate(c.UserContext(), tx, principal(c).AccountID, id, h.now())
		return err
	})
	if err != nil {
		return failOr(c, err)
	}
	c.Set("Cache-Control", "no-store")
	return c.JSON(out)
}

// DeliveryView is one delivery as the client sees it: what was sent, and how it went.
type DeliveryView struct {
	ID        string     `json:"id"` // the webhook-id header
	Event     string     `json:"event"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastCode  *int       `json:"last_code"`
	LastError string     `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
	Body      string     `json:"body"`
}

// DeliveryPage is GET /api/v1/webhooks/{id}/deliveries.
type DeliveryPage struct {
	Deliveries []DeliveryView `json:"deliveries"`
	NextCursor string         `json:"next_cursor"`
}

// WebhookDeliveries lists an endpoint's deliveries, newest first, for the client to see what
// reached it (or did not) and why.
func (h *Handlers) WebhookDeliveries(c *fiber.Ctx) error {
	id, err := webhookID(c)
	if err != nil {
		return fail(c, err)
	}
	account := principal(c).AccountID
	if _, err := webhooks.Get(c.UserContext(), h.Pool, account, id); err != nil {
		return failOr(c, err)
	}
	f := webhooks.Filter{AccountID: account, EndpointID: id, Limit: 50}
	if s := c.Query("cursor"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return fail(c, apperr.InvalidField("cursor", "api.bad_cursor"))
		}
		f.Before = n
	}
	list, next, err := webhooks.List(c.UserContext(), h.Pool, f)
	if err != nil {
		return err
	}
	page := DeliveryPage{Deliveries: []DeliveryView{}}
	for _, d := range list {
		page.Deliveries = append(page.Deliveries, DeliveryView{ID: d.MsgID, Event: d.EventType, Status: d.Status, Attempts: d.Attempts,
			LastCode: d.LastCode, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC(), SentAt: d.SentAt, Body: d.Body})
	}
	if next != 0 {
		page.NextCursor = strconv.FormatInt(next, 10)
	}
	return c.JSON(page)
}
