package lifecycle

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/orders"
)

// MaxBulk caps the orders one bulk move takes: a screenful of a courier's day, decided at once.
const MaxBulk = 200

// BulkTargets are the moves the orders list offers for many orders at once: those that need
// nothing but the target status (a deal needs a courier, a case its reason and note).
var BulkTargets = []orders.Status{pickedUp, delivered, cancelled}

// bulkEvents are the money rules of the rows a bulk move may take, as settle.Batch runs them; a
// test holds them to the table's Money column.
func bulkEvent(a Action) (settle.Event, bool) {
	switch a {
	case Deliver:
		return settle.EventDeliver, true
	case ClientCancel:
		return settle.EventClientCancel, true
	}
	return "", false
}

// MoveMany applies one move to many orders, as Move does to each: every move is checked against
// the table from its order's status, the money of all the moves under one rule is settled
// together (settle.Batch: a few statements for the lot), and each moved order gets its status,
// history line, audit entry and notices. An order whose move is refused — by the table, or by its
// money (a client short of it) — is left as it was, and its error is returned in its place; the
// others move. A move that would send an order to moderation (a cancellation after pickup) is
// refused here: its case is opened from the order's page, with its reason.
func MoveMany(ctx context.Context, pool orders.Beginner, numbers []string, to orders.Status, note string, now time.Time) ([]error, error) {
	note = strings.TrimSpace(note)
	switch {
	case utf8.RuneCountInString(note) > 1000:
		return nil, apperr.InvalidField("note", "orders.too_long")
	case !slices.Contains(BulkTargets, to):
		return nil, apperr.InvalidField("to", "orders.status_unknown")
	case len(numbers) == 0:
		return nil, apperr.InvalidField("n", "orders.pick_some")
	case len(numbers) > MaxBulk:
		return nil, &apperr.Error{Code: apperr.Invalid, Field: "n", Message: "orders.too_many_picked", Args: map[string]any{"Max": MaxBulk}}
	}
	keys := make([]string, len(numbers))
	for i, n := range numbers {
		keys[i] = strings.ToUpper(strings.TrimSpace(n))
	}
	var errs []error
	err := inTx(ctx, pool, func(tx pgx.Tx) error {
		errs = make([]error, len(keys))
		rows, err := tx.Query(ctx, `SELECT id, number, status, coalesce(courier_id, 0) FROM orders
			WHERE number = ANY ($1) ORDER BY id FOR UPDATE`, keys)
		if err != nil {
			return err
		}
		found := map[string]order{}
		for rows.Next() {
			var o order
			var status string
			if err := rows.Scan(&o.ID, &o.Number, &status, &o.Courier); err != nil {
				rows.Close()
				return err
			}
			o.Status = orders.Status(status)
			found[o.Number] = o
		}
		if err := rows.Err(); err != nil {
			return err
		}
		byEvent := map[settle.Event][]int{}
		var move []int // indexes of the orders that move
		seen := map[string]bool{}
		for i, k := range keys {
			o, ok := found[k]
			switch {
			case seen[k]:
				continue // named twice: moved once
			case !ok:
				errs[i] = apperr.New(apperr.NotFound, "orders.not_found")
				continue
			}
			seen[k] = true
			action, err := actionOf(o, orders.MoveRequest{To: to})
			if err != nil {
				errs[i] = err
				continue
			}
			row, ok := find(action, o.Status)
			if !ok || row.Who == "" || row.To != to {
				errs[i] = refused(o.Status, to)
				continue
			}
			if row.Money == nil {
				move = append(move, i)
				continue
			}
			ev, ok := bulkEvent(action)
			if !ok {
				errs[i] = refused(o.Status, to)
				continue
			}
			byEvent[ev] = append(byEvent[ev], i)
		}
		events := make([]settle.Event, 0, len(byEvent))
		for ev := range byEvent {
			events = append(events, ev)
		}
		slices.Sort(events)
		for _, ev := range events {
			idx := byEvent[ev]
			ids := make([]int64, len(idx))
			for j, i := range idx {
				ids[j] = found[keys[i]].ID
			}
			res, err := settle.Batch(ctx, tx, ev, ids)
			if err != nil {
				return err
			}
			for j, e := range res {
				if e != nil {
					errs[idx[j]] = friendly(e)
				} else {
					move = append(move, idx[j])
				}
			}
		}
		slices.Sort(move)
		for _, i := range move {
			o := found[keys[i]]
			if err := setStatus(ctx, tx, o, to, note, now); err != nil {
				return err
			}
			if err := notifyParties(ctx, tx, o.ID, o.Courier, "order_status", map[string]any{"status": string(to)}); err != nil {
				return err
			}
		}
		return nil
	})
	return errs, err
}
