package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/gateway"
)

// Known vectors: RFC 2202's HMAC-MD5 test case, WayForPay's published purchase example (the
// flyber_wayforpay README's signature for merchant test_merch_n1), and our three requests with
// values checked with `openssl dgst -md5 -hmac`.
func TestSignKnownVectors(t *testing.T) {
	require.Equal(t, "750c783e6ab0b503eaa86e310a5db738", gateway.Sign("Jefe", "what do ya want for nothing?"))
	require.Equal(t, "901874bb4df660cda5e3d0d3a4687bfe", gateway.Sign("flk3409refn54t54t*FNJRET",
		"test_merch_n1", "app.wepster.com", "orderid001", "14898322", "1.00", "USD", "product name", "2", "2.00"))

	p2p := gateway.Request{TransactionType: gateway.TypeP2PCredit, MerchantAccount: "test_merch_n1", OrderReference: "PO-000042",
		Amount: 154736, Currency: "UAH", CardBeneficiary: "4111111111111111"}
	require.Equal(t, []string{"test_merch_n1", "PO-000042", "1547.36", "UAH", "4111111111111111", ""}, p2p.SignatureValues())
	require.Equal(t, "65194369f358e92863eb09fb4b7e920e", gateway.Sign("flk3409refn54t54t*FNJRET", p2p.SignatureValues()...))

	st := gateway.Request{TransactionType: gateway.TypeCheckStatus, MerchantAccount: "test_merch_n1", OrderReference: "PO-000042"}
	require.Equal(t, "b4c7583d767f8be3b3679adcd2330b41", gateway.Sign("flk3409refn54t54t*FNJRET", st.SignatureValues()...))

	require.True(t, gateway.Verify("Jefe", "750C783E6AB0B503EAA86E310A5DB738", "what do ya want for nothing?"))
	require.False(t, gateway.Verify("Jefe", "750c783e6ab0b503eaa86e310a5db739", "what do ya want for nothing?"))
	require.False(t, gateway.Verify("jefe", "750c783e6ab0b503eaa86e310a5db738", "what do ya want for nothing?"))
}

func TestAmountWireForm(t *testing.T) {
	for _, c := range []struct {
		in   string
		want gateway.Amount
	}{{"1547.36", 154736}, {"0.5", 50}, {"12", 1200}, {"-0.05", -5}, {"1000000.00", 100000000}} {
		got, err := gateway.ParseAmount(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
	// "1.+5" read as 1.05 and "--5" as 5.00 before the wire form went through money.Parse.
	for _, bad := range []string{"", "1.234", "abc", "1.x", "1.+5", "+5", "--5", "1.-5", "1e3"} {
		_, err := gateway.ParseAmount(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "-0.05", gateway.Amount(-5).String())
	require.Equal(t, "1547.36", gateway.Amount(154736).String())
}
