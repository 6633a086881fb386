package orders

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/rbac"
)

func TestCreatePricesByTariffAndRecordsHistoryAndAudit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(f.input())
	require.Regexp(t, `^PD\d{8}$`, o.Number)
	require.Regexp(t, `^59\d{10}$`, o.Waybill)
	require.Equal(t, int64(7500), o.Cost, "1.5 kg is in the 1–2 kg band")
	require.Equal(t, Created, o.Status)
	require.Equal(t, "Олена Коваленко", o.ClientName)

	h, err := History(f.ctx, f.pool, o.ID)
	require.NoError(t, err)
	require.Len(t, h, 1)
	require.Equal(t, Created, h[0].To)
	require.Equal(t, "agent", h[0].StaffName)

	var n int
	require.NoError(t, f.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = 'order.create' AND record_id = $1 AND actor_id = $2`, o.Number, f.staffID).Scan(&n))
	require.Equal(t, 1, n)
}

func TestCreateRefusesBadInputAndBlockedClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	count := func() int {
		var n int
		require.NoError(t, f.pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n))
		return n
	}
	cases := map[string]struct {
		edit  func(*Input)
		field string
		msg   string
	}{
		"blocked client":        {func(in *Input) { in.ClientID = f.account("client", "blocked", "Заблокований") }, "client_id", "orders.blocked_client"},
		"deleted client":        {func(in *Input) { in.ClientID = f.account("client", "deleted", "Видалений") }, "client_id", "orders.deleted_client"},
		"no such client":        {func(in *Input) { in.ClientID = 99999999 }, "client_id", "orders.not_found_client"},
		"courier as client":     {func(in *Input) { in.ClientID = f.courier }, "client_id", "orders.not_found_client"},
		"blocked courier":       {func(in *Input) { in.CourierID = f.account("courier", "blocked", "Кур'єр") }, "courier_id", "orders.blocked_courier"},
		"may not place orders":  {func(in *Input) { in.ClientID = f.blocked("client", "place_orders") }, "client_id", "orders.blocked_place_orders"},
		"may not accept orders": {func(in *Input) { in.CourierID = f.blocked("courier", "accept_orders") }, "courier_id", "orders.blocked_accept_orders"},
		"bad phone":             {func(in *Input) { in.RecipientPhone = "12-34" }, "recipient_phone", "orders.bad_phone"},
		"zero weight":           {func(in *Input) { in.WeightGrams = 0 }, "weight", "orders.weight_positive"},
		"too heavy":             {func(in *Input) { in.WeightGrams = 500_000 }, "weight", "orders.weight_over_tariff"},
		"negative value":        {func(in *Input) { in.DeclaredValue = -1 }, "declared_value", "orders.amount_not_negative"},
		"no recipient":          {func(in *Input) { in.RecipientName = "  " }, "recipient_name", "orders.required"},
	}
	for name, c := range cases {
		in := f.input()
		c.edit(&in)
		_, err := f.insert(in)
		var fe FieldErrors
		require.True(t, errors.As(err, &fe), "%s: %v", name, err)
		require.Equal(t, c.msg, fe[c.field], name)
	}
	require.Zero(t, count(), "nothing was created")
}

func TestFieldVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(f.input())
	agent := f.staff("viewer", map[string]rbac.Mode{
		"order.recipient_phone": rbac.Masked, "order.sender_phone": rbac.Hidden, "order.cost": rbac.Hidden,
		"order.recipient_address": rbac.Read, "account.name": rbac.Hidden,
	})
	ctx := f.as(agent, f.viewOf(agent))
	got, err := Get(ctx, f.pool, o.Number)
	require.NoError(t, err)
	require.Equal(t, "+7 ••• ••• •• 67", got.RecipientPhone)
	require.Empty(t, got.SenderPhone)
	require.Zero(t, got.Cost)
	require.Empty(t, got.ClientName)
	require.Equal(t, "Алматы, пр. Абая, 10", got.RecipientAddress)
	require.Equal(t, int64(120000), got.DeclaredValue)

	// Sorting by a field the viewer cannot read is refused, not quietly ignored.
	_, _, err = List(ctx, f.pool, Filter{Sort: "cost"})
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	_, _, err = List(ctx, f.pool, Filter{Sort: "declared_value"})
	require.NoError(t, err)

	// The column chooser cannot pick hidden columns.
	cols := CleanColumns([]string{"cost", "sender_phone", "recipient_phone", "client", "number"}, f.viewOf(agent))
	require.Equal(t, []string{"recipient_phone", "number"}, cols)
}

func TestListFiltersSearchAndKeysetPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.account("client", "active", "Інший клієнт")
	f.fund(other, 1_000_000_00)
	var made []Order
	for i := 0; i < 7; i++ {
		in := f.input()
		if i%2 == 1 {
			in.ClientID = other
		}
		in.WeightGrams = int64(100 * (i + 1))
		f.now = f.now.Add(time.Second)
		made = append(made, f.create(in))
	}
	f.dealt(made[2], f.courier)

	// Pages of 3, newest first, no overlaps, no gaps.
	var seen []string
	after := ""
	for page := 0; page < 5; page++ {
		list, next, err := List(f.ctx, f.pool, Filter{Limit: 3, After: after})
		require.NoError(t, err)
		for _, o := range list {
			seen = append(seen, o.Number)
		}
		if next == "" {
			break
		}
		after = next
	}
	require.Len(t, seen, 7)
	require.Equal(t, made[6].Number, seen[0])
	require.Equal(t, made[0].Number, seen[6])

	// Sorted by weight ascending, paged.
	list, next, err := List(f.ctx, f.pool, Filter{Sort: "weight", Asc: true, Limit: 4})
	require.NoError(t, err)
	require.Equal(t, made[0].Number, list[0].Number)
	list2, _, err := List(f.ctx, f.pool, Filter{Sort: "weight", Asc: true, Limit: 4, After: next})
	require.NoError(t, err)
	require.Equal(t, made[4].Number, list2[0].Number)

	list, _, err = List(f.ctx, f.pool, Filter{ClientID: other})
	require.NoError(t, err)
	require.Len(t, list, 3)
	list, _, err = List(f.ctx, f.pool, Filter{Status: Deal})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, made[2].Number, list[0].Number)

	// Exact and prefix search on order and waybill numbers, typed loosely.
	list, _, err = List(f.ctx, f.pool, Filter{Q: made[3].Waybill})
	require.NoError(t, err)
	require.Len(t, list, 1)
	list, _, err = List(f.ctx, f.pool, Filter{Q: made[3].Waybill[:len(made[3].Waybill)-1]})
	require.NoError(t, err)
	require.Len(t, list, 7, "all seven waybills share the prefix")
	list, _, err = List(f.ctx, f.pool, Filter{Q: "pd"})
	require.NoError(t, err)
	require.Len(t, list, 7)
	n, err := FindNumber(f.ctx, f.pool, " "+made[5].Waybill+" ")
	require.NoError(t, err)
	require.Equal(t, made[5].Number, n)
	n, err = FindNumber(f.ctx, f.pool, made[5].Number)
	require.NoError(t, err)
	require.Equal(t, made[5].Number, n)

	// Period: created today includes all; delivered has none.
	list, _, err = List(f.ctx, f.pool, Filter{From: f.now.Add(-time.Hour), To: f.now.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, list, 7)
	list, _, err = List(f.ctx, f.pool, Filter{Period: "delivered", From: f.now.Add(-time.Hour)})
	require.NoError(t, err)
	require.Empty(t, list)
	total, err := Count(f.ctx, f.pool, Filter{ClientID: other})
	require.NoError(t, err)
	require.EqualValues(t, 3, total)

	// Each streams them all in the same order as the list.
	var streamed []string
	require.NoError(t, Each(f.ctx, f.pool, Filter{}, func(o *Order) error { streamed = append(streamed, o.Number); return nil }))
	require.Equal(t, seen, streamed)
}

func TestColumnChoicePersists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cols, err := ColumnsFor(f.ctx, f.pool)
	require.NoError(t, err)
	require.Equal(t, DefaultColumns, cols)
	saved, err := SaveColumns(f.ctx, f.pool, []string{"waybill", "recipient_phone", "bogus", "waybill", "cost"})
	require.NoError(t, err)
	require.Equal(t, []string{"waybill", "recipient_phone", "cost"}, saved)
	cols, err = ColumnsFor(f.ctx, f.pool)
	require.NoError(t, err)
	require.Equal(t, saved, cols)
	require.NoError(t, ResetColumns(f.ctx, f.pool))
	cols, err = ColumnsFor(f.ctx, f.pool)
	require.NoError(t, err)
	require.Equal(t, DefaultColumns, cols)
}
