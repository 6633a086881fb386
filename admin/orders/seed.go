package orders

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/rbac"
)

// demoRules are the demo groups' field rules for orders: support sees phones masked and
// addresses whole; finance sees money but no phones or addresses; editors see no personal data.
var demoRules = map[string]map[string]rbac.Mode{
	"Administrators": {"sender_name": rbac.Edit, "sender_phone": rbac.Edit, "sender_address": rbac.Edit, "recipient_name": rbac.Edit,
		"recipient_phone": rbac.Edit, "recipient_address": rbac.Edit, "declared_value": rbac.Edit, "cost": rbac.Edit, "comment": rbac.Edit},
	"Support agents": {"sender_name": rbac.Read, "sender_phone": rbac.Masked, "sender_address": rbac.Read, "recipient_name": rbac.Read,
		"recipient_phone": rbac.Masked, "recipient_address": rbac.Read, "declared_value": rbac.Read, "cost": rbac.Read, "comment": rbac.Read},
	"Support leads": {"sender_name": rbac.Read, "sender_phone": rbac.Read, "sender_address": rbac.Read, "recipient_name": rbac.Read,
		"recipient_phone": rbac.Read, "recipient_address": rbac.Read, "declared_value": rbac.Read, "cost": rbac.Read, "comment": rbac.Read},
	"Finance": {"sender_name": rbac.Read, "sender_phone": rbac.Hidden, "sender_address": rbac.Hidden, "recipient_name": rbac.Read,
		"recipient_phone": rbac.Hidden, "recipient_address": rbac.Hidden, "declared_value": rbac.Read, "cost": rbac.Read, "comment": rbac.Hidden},
	"Editors": {"sender_name": rbac.Hidden, "sender_phone": rbac.Hidden, "sender_address": rbac.Hidden, "recipient_name": rbac.Hidden,
		"recipient_phone": rbac.Hidden, "recipient_address": rbac.Hidden, "declared_value": rbac.Hidden, "cost": rbac.Hidden, "comment": rbac.Hidden},
}

// SeedRules gives the demo groups their field rules for orders (groups that do not exist are skipped).
func SeedRules(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for group, rules := range demoRules {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM staff_groups WHERE name = $1`, group).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			for field, mode := range rules {
				if _, err := tx.Exec(ctx, `INSERT INTO field_rules (group_id, record, field, mode) VALUES ($1, $2, $3, $4)
					ON CONFLICT (group_id, record, field) DO NOTHING`, id, Record, field, mode.String()); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

var (
	seedItems   = []string{"Книги", "Документи", "Одяг", "Смартфон", "Ноутбук", "Запчастини", "Косметика", "Іграшки", "Посуд", "Взуття", "Продукти", "Квіти", "Подарунок", "Документы", "Электроника", "Құжаттар"}
	seedCities  = []string{"Київ", "Львів", "Одеса", "Харків", "Дніпро", "Вінниця", "Алматы", "Астана", "Шымкент", "Караганда"}
	seedStreets = []string{"вул. Хрещатик", "вул. Шевченка", "просп. Перемоги", "вул. Грушевського", "пр. Абая", "ул. Толе би", "пр. Назарбаева", "вул. Франка", "ул. Гоголя", "вул. Садова"}
	seedNames   = []string{"Олександр Коваленко", "Наталія Шевченко", "Ірина Бондаренко", "Тарас Мельник", "Оксана Ткаченко", "Дмитрий Иванов",
		"Екатерина Смирнова", "Айгерим Серікбаева", "Нурсултан Жұмабаев", "Әлия Оспанова", "Ғалымжан Төлеуов", "Мирослава Гнатюк", "Jane O'Neill"}
	// seedPaths are the status histories the generated orders follow, weighted by how common they are.
	seedPaths = [][]Status{
		{Created}, {Created, Deal}, {Created, Deal, PickedUp}, {Created, Deal, PickedUp, Delivered},
		{Created, Deal, PickedUp, Delivered}, {Created, Deal, PickedUp, Delivered}, {Created, Deal, PickedUp, Delivered},
		{Created, Cancelled}, {Created, Deal, PickedUp, InModeration}, {Created, Deal, PickedUp, InModeration, Returned},
		{Created, Deal, PickedUp, Lost},
	}
)

// Seed adds n generated orders with their status histories, spread over the past year, for
// existing active clients and couriers: COPY for the orders, one INSERT … SELECT for the history,
// so a million orders take well under a minute.
func Seed(ctx context.Context, pool *pgxpool.Pool, n int, seed uint64) error {
	if n <= 0 {
		return nil
	}
	clients, err := accountIDs(ctx, pool, "client")
	if err != nil {
		return err
	}
	couriers, err := accountIDs(ctx, pool, "courier")
	if err != nil {
		return err
	}
	if len(clients) == 0 || len(couriers) == 0 {
		return fmt.Errorf("orders seed: no active clients or couriers to give orders to")
	}
	tariff := Tariff{{1000, 6000}, {2000, 7500}, {5000, 9500}, {10000, 13000}, {20000, 18000}, {30000, 24000}, {70000, 45000}}
	if t, err := LoadTariff(ctx, pool); err == nil && len(t) > 0 {
		tariff = t
	}
	var firstID int64
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM orders`).Scan(&firstID); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	phone := func() string {
		if r.IntN(3) == 0 {
			return fmt.Sprintf("+7%d%07d", 700+r.IntN(80), r.IntN(10_000_000))
		}
		return fmt.Sprintf("+380%d%07d", 50+r.IntN(50), r.IntN(10_000_000))
	}
	address := func() string {
		return fmt.Sprintf("%s, %s, %d, кв. %d", pick(seedCities), pick(seedStreets), 1+r.IntN(150), 1+r.IntN(200))
	}
	now := time.Now().UTC()
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= n {
			return nil, nil
		}
		i++
		path := seedPaths[r.IntN(len(seedPaths))]
		status := path[len(path)-1]
		// Spread over a year, newest last, so ids and creation times rise together.
		created := now.Add(-time.Duration(float64(365*24*time.Hour) * float64(n-i+1) / float64(n+1))).Add(-time.Duration(r.IntN(3600)) * time.Second)
		// Every step of the history is in the past.
		if latest := now.Add(-time.Duration(len(path)) * 7 * time.Hour); created.After(latest) {
			created = latest
		}
		grams := int64(100 + r.IntN(25_000))
		cost, _ := tariff.Cost(grams)
		var courier any
		if len(path) > 1 && path[1] == Deal {
			courier = couriers[r.IntN(len(couriers))]
		}
		var delivered any
		if status == Delivered {
			delivered = created.Add(time.Duration(len(path)-1) * 7 * time.Hour)
		}
		expected := created.Add(time.Duration(24+r.IntN(72)) * time.Hour)
		comment := ""
		if r.IntN(5) == 0 {
			comment = []string{"Дзвонити заздалегідь", "Крихке!", "Позвонить за час", "Не кантувати", "=SUM(A1:A9)"}[r.IntN(5)]
		}
		return []any{clients[r.IntN(len(clients))], courier, pick(seedNames), phone(), address(), pick(seedNames), phone(), address(),
			pick(seedItems), int32(grams), int64(r.IntN(2_000_000)), cost, expected, comment, string(status), created,
			created.Add(time.Duration(len(path)-1) * 7 * time.Hour), delivered}, nil
	})
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"orders"}, []string{"client_id", "courier_id", "sender_name", "sender_phone",
		"sender_address", "recipient_name", "recipient_phone", "recipient_address", "item", "weight_grams", "declared_value", "cost",
		"expected_at", "comment", "status", "created_at", "updated_at", "delivered_at"}, src); err != nil {
		return fmt.Errorf("orders seed: %w", err)
	}
	// The history follows each order's path: one line per step, seven hours apart.
	_, err = pool.Exec(ctx, `
		WITH paths(status, steps) AS (VALUES
			('created', ARRAY['created']), ('deal', ARRAY['created', 'deal']),
			('picked_up', ARRAY['created', 'deal', 'picked_up']), ('delivered', ARRAY['created', 'deal', 'picked_up', 'delivered']),
			('cancelled', ARRAY['created', 'cancelled']), ('in_moderation', ARRAY['created', 'deal', 'picked_up', 'in_moderation']),
			('returned', ARRAY['created', 'deal', 'picked_up', 'in_moderation', 'returned']),
			('lost', ARRAY['created', 'deal', 'picked_up', 'lost']))
		INSERT INTO order_status_history (order_id, at, from_status, to_status, note)
		SELECT o.id, o.created_at + (s.i - 1) * interval '7 hours', CASE WHEN s.i > 1 THEN p.steps[s.i - 1] END, p.steps[s.i], ''
		FROM orders o JOIN paths p ON p.status = o.status, LATERAL generate_subscripts(p.steps, 1) s(i)
		WHERE o.id > $1`, firstID)
	if err != nil {
		return fmt.Errorf("orders seed history: %w", err)
	}
	_, err = pool.Exec(ctx, `ANALYZE orders; ANALYZE order_status_history`)
	return err
}

