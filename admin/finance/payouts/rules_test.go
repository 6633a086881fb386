package payouts

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHolderMatches(t *testing.T) {
	for _, c := range []struct {
		card, holder string
		want         bool
	}{
		{"OLENA KOVALENKO", "Олена Коваленко", true},
		{"KOVALENKO OLENA", "Олена Коваленко", true},
		{"Olena  Kovalenko.", "олена коваленко", true},
		{"SERGEY IVANOV", "Сергей Иванов", true},
		{"SERHII IVANOV", "Сергій Іванов", true},
		{"YERLAN SERIKBAYEV", "Ерлан Серікбаев", false}, // "ye" is not folded: a mismatch needs an override
		{"ERLAN SERIKBAEV", "Ерлан Серікбаев", true},
		{"IVAN PETRENKO", "Іван Петренко Олександрович", true},
		{"IVAN PETRENKO", "Олена Коваленко", false},
		{"OLENA", "Олена Коваленко", false},
		{"", "Олена Коваленко", false},
		{"ANNA-MARIA KOVAL", "Анна-Марія Коваль", true},
	} {
		require.Equal(t, c.want, HolderMatches(c.card, c.holder), "%q vs %q", c.card, c.holder)
	}
}
