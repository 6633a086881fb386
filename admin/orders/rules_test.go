package orders

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
)

func TestTariff(t *testing.T) {
	t.Parallel()
	tf := Tariff{{1000, 6000}, {5000, 9500}, {2000, 7500}}
	for grams, want := range map[int64]int64{1: 6000, 1000: 6000, 1001: 7500, 2000: 7500, 4999: 9500, 5000: 9500} {
		got, err := tf.Cost(grams)
		require.NoError(t, err)
		require.Equal(t, want, got, "%d g", grams)
	}
	_, err := tf.Cost(5001)
	require.Equal(t, "orders.weight_over_tariff", apperr.MessageOf(err))
	_, err = tf.Cost(0)
	require.Equal(t, "orders.weight_positive", apperr.MessageOf(err))
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+380 (50) 123-45-67": "+380501234567",
		"050 123 45 67":       "+380501234567",
		"8 701 123 45 67":     "+77011234567",
		"+7 701 123 4567":     "+77011234567",
		"abc":                 "abc",
	} {
		require.Equal(t, want, NormalizePhone(in), in)
	}
	require.True(t, ValidPhone("+380501234567"))
	require.False(t, ValidPhone("+38050"))
	require.False(t, ValidPhone("abc"))
}

func TestValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	good := Input{ClientID: 1, SenderName: "Олена", SenderPhone: "0501234567", SenderAddress: "Київ",
		RecipientName: "Әлия", RecipientPhone: "+77011234567", RecipientAddress: "Алматы", Item: "Книги",
		WeightGrams: 1200, DeclaredValue: 50000, ExpectedAt: now.Add(48 * time.Hour)}
	good.Normalize()
	require.Nil(t, good.Validate(now))

	bad := Input{SenderPhone: "12", RecipientPhone: "+380501234567", WeightGrams: -1, DeclaredValue: -5,
		ExpectedAt: now.Add(-48 * time.Hour), SenderName: "x\x00y"}
	bad.Normalize()
	fe := bad.Validate(now)
	require.Equal(t, "orders.required", fe["client_id"])
	require.Equal(t, "orders.bad_phone", fe["sender_phone"])
	require.Equal(t, "orders.bad_characters", fe["sender_name"])
	require.Equal(t, "orders.required", fe["recipient_name"])
	require.Equal(t, "orders.weight_positive", fe["weight"])
	require.Equal(t, "orders.amount_not_negative", fe["declared_value"])
	require.Equal(t, "orders.expected_in_past", fe["expected_at"])
	require.NotContains(t, fe, "recipient_phone")
	require.Equal(t, "client_id", fe.Fields()[0])
}
