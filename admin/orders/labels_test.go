package orders_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/orders"
)

// Waybills and handover acts write amounts the way their captions' language does.
func TestDocumentLabelsWriteMoneyInTheirLanguage(t *testing.T) {
	t.Parallel()
	require.Equal(t, "1,234.50\u00a0UAH", orders.Labels("en").Money(123450, "UAH"))
	require.Equal(t, "1\u00a0234,50\u00a0UAH", orders.Labels("uk").Money(123450, "UAH"))
	require.Equal(t, "\u22121\u00a0234,50", orders.Labels("ru").Money(-123450, ""))
}