func accountIDs(ctx context.Context, pool *pgxpool.Pool, kind string) ([]int64, error) {
	rows, err := pool.Query(ctx, `SELECT id FROM accounts WHERE kind = $1 AND status = 'active' ORDER BY id`, kind)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// SeedAttachments puts a generated parcel photo on each of the n newest demo orders (as the
// system), so the order page shows attachments and thumbnails out of the box.
func SeedAttachments(ctx context.Context, store *files.Store, n int) error {
	rows, err := store.Pool.Query(ctx, `SELECT number FROM orders o WHERE NOT EXISTS (
			SELECT 1 FROM files f WHERE f.kind = 'attachment' AND f.record_type = 'order' AND f.record_id = o.number)
		ORDER BY id DESC LIMIT $1`, n)
	if err != nil {
		return err
	}
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for i, number := range numbers {
		img := parcelPhoto(i)
		if _, err := store.Attach(ctx, files.Upload{RecordType: Record, RecordID: number, Name: "Фото посилки " + number + ".png",
			Size: int64(len(img)), Body: bytes.NewReader(img)}, files.DefaultPolicy); err != nil {
			return err
		}
	}
	return nil
}

// parcelPhoto draws a cardboard box with a label: a stand-in for the photos couriers take.
func parcelPhoto(seed int) []byte {
	const w, h = 480, 360
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{uint8(200 + seed*7%50), uint8(210 + seed*3%40), 225, 255}
	box := color.RGBA{181, 137, 84, 255}
	tape := color.RGBA{214, 184, 120, 255}
	label := color.RGBA{250, 250, 250, 255}
	for y := range h {
		for x := range w {
			c := bg
			switch {
			case x > 90 && x < 390 && y > 70 && y < 300:
				c = box
				if x > 225 && x < 255 {
					c = tape
				}
				if x > 280 && x < 370 && y > 200 && y < 280 {
					c = label
					if (y-210)%12 < 3 && x > 290 && x < 360 {
						c = color.RGBA{40, 40, 40, 255}
					}
				}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
