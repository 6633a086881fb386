package orders

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/admin/web"
	"github.com/postdesk/postdesk/views/ordersv"
)

// formFields are the new-order form's inputs: name, input type, required, step.
var formFields = []struct {
	name, typ string
	required  bool
	step      string
}{
	{"client_id", "number", true, "1"}, {"courier_id", "number", false, "1"},
	{"sender_name", "text", true, ""}, {"sender_phone", "tel", true, ""}, {"sender_address", "text", true, ""},
	{"recipient_name", "text", true, ""}, {"recipient_phone", "tel", true, ""}, {"recipient_address", "text", true, ""},
	{"item", "text", true, ""}, {"weight", "number", true, "0.001"}, {"declared_value", "number", true, "0.01"},
	{"expected_at", "datetime-local", false, ""}, {"comment", "textarea", false, ""}, {"no_promo", "checkbox", false, ""},
}

// NewForm is /orders/new.
func (h *Handlers) NewForm(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, web.T(c, "orders.new"), ordersv.Form(h.form(c, func(string) string { return "" }, nil)))
}

func (h *Handlers) form(c *fiber.Ctx, value func(string) string, fe FieldErrors) ordersv.FormData {
	var d ordersv.FormData
	for _, f := range formFields {
		fd := ordersv.Field{Name: f.name, Label: web.T(c, "orders.form."+f.name), Type: f.typ, Required: f.required,
			Step: f.step, Value: value(f.name)}
		if msg, ok := fe[f.name]; ok {
			fd.Error = web.T(c, msg, "Max", FormatKg(70000))
		}
		switch f.name {
		case "weight":
			fd.Hint = web.T(c, "orders.hint.weight")
		case "sender_phone", "recipient_phone":
			fd.Hint = web.T(c, "orders.hint.phone")
		case "no_promo":
			fd.Hint = web.T(c, "orders.hint.no_promo")
		}
		d.Fields = append(d.Fields, fd)
	}
	if len(fe) > 0 {
		d.Error = web.T(c, "orders.form_errors")
	}
	return d
}

// Create enters the order; a form with mistakes comes back with each one under its field.
func (h *Handlers) Create(c *fiber.Ctx) error {
	in, fe := h.parseForm(c.FormValue)
	if len(fe) > 0 {
		// Show every mistake at once, not only the ones found while reading the numbers.
		in.Normalize()
		for k, v := range in.Validate(h.nowUTC()) {
			if _, ok := fe[k]; !ok {
				fe[k] = v
			}
		}
	} else {
		o, err := h.Lifecycle.Create(web.Ctx(c), in, h.nowUTC())
		if err == nil {
			web.Toast(c, "success", "orders.created", "Number", o.Number)
			return web.Redirect(c, "/orders/"+o.Number)
		}
		if !errors.As(err, &fe) {
			return err
		}
	}
	return web.Render(c, fiber.StatusUnprocessableEntity, web.T(c, "orders.new"), ordersv.Form(h.form(c, func(k string) string { return c.FormValue(k) }, fe)))
}

// parseForm reads the form into an Input; unreadable numbers are field errors.
func (h *Handlers) parseForm(get func(string, ...string) string) (Input, FieldErrors) {
	fe := FieldErrors{}
	in := Input{SenderName: get("sender_name"), SenderPhone: get("sender_phone"), SenderAddress: get("sender_address"),
		RecipientName: get("recipient_name"), RecipientPhone: get("recipient_phone"), RecipientAddress: get("recipient_address"),
		Item: get("item"), Comment: get("comment"), ExternalRef: get("external_ref"), NoPromo: get("no_promo") == "1"}
	id := func(field string) int64 {
		s := strings.TrimSpace(get(field))
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			fe[field] = "orders.bad_id"
		}
		return n
	}
	in.ClientID, in.CourierID = id("client_id"), id("courier_id")
	if s := strings.TrimSpace(get("weight")); s != "" {
		g, err := ParseKg(s)
		if err != nil {
			fe["weight"] = kgMessage(err)
		}
		in.WeightGrams = g
	}
	if s := strings.TrimSpace(get("declared_value")); s != "" {
		v, err := money.Parse(s, money.NonNegative)
		if err != nil {
			fe["declared_value"] = apperr.MessageOf(err) // says what to type
		}
		in.DeclaredValue = v
	} else {
		fe["declared_value"] = "orders.required"
	}
	if s := strings.TrimSpace(get("expected_at")); s != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", s, h.zone())
		if err != nil {
			fe["expected_at"] = "orders.bad_date"
		}
		in.ExpectedAt = t.UTC()
	}
	return in, fe
}

// ParseKg reads kilograms ("1.5", "1,5", "0.250") into grams; more than three decimals is refused.
func ParseKg(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > 1e6 {
		return 0, errNotKg
	}
	g := math.Round(f * 1000)
	if math.Abs(f*1000-g) > 1e-6 {
		return 0, ErrKgDecimals
	}
	return int64(g), nil
}

// ErrKgDecimals is ParseKg's refusal of a weight finer than a gram ("1.2345").
var ErrKgDecimals = errors.New("more than three decimals")

var errNotKg = errors.New("not a weight")

// kgMessage says what is wrong with a weight ParseKg refused.
func kgMessage(err error) string {
	if errors.Is(err, ErrKgDecimals) {
		return "orders.weight_decimals"
	}
	return "orders.bad_number"
}
