package rbac

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMasks(t *testing.T) {
	require.Equal(t, "+380 •• ••• •• 67", MaskPhone("+380501234567"))
	require.Equal(t, "+7 ••• ••• •• 21", MaskPhone("+77011234521"))
	require.Equal(t, "i•••@example.com", MaskEmail("ivan@example.com"))
	require.Equal(t, "Ә•••@пошта.укр", MaskEmail("Әлия@пошта.укр"))
	require.Equal(t, "••••56", MaskTail("АА3456", 2))
}

func TestViewModes(t *testing.T) {
	v := View{modes: map[string]Mode{"account.phone": Masked}}
	require.Equal(t, "", v.Apply("account", "passport", "s3cret"), "no rule: the default hides it")
	require.False(t, v.Sees("account", "passport"))
	require.Equal(t, "+380 •• ••• •• 67", v.Apply("account", "phone", "+380501234567"))
	require.True(t, v.Sees("account", "phone"))
	require.False(t, v.Reads("account", "phone"), "masked is not searchable")
	require.Equal(t, "x", v.Apply("account", "unregistered", "x"), "unregistered fields are not personal data")
	require.Equal(t, "s3cret", FullView().Apply("account", "passport", "s3cret"))
}

func TestLoginFollowsTheAccountsRules(t *testing.T) {
	v := ViewOf(map[string]Mode{"account.phone": Masked, "account.email": Hidden})
	require.Equal(t, "+380 •• ••• •• 67", v.Login("+380501234567"), "a phone log-in is masked as the account's phone")
	require.Equal(t, "", v.Login("ivan@example.com"), "an e-mail log-in is hidden as the account's e-mail")
	require.Equal(t, "ivan@example.com", FullView().Login("ivan@example.com"))
	require.Equal(t, "email", LoginField("ivan@example.com"))
	require.Equal(t, "phone", LoginField("+380501234567"))
}

func TestPartyViewKnowsNamesOnly(t *testing.T) {
	v := PartyView()
	require.Equal(t, "Іван Петренко", v.Apply("account", "name", "Іван Петренко"))
	require.Equal(t, "", v.Login("+380501234567"))
	require.Equal(t, "", v.Login("ivan@example.com"))
	require.Equal(t, "", v.Apply("account", "passport", "AA123456"))
}

func TestMaskContacts(t *testing.T) {
	require.Equal(t, "+380 •• ••• •• 67\ni•••@example.com\n", MaskContacts("+380501234567\nivan@example.com\n"))
}

func TestStrictestRuleWins(t *testing.T) {
	v := ViewOf(map[string]Mode{"account.email": Read, "complaint.complainant_contacts": Hidden})
	require.Equal(t, "", v.Strictest("ivan@example.com", "account.email", "complaint.complainant_contacts"))
	v = ViewOf(map[string]Mode{"account.email": Masked, "complaint.complainant_contacts": Read})
	require.Equal(t, "i•••@example.com", v.Strictest("ivan@example.com", "account.email", "complaint.complainant_contacts"))
	require.Equal(t, "ivan@example.com", FullView().Strictest("ivan@example.com", "account.email", "complaint.complainant_contacts"))
}

func TestApplyJSON(t *testing.T) {
	v := ViewOf(map[string]Mode{"account.phone": Masked, "account.email": Hidden, "account.name": Read})
	keys := map[string]string{"phone": "account.phone", "holder": "account.name", "who": LoginKey}
	out := v.ApplyJSON([]byte(`{"phone":"+380501234567","holder":"Іван","nested":[{"who":"ivan@example.com","n":1}],"note":"+380501234567"}`), keys)
	require.JSONEq(t, `{"phone":"+380 •• ••• •• 67","holder":"Іван","nested":[{"who":"","n":1}],"note":"+380501234567"}`, string(out),
		"only the named keys are personal data")
	require.Equal(t, "not json", string(v.ApplyJSON([]byte("not json"), keys)))
}

func TestZeroViewFailsClosed(t *testing.T) {
	var v View // a staff member whose rules were never loaded
	require.Equal(t, "", v.Apply("account", "phone", "+380501234567"), "personal data stays hidden")
	require.Equal(t, "Іван", v.Apply("account", "name", "Іван"), "a field whose default is read")
	require.Equal(t, "x", v.Apply("thing", "unregistered", "x"))
	require.Equal(t, "+380501234567", FullView().Apply("account", "phone", "+380501234567"))
}

func TestRedact(t *testing.T) {
	v := ViewOf(map[string]Mode{"account.phone": Masked, "account.name": Read})
	require.Equal(t, "Call +380 •• ••• •• 67, Іван", v.Redact(v.Redact("Call +380501234567, Іван", "account", "phone", "+380501234567"), "account", "name", "Іван"))
	require.Equal(t, "text", v.Redact("text", "account", "phone", ""))
}
