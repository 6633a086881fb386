package money_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/i18n"
	"github.com/postdesk/postdesk/admin/money"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		sign money.Sign
		want int64
	}{
		{"1234", money.Positive, 123400},
		{"1234.5", money.Positive, 123450},
		{"1234,50", money.Positive, 123450},
		{" 95.00 ", money.Positive, 9500},
		{"0.01", money.Positive, 1},
		{"007", money.Positive, 700},
		{"1 234,50", money.Positive, 123450},
		{"1\u00a0234\u00a0567.89", money.Positive, 123456789},
		{"1\u202f234.50", money.Positive, 123450},
		{"0", money.NonNegative, 0},
		{"-0", money.NonNegative, 0},
		{"-0.50", money.Signed, -50},
		{"\u22120.50", money.Signed, -50},
		{"-1 234,56", money.Signed, -123456},
		{"999999999999999.99", money.Signed, 99999999999999999},
	} {
		got, err := money.Parse(c.in, c.sign)
		require.NoError(t, err, "%q", c.in)
		require.Equal(t, c.want, got, "%q", c.in)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		sign money.Sign
		key  string
	}{
		// The tariff form's defects: a minus anywhere must never vanish.
		{"\u22120.50", money.Positive, money.ErrNegative},
		{"-0.50", money.Positive, money.ErrNegative},
		{"-0.50", money.NonNegative, money.ErrNegative},
		{"1.-5", money.Positive, money.ErrNotAmount},
		{"1.-5", money.Signed, money.ErrNotAmount},
		{"1,-5", money.Signed, money.ErrNotAmount},
		{"-5", money.Positive, money.ErrNegative},
		{"-0", money.Positive, money.ErrNegative},
		{"0", money.Positive, money.ErrZero},
		{"0.00", money.Positive, money.ErrZero},
		{"--5", money.Signed, money.ErrNotAmount},
		{"+5", money.Positive, money.ErrNotAmount},
		{"", money.Positive, money.ErrNotAmount},
		{"   ", money.Positive, money.ErrNotAmount},
		{".5", money.Positive, money.ErrNotAmount},
		{"5.", money.Positive, money.ErrNotAmount},
		{"1.2.3", money.Positive, money.ErrNotAmount},
		{"1.234", money.Positive, money.ErrDecimals},
		{"1,234", money.Positive, money.ErrDecimals},
		{"1,234.50", money.Positive, money.ErrNotAmount},
		{"1.234,50", money.Positive, money.ErrNotAmount},
		{"12 34", money.Positive, money.ErrNotAmount},
		{"1234 567", money.Positive, money.ErrNotAmount},
		{"1  234", money.Positive, money.ErrNotAmount},
		{"1e3", money.Positive, money.ErrNotAmount},
		{"0x10", money.Positive, money.ErrNotAmount},
		{"1_000", money.Positive, money.ErrNotAmount},
		{"95 UAH", money.Positive, money.ErrNotAmount},
		{"NaN", money.Signed, money.ErrNotAmount},
		{"Inf", money.Signed, money.ErrNotAmount},
		{"١٢٣", money.Positive, money.ErrNotAmount}, // Arabic-Indic digits
		{"1000000000000000", money.Positive, money.ErrTooLarge},
		{"99999999999999999999999", money.Signed, money.ErrTooLarge},
	} {
		got, err := money.Parse(c.in, c.sign)
		require.Error(t, err, "%q gave %d", c.in, got)
		require.Equal(t, apperr.Invalid, apperr.CodeOf(err), "%q", c.in)
		require.Equal(t, c.key, apperr.MessageOf(err), "%q", c.in)
	}
}

func TestParseField(t *testing.T) {
	t.Parallel()
	_, err := money.ParseField("amount", "1.-5", money.Positive)
	var e *apperr.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "amount", e.Field)
	require.Equal(t, money.ErrNotAmount, e.Message)
}

func TestParsePercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"10": 1000, "12.5": 1250, "2,25": 225, "0": 0, "100": 10000, "7 %": 700, "0.01": 1} {
		got, err := money.ParsePercent(in)
		require.NoError(t, err, "%q", in)
		require.Equal(t, want, got, "%q", in)
	}
	for in, key := range map[string]string{
		"-0.50": money.ErrNegative, "\u22121": money.ErrNegative, "1.-5": money.ErrNotPercent, "12.345": money.ErrDecimals,
		"100.01": money.ErrPercentMax, "abc": money.ErrNotPercent, "": money.ErrNotPercent, "1e1": money.ErrNotPercent,
	} {
		_, err := money.ParsePercent(in)
		require.Error(t, err, "%q", in)
		require.Equal(t, key, apperr.MessageOf(err), "%q", in)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	const nb, minus = "\u00a0", "\u2212"
	for _, c := range []struct {
		amount    int64
		cur, lang string
		want      string
	}{
		{0, "UAH", "uk", "0,00" + nb + "UAH"},
		{5, "UAH", "en", "0.05" + nb + "UAH"},
		{123450, "UAH", "uk", "1" + nb + "234,50" + nb + "UAH"},
		{123450, "UAH", "ru", "1" + nb + "234,50" + nb + "UAH"},
		{123450, "UAH", "en", "1,234.50" + nb + "UAH"},
		{-50, "UAH", "uk", minus + "0,50" + nb + "UAH"},
		{-123456789, "KZT", "en", minus + "1,234,567.89" + nb + "KZT"},
		{100000, "", "uk", "1" + nb + "000,00"},
		{99999, "", "xx", "999.99"},
		{math.MinInt64, "", "en", minus + "92,233,720,368,547,758.08"},
		{math.MaxInt64, "", "en", "92,233,720,368,547,758.07"},
	} {
		require.Equal(t, c.want, money.Format(c.amount, c.cur, c.lang), "%d %s", c.amount, c.lang)
	}
	type ledgerMinor int64 // any ~int64 type formats the same
	require.Equal(t, "1,234.50"+nb+"UAH", money.Format(ledgerMinor(123450), "UAH", "en"))
	ctx := i18n.WithLang(context.Background(), "ru")
	require.Equal(t, "1"+nb+"234,50"+nb+"UAH", money.Show(ctx, money.Minor(123450), "UAH"))
}

func TestPlainRoundTrips(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		amount int64
		want   string
	}{{0, "0.00"}, {5, "0.05"}, {-50, "-0.50"}, {123450, "1234.50"}, {-123456789, "-1234567.89"}} {
		require.Equal(t, c.want, money.Plain(c.amount))
		require.Equal(t, c.want, money.Minor(c.amount).String())
		back, err := money.Parse(money.Plain(c.amount), money.Signed)
		require.NoError(t, err)
		require.Equal(t, c.amount, back)
	}
	// What a person copies from a Ukrainian or Russian screen reads back too; English's comma
	// grouping is refused (a comma is a decimal mark in this parser), with the message saying how.
	for _, lang := range []string{"uk", "ru"} {
		back, err := money.Parse(money.Format(int64(-123456789), "", lang), money.Signed)
		require.NoError(t, err, lang)
		require.Equal(t, int64(-123456789), back, lang)
	}
	_, err := money.Parse(money.Format(int64(-123456789), "", "en"), money.Signed)
	require.Equal(t, money.ErrNotAmount, apperr.MessageOf(err))
}

func TestPercentPlain(t *testing.T) {
	t.Parallel()
	for bp, want := range map[int64]string{0: "0", 1000: "10", 1250: "12.5", 225: "2.25", 10000: "100", 1: "0.01"} {
		require.Equal(t, want, money.PercentPlain(bp))
		back, err := money.ParsePercent(want)
		require.NoError(t, err)
		require.Equal(t, bp, back)
	}
}

func TestMajor(t *testing.T) {
	t.Parallel()
	require.Equal(t, 1234.5, money.Major(int64(123450)))
	require.Equal(t, -0.01, money.Major(money.Minor(-1)))
}

func TestMessagesTranslated(t *testing.T) {
	t.Parallel()
	for _, key := range []string{money.ErrNotAmount, money.ErrDecimals, money.ErrNegative, money.ErrZero,
		money.ErrTooLarge, money.ErrNotPercent, money.ErrPercentMax} {
		require.True(t, i18n.Has(key), key)
	}
}
