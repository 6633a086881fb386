package payouts

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/staff"
	"github.com/postdesk/postdesk/rbac"
)

// DemoSecondOfficer is the demo's second finance officer, who approves the first one's requests.
const DemoSecondOfficer = "finance2@demo.postdesk"

// SeedDemo adds the second finance officer (group "Finance") and, once, a few payouts awaiting
// approval entered by the first officer for users topped up from gateway clearing (idempotency
// keys make the top-ups safe to repeat). It runs at every seed and does nothing the second time.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool, password string) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff WHERE email = $1)`, DemoSecondOfficer).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var group int64
			if err := tx.QueryRow(ctx, `SELECT id FROM staff_groups WHERE name = 'Finance'`).Scan(&group); err != nil {
				return err
			}
			_, err := staff.Create(ctx, tx, staff.New{Email: DemoSecondOfficer, Name: "Богдана Фінансова", Lang: "uk", Password: password, GroupIDs: []int64{group}})
			return err
		})
		if err != nil {
			return err
		}
	}
	var requester int64
	var some bool
	if err := pool.QueryRow(ctx, `SELECT coalesce((SELECT id FROM staff WHERE email = 'finance@demo.postdesk'), 0), EXISTS (SELECT 1 FROM payouts)`).Scan(&requester, &some); err != nil {
		return err
	}
	if requester == 0 || some {
		return nil
	}
	rows, err := pool.Query(ctx, `SELECT id, name, card_holder FROM accounts WHERE status = 'active' AND card_token IS NOT NULL
		AND card_last4 IS NOT NULL AND card_holder IS NOT NULL ORDER BY id LIMIT 40`)
	if err != nil {
		return err
	}
	type acc struct {
		id           int64
		name, holder string
	}
	var list []acc
	var a acc
	if _, err := pgx.ForEachRow(rows, []any{&a.id, &a.name, &a.holder}, func() error { list = append(list, a); return nil }); err != nil {
		return err
	}
	plat, err := ledger.Platform(ctx, pool)
	if err != nil {
		return err
	}
	threshold, err := Threshold(ctx, pool)
	if err != nil {
		return err
	}
	// The first officer enters them; above the threshold they wait for a second officer, so no
	// job queue is needed here.
	octx := actor.With(ctx, &actor.Actor{ID: requester, Email: "finance@demo.postdesk", View: rbac.FullView()})
	placed := 0
	for _, u := range list {
		if placed == 3 || !HolderMatches(u.holder, u.name) {
			continue
		}
		amount := threshold + int64(placed+1)*250_00
		ua, err := ledger.EnsureUserAccounts(ctx, pool, ledger.UserID(u.id))
		if err != nil {
			return err
		}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "demo-payout-topup:" + strconv.FormatInt(u.id, 10), Reason: "topup",
				Legs: ledger.Move(plat.GatewayClearing, ua.Available, ledger.Minor(amount))})
			return err
		}); err != nil {
			return err
		}
		if _, err := Place(octx, pool, nil, Request{AccountID: u.id, Amount: amount}); err != nil {
			continue // a blocked account or the like: try the next user
		}
		placed++
	}
	return nil
}
