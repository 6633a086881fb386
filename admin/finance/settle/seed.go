package settle

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// Demo balances, in minor units: enough for every demo order a client places and every deposit a
// courier sets aside.
const (
	demoClientTopUp  = 50_000_00
	demoCourierTopUp = 500_000_00
	// Delivered demo orders settled in full, for the revenue the finance pages show.
	demoDelivered = 100
)

// SeedDemo gives the demo's clients and couriers money, one top-up from the gateway each, so that
// staff can enter and accept orders. With holds, the demo's open orders also get the money the
// rules would have moved: the client's cost held and, past the deal, the courier's deposit, and
// the latest delivered orders are paid out, so the moderation desk and the finance pages work on
// real money. A second run changes nothing:
// the top-up and every hold have their idempotency keys.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool, holds bool) error {
	plat, err := ledger.Platform(ctx, pool)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, kind FROM accounts WHERE kind IN ('client', 'courier') AND status <> 'deleted' ORDER BY id`)
		if err != nil {
			return err
		}
		type user struct {
			id   int64
			kind string
		}
		var users []user
		var u user
		if _, err := pgx.ForEachRow(rows, []any{&u.id, &u.kind}, func() error { users = append(users, u); return nil }); err != nil {
			return err
		}
		legs := []ledger.Leg{{Account: plat.GatewayClearing}}
		for _, u := range users {
			ua, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(u.id))
			if err != nil {
				return err
			}
			amount := ledger.Minor(demoClientTopUp)
			if u.kind == "courier" {
				amount = demoCourierTopUp
			}
			legs = append(legs, ledger.Leg{Account: ua.Available, Amount: amount})
			legs[0].Amount -= amount
		}
		if len(legs) == 1 {
			return nil
		}
		_, err = ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "demo:topup", Reason: "topup", Legs: legs})
		return err
	})
	if err != nil || !holds {
		return err
	}

	// The open orders, and the latest delivered ones paid out in full so that the platform has
	// revenue to show (posted today: the ledger dates a transfer when it is made).
	rows, err := pool.Query(ctx, `SELECT id, status FROM orders WHERE status IN ('created', 'deal', 'picked_up', 'in_moderation')
		UNION ALL (SELECT id, status FROM orders WHERE status = 'delivered' AND courier_id IS NOT NULL ORDER BY id DESC LIMIT $1)
		ORDER BY id`, demoDelivered)
	if err != nil {
		return err
	}
	type open struct {
		id     int64
		status string
	}
	var list []open
	var o open
	if _, err := pgx.ForEachRow(rows, []any{&o.id, &o.status}, func() error { list = append(list, o); return nil }); err != nil {
		return err
	}
	work := make(chan open)
	g, gctx := errgroup.WithContext(ctx)
	for range 4 {
		g.Go(func() error {
			for o := range work {
				err := pgx.BeginFunc(gctx, pool, func(tx pgx.Tx) error {
					switch o.status {
					case "created":
						return Place(gctx, tx, o.id)
					case "delivered":
						if err := Accept(gctx, tx, o.id); err != nil {
							return err
						}
						return Deliver(gctx, tx, o.id)
					}
					return Accept(gctx, tx, o.id) // places the client's hold first
				})
				if err != nil {
					return fmt.Errorf("demo money for order %d: %w", o.id, err)
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		for _, o := range list {
			select {
			case work <- o:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	return g.Wait()
}
