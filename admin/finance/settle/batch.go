package settle

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// Event names a money event Batch can run for many orders at once.
type Event string

const (
	EventPlace          Event = "place"
	EventAccept         Event = "accept"
	EventDeliver        Event = "deliver"
	EventClientCancel   Event = "client_cancel"
	EventClientReturned Event = "client_returned"
	EventCourierFault   Event = "courier_fault"
	EventNotDelivered   Event = "not_delivered"
	EventForceMajeure   Event = "force_majeure"
)

// plan is the event's planning step, the part of Place, Accept, … before the movements are posted.
func (e Event) plan() (func(context.Context, pgx.Tx, *order) error, bool) {
	switch e {
	case EventPlace:
		return planPlace, true
	case EventAccept:
		return planAccept, true
	case EventDeliver:
		return planDeliver, true
	case EventClientCancel:
		return planClientCancel, true
	case EventClientReturned:
		return planClientReturned, true
	case EventCourierFault:
		return planCourierFault, true
	case EventNotDelivered:
		return planNotDelivered, true
	case EventForceMajeure:
		return planForceMajeure, true
	}
	return nil, false
}

// Batch runs one event for many orders in tx, as calling the event once per order would, and
// answers for each order: nil when it was settled, or why not (the order's movements are then not
// in tx, the others' are). ids are distinct.
//
// The orders are read in one statement (locked in id order), their movements planned, and posted
// all together by one call of ledger_post_many, and their money rows written by one statement:
// a few statements for the whole batch, where one order at a time costs a few each. When the
// ledger cannot simply post them all (an order's client or courier short of money, a retry of an
// order already settled), each order runs alone under a savepoint, so that one order's refusal
// leaves the others settled. Orders whose parties have a balance limit always run alone: their
// limit counts the holds before them.
func Batch(ctx context.Context, tx pgx.Tx, e Event, ids []int64) ([]error, error) {
	plan, ok := e.plan()
	if !ok {
		return nil, fmt.Errorf("settle: no batch for event %q", e)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return nil, fmt.Errorf("settle: order %d twice in one batch", id)
		}
		seen[id] = true
	}
	os, err := loadMany(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(ids))
	var together []*order
	var alone []int // indexes into ids
	var postings []ledger.Posting
	for i, id := range ids {
		o := os[id]
		switch {
		case o == nil:
			errs[i] = apperr.New(apperr.NotFound, "orders.not_found")
		case o.clientLimit != nil || o.courierLimit != nil:
			alone = append(alone, i)
		default:
			if errs[i] = plan(ctx, tx, o); errs[i] == nil {
				together = append(together, o)
				postings = append(postings, o.pending...)
			}
		}
	}
	results, ok, err := ledger.PostTogether(ctx, tx, postings)
	if err != nil {
		return nil, err
	}
	if ok {
		var changed []*order
		for _, o := range together {
			n := len(o.pending)
			o.deliver(results[:n])
			results = results[n:]
			if o.holdsChanged {
				changed = append(changed, o)
			}
		}
		if err := setHolds(ctx, tx, changed); err != nil {
			return nil, err
		}
	} else {
		for i, id := range ids {
			if o := os[id]; o != nil && errs[i] == nil && (o.clientLimit == nil && o.courierLimit == nil) {
				alone = append(alone, i)
			}
		}
	}
	for _, i := range alone {
		sp, err := tx.Begin(ctx) // a savepoint
		if err != nil {
			return nil, err
		}
		if errs[i] = run(ctx, sp, ids[i], plan); errs[i] != nil {
			if err := sp.Rollback(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err := sp.Commit(ctx); err != nil {
			return nil, err
		}
	}
	return errs, nil
}
