package lifecycle

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/finance/settle"
)

// A bulk move settles each order by the same rule as the table's row for its move: the batch
// event behind an action is the row's Money function, run for many orders.
func TestBulkEventsAreTheTablesRules(t *testing.T) {
	rule := map[settle.Event]Event{settle.EventDeliver: settle.Deliver, settle.EventClientCancel: settle.ClientCancel}
	pointer := func(f any) uintptr { return reflect.ValueOf(f).Pointer() }
	for _, to := range BulkTargets {
		for _, row := range Table {
			if row.To != to || row.Who == "" || row.Money == nil {
				continue
			}
			ev, ok := bulkEvent(row.Action)
			require.True(t, ok, "%s from %s moves money: a bulk move needs its batch event", row.Action, row.From)
			require.Equal(t, pointer(rule[ev]), pointer(row.Money), "%s from %s", row.Action, row.From)
		}
	}
}
