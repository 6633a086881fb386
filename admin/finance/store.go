// Package finance serves the finance pages: balances with the entries behind them, the ledger
// browser and its Excel export, platform revenue by day, the trial balance, mutual-settlement
// statements and the settings finance edits. The money itself is admin/finance/ledger's; the order
// rules are admin/finance/settle's.
package finance

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/orders"
)

// Day is one day's net platform revenue.
type Day struct {
	Day    time.Time
	Amount ledger.Minor
}

// RevenueByDay sums what the platform's revenue account received each day of [from, to) in loc,
// days without entries included as zero. It reads the revenue account's entries through their
// (account, time) index.
func RevenueByDay(ctx context.Context, q db.Querier, loc *time.Location, from, to time.Time) ([]Day, error) {
	p, err := ledger.Platform(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT d::date, coalesce(sum(e.amount), 0)::bigint
		FROM generate_series($2::timestamp, $3::timestamp - interval '1 day', interval '1 day') d
		LEFT JOIN ledger_entries e ON e.ledger_account_id = $1
			AND e.created_at >= (d AT TIME ZONE $4) AND e.created_at < ((d + interval '1 day') AT TIME ZONE $4)
		GROUP BY d ORDER BY d`, int64(p.Revenue), from.In(loc).Format("2006-01-02"), to.In(loc).Format("2006-01-02"), loc.String())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Day])
}

// SetCommission changes the platform commission (basis points) for orders placed from now on;
// orders already placed keep the rate snapshotted on them.
func SetCommission(ctx context.Context, pool orders.Beginner, bp int) error {
	if bp < 0 || bp > 10000 {
		return apperr.InvalidField("commission", "finance.commission_range")
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		old, err := settle.CommissionBP(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('commission_bp', to_jsonb($1::int), now())
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, bp); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "finance.commission", "setting", "commission_bp", map[string]any{"bp": old}, map[string]any{"bp": bp})
	})
}

// SetTariff replaces the tariff bands; orders keep the cost they were priced at, so the change
// applies to new orders only.
func SetTariff(ctx context.Context, pool orders.Beginner, bands orders.Tariff) error {
	if len(bands) == 0 {
		return apperr.InvalidField("tariff", "finance.tariff_empty")
	}
	seen := map[int64]bool{}
	for _, b := range bands {
		if b.MaxGrams <= 0 || b.Price <= 0 || seen[b.MaxGrams] {
			return apperr.InvalidField("tariff", "finance.tariff_band_invalid")
		}
		seen[b.MaxGrams] = true
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		old, err := orders.LoadTariff(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tariff_bands`); err != nil {
			return err
		}
		for _, b := range bands {
			if _, err := tx.Exec(ctx, `INSERT INTO tariff_bands (max_grams, price) VALUES ($1, $2)`, b.MaxGrams, b.Price); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "finance.tariff", "setting", "tariff", old, bands)
	})
}

// parseDay reads a yyyy-mm-dd form value as the start of that day in loc; zero when empty.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return t, apperr.InvalidField("from", "finance.bad_date")
	}
	return t, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// OwnerNames are the names of the ledger accounts' owners (clients and couriers), as the viewer
// may see them (the account name's field rule), for pages that list entries.
func OwnerNames(ctx context.Context, q db.Querier, ids []int64) (map[int64]string, error) {
	names := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM accounts WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	v := actor.ViewOf(ctx)
	var id int64
	var name string
	_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error {
		names[id] = v.Apply("account", "name", name)
		return nil
	})
	return names, err
}
