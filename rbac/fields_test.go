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
	Register(Field{Record: "thing", Name: "secret", Default: Hidden}, Field{Record: "thing", Name: "phone", Default: Hidden, Mask: MaskPhone})
	v := View{modes: map[string]Mode{"thing.phone": Masked}}
	require.Equal(t, "", v.Apply("thing", "secret", "s3cret"), "no rule: the default hides it")
	require.False(t, v.Sees("thing", "secret"))
	require.Equal(t, "+380 •• ••• •• 67", v.Apply("thing", "phone", "+380501234567"))
	require.True(t, v.Sees("thing", "phone"))
	require.False(t, v.Reads("thing", "phone"), "masked is not searchable")
	require.Equal(t, "x", v.Apply("thing", "unregistered", "x"), "unregistered fields are not personal data")
	require.Equal(t, "s3cret", FullView().Apply("thing", "secret", "s3cret"))
}
