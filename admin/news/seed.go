package news

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// SeedDemo adds a few demo items the first time (a pinned notice for everyone, one for staff, a
// scheduled one), and gives a share of the demo users consent to news so publishing reaches someone.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, `UPDATE accounts SET consent_email = (id % 3 = 0), consent_sms = (id % 7 = 0), consent_updated_at = now()
		WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE consent_email OR consent_sms OR consent_updated_at IS NOT NULL)`); err != nil {
		return err
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM news`).Scan(&n); err != nil || n > 0 {
		return err
	}
	now := time.Now()
	items := []struct {
		title, body, audience, state string
		pinned                       bool
		at                           time.Time
	}{
		{"Нові тарифи з 1 грудня", "Посилки **до 2 кг** дешевшають на 10 %.\n\n| Вага | Ціна |\n|---|---|\n| до 1 кг | 60 грн |\n| до 2 кг | 75 грн |", "everyone", Published, true, now.Add(-48 * time.Hour)},
		{"Графік підтримки у свята", "Служба підтримки працює з 9:00 до 18:00.\n\n- 25 грудня — вихідний\n- 1 січня — вихідний", "staff", Published, false, now.Add(-24 * time.Hour)},
		{"Оновлення застосунку для кур'єрів", "Нова версія показує маршрут на мапі.", "couriers", Scheduled, false, now.Add(72 * time.Hour)},
	}
	for _, it := range items {
		html, err := RenderMarkdown(it.body)
		if err != nil {
			return err
		}
		var publishAt, publishedAt *time.Time
		if it.state == Published {
			publishedAt = &it.at
		} else {
			publishAt = &it.at
		}
		if _, err := pool.Exec(ctx, `INSERT INTO news (title, body_md, body_html, audience, state, publish_at, published_at, pinned)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, it.title, it.body, html, it.audience, it.state, publishAt, publishedAt, it.pinned); err != nil {
			return err
		}
	}
	return nil
}
