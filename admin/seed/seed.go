// Package seed loads demo data: staff for every role, their groups and field rules, and clients
// and couriers with realistic Ukrainian, Russian and Kazakh names. Demo log-ins exist only here.
package seed

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/finance/settle"
	"github.com/postdesk/postdesk/admin/moderation"
	"github.com/postdesk/postdesk/admin/news"
	"github.com/postdesk/postdesk/admin/orders"
	"github.com/postdesk/postdesk/admin/staff"
	"github.com/postdesk/postdesk/rbac"
)

// Password is every demo staff member's password.
const Password = "postdesk-demo"

// Options are the seed command's flags.
type Options struct {
	Accounts int // extra accounts beyond the demo set, for benchmarks
	Orders   int // extra generated orders with their histories, for benchmarks
	// DataDir is where demo attachments go (blob storage); empty leaves the demo without them.
	DataDir string
	// Holds gives the demo's open orders the holds and deposits the money rules would have placed
	// (a few seconds); without it the demo's users only get their top-ups.
	Holds bool
	// TZ is the platform's zone the demo's complaint dates are counted in (UTC when nil).
	TZ *time.Location
	// BlobURL is the configured blob storage for demo attachments (empty: files/ under DataDir).
	BlobURL string
}

// Flags registers the seed flags (only on the seed command; other commands get the defaults).
func Flags(fs *flag.FlagSet, register bool) *Options {
	o := &Options{}
	if register {
		fs.IntVar(&o.Accounts, "accounts", 0, "also add this many generated accounts (for benchmarks)")
		fs.IntVar(&o.Orders, "orders", 0, "also add this many generated orders with status histories (for benchmarks)")
	}
	return o
}

// DemoStaff are the demo log-ins, one per role.
var DemoStaff = []struct{ Email, Name, Group, Lang string }{
	{"admin@demo.postdesk", "Олена Адміністраторка", "Administrators", "uk"},
	{"agent@demo.postdesk", "Андрій Підтримка", "Support agents", "uk"},
	{"lead@demo.postdesk", "Марина Керівниця", "Support leads", "uk"},
	{"finance@demo.postdesk", "Айгерим Финансова", "Finance", "ru"},
	{"finance2@demo.postdesk", "Богдана Фінансова", "Finance", "uk"}, // approves finance@'s payouts (maker–checker)
	{"editor@demo.postdesk", "Editor Demo", "Editors", "en"},
}

// demoGroups and their field rules: agents see phones masked and passports hidden; finance sees
// card last-4; administrators see everything.
var demoGroups = []struct {
	Name, Role string
	Rules      map[string]rbac.Mode
}{
	{"Administrators", "admin", map[string]rbac.Mode{"name": rbac.Edit, "phone": rbac.Edit, "email": rbac.Edit, "birth_date": rbac.Edit, "passport": rbac.Edit, "card_last4": rbac.Edit, "card_holder": rbac.Edit}},
	{"Support agents", "support_agent", map[string]rbac.Mode{"name": rbac.Read, "phone": rbac.Masked, "email": rbac.Masked, "birth_date": rbac.Hidden, "passport": rbac.Hidden, "card_last4": rbac.Hidden, "card_holder": rbac.Hidden}},
	{"Support leads", "support_lead", map[string]rbac.Mode{"name": rbac.Read, "phone": rbac.Read, "email": rbac.Read, "birth_date": rbac.Read, "passport": rbac.Masked, "card_last4": rbac.Hidden, "card_holder": rbac.Hidden}},
	{"Finance", "finance", map[string]rbac.Mode{"name": rbac.Read, "phone": rbac.Read, "email": rbac.Read, "birth_date": rbac.Hidden, "passport": rbac.Hidden, "card_last4": rbac.Read, "card_holder": rbac.Read}},
	{"Editors", "editor", map[string]rbac.Mode{"name": rbac.Hidden, "phone": rbac.Hidden, "email": rbac.Hidden, "birth_date": rbac.Hidden, "passport": rbac.Hidden, "card_last4": rbac.Hidden, "card_holder": rbac.Hidden}},
}

// Run loads the demo data once; later runs find it and only add what is missing.
func Run(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, o Options) error {
	var seeded bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff WHERE email = $1)`, DemoStaff[0].Email).Scan(&seeded); err != nil {
		return err
	}
	if !seeded {
		start := time.Now()
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return staffAndGroups(ctx, tx) }); err != nil {
			return fmt.Errorf("seed staff: %w", err)
		}
		if err := Accounts(ctx, pool, 200, 100, 1); err != nil {
			return fmt.Errorf("seed accounts: %w", err)
		}
		if err := orders.SeedRules(ctx, pool); err != nil {
			return fmt.Errorf("seed order field rules: %w", err)
		}
		if err := orders.Seed(ctx, pool, DemoOrders, 1); err != nil {
			return fmt.Errorf("seed orders: %w", err)
		}
		if err := moderation.SeedDemo(ctx, pool); err != nil {
			return fmt.Errorf("seed moderation: %w", err)
		}
		if err := settle.SeedDemo(ctx, pool, o.Holds); err != nil {
			return fmt.Errorf("seed money: %w", err)
		}
		if o.DataDir != "" || o.BlobURL != "" {
			store, err := files.OpenURL(ctx, pool, o.BlobURL, o.DataDir)
			if err != nil {
				return err
			}
			if err := orders.SeedAttachments(ctx, store, 12); err != nil {
				return fmt.Errorf("seed attachments: %w", err)
			}
		}
		log.Info("demo data loaded", "took", time.Since(start).Round(time.Millisecond))
	}
	loc := o.TZ
	if loc == nil {
		loc = time.UTC
	}
	if err := nameDemoGroups(ctx, pool); err != nil {
		return fmt.Errorf("seed group names: %w", err)
	}
	if err := complaints.SeedDemo(ctx, pool, loc); err != nil {
		return fmt.Errorf("seed complaints: %w", err)
	}
	if err := news.SeedDemo(ctx, pool); err != nil {
		return fmt.Errorf("seed news: %w", err)
	}
	if err := payouts.SeedDemo(ctx, pool, Password); err != nil {
		return fmt.Errorf("seed payouts: %w", err)
	}
	if o.Accounts > 0 {
		start := time.Now()
		if err := Accounts(ctx, pool, o.Accounts*2/3, o.Accounts-o.Accounts*2/3, uint64(time.Now().UnixNano())); err != nil {
			return err
		}
		log.Info("generated accounts", "n", o.Accounts, "took", time.Since(start).Round(time.Millisecond))
	}
	if o.Orders > 0 {
		start := time.Now()
		if err := orders.Seed(ctx, pool, o.Orders, uint64(time.Now().UnixNano())); err != nil {
			return err
		}
		log.Info("generated orders", "n", o.Orders, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// DemoOrders is how many orders the demo data has, with their histories.
const DemoOrders = 3000

// demoGroupNames are the demo groups' names in each UI language.
var demoGroupNames = map[string]map[string]string{
	"Administrators": {"uk": "Адміністратори", "ru": "Администраторы", "en": "Administrators"},
	"Support agents": {"uk": "Агенти підтримки", "ru": "Агенты поддержки", "en": "Support agents"},
	"Support leads":  {"uk": "Керівники підтримки", "ru": "Руководители поддержки", "en": "Support leads"},
	"Finance":        {"uk": "Фінанси", "ru": "Финансы", "en": "Finance"},
	"Editors":        {"uk": "Редактори", "ru": "Редакторы", "en": "Editors"},
}

// nameDemoGroups gives the demo groups their names in each language where they have none yet
// (a demo database made before names existed gets them on its next start).
func nameDemoGroups(ctx context.Context, pool *pgxpool.Pool) error {
	for name, names := range demoGroupNames {
		if _, err := pool.Exec(ctx, `UPDATE staff_groups SET names = $2 WHERE name = $1 AND names = '{}'`, name, names); err != nil {
			return err
		}
	}
	return nil
}

func staffAndGroups(ctx context.Context, tx pgx.Tx) error {
	groupIDs := map[string]int64{}
	for _, g := range demoGroups {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO staff_groups (name, role) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role RETURNING id`, g.Name, g.Role).Scan(&id); err != nil {
			return err
		}
		groupIDs[g.Name] = id
		for field, mode := range g.Rules {
			if _, err := rbac.SetRuleTx(ctx, tx, id, "account", field, mode); err != nil {
				return err
			}
		}
	}
	for _, s := range DemoStaff {
		if _, err := staff.Create(ctx, tx, staff.New{Email: s.Email, Name: s.Name, Lang: s.Lang, Password: Password, GroupIDs: []int64{groupIDs[s.Group]}}); err != nil {
			return err
		}
	}
	return nil
}

// LoginsText is the demo log-in table printed at start.
func LoginsText() string {
	var b strings.Builder
	b.WriteString("\nDemo log-ins (password " + Password + "):\n")
	for _, s := range DemoStaff {
		fmt.Fprintf(&b, "  %-24s %s\n", s.Email, s.Group)
	}
	return b.String()
}

var (
	ukFirst = []string{"Олександр", "Андрій", "Іван", "Тарас", "Богдан", "Олена", "Наталія", "Оксана", "Ірина", "Мирослава", "Дмитро", "Юлія", "Святослав", "Галина", "Петро"}
	ukLast  = []string{"Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник", "Олійник", "Лисенко", "Гнатюк", "Савченко", "Поліщук", "Марченко"}
	// Russian and Kazakh surnames agree with gender: the female form adds "а".
	ruMale   = []string{"Алексей", "Сергей", "Михаил", "Владимир", "Николай"}
	ruFemale = []string{"Анна", "Екатерина", "Ольга", "Татьяна", "Елена"}
	ruLast   = []string{"Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Волков"}
	kzMale   = []string{"Нурсултан", "Ерлан", "Бауыржан", "Ғалымжан", "Мұрат", "Қанат"}
	kzFemale = []string{"Айгерим", "Динара", "Асель", "Жанар", "Әлия", "Сәуле"}
	kzLast   = []string{"Серікбаев", "Жұмабаев", "Әбілқасымов", "Оспанов", "Төлеуов", "Қасымов", "Ахметов", "Беков", "Омаров"}
	uaOps    = []string{"50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"}
	kzOps    = []string{"701", "702", "705", "707", "747", "771", "775", "777", "778"}
)

// Accounts inserts clients and couriers with COPY, fast enough for 100,000 rows in a few seconds.
func Accounts(ctx context.Context, pool *pgxpool.Pool, clients, couriers int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 42))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	now := time.Now().UTC()
	rows := make([][]any, 0, clients+couriers)
	for i := 0; i < clients+couriers; i++ {
		kind := "client"
		if i >= clients {
			kind = "courier"
		}
		var name, phone, lang string
		switch n := r.IntN(10); {
		case n < 5:
			name, lang = pick(ukFirst)+" "+pick(ukLast), "uk"
			phone = fmt.Sprintf("+380%s%07d", pick(uaOps), r.IntN(10_000_000))
		case n < 7:
			name, lang = gendered(r, ruMale, ruFemale, ruLast), "ru"
			phone = fmt.Sprintf("+380%s%07d", pick(uaOps), r.IntN(10_000_000))
		default:
			name, lang = gendered(r, kzMale, kzFemale, kzLast), "ru"
			phone = fmt.Sprintf("+7%s%07d", pick(kzOps), r.IntN(10_000_000))
		}
		email := fmt.Sprintf("user%d.%d@example.com", i, r.IntN(1_000_000))
		birth := time.Date(1960+r.IntN(45), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		var passport, last4, token, holder any
		if kind == "courier" {
			passport = fmt.Sprintf("%s%06d", []string{"АА", "ВК", "КМ", "N"}[r.IntN(4)], r.IntN(1_000_000))
		}
		if r.IntN(10) < 7 {
			last4 = fmt.Sprintf("%04d", r.IntN(10000))
			token = fmt.Sprintf("tok_%016x", r.Uint64())
			holder = name
		}
		business := kind == "client" && r.IntN(10) == 0
		created := now.Add(-time.Duration(r.IntN(365*24)) * time.Hour)
		rows = append(rows, []any{kind, business, name, phone, email, birth, passport, last4, token, holder, lang, created})
	}
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"accounts"},
		[]string{"kind", "business", "name", "phone", "email", "birth_date", "passport", "card_last4", "card_token", "card_holder", "lang", "created_at"},
		pgx.CopyFromRows(rows))
	return err
}

func gendered(r *rand.Rand, male, female, last []string) string {
	surname := last[r.IntN(len(last))]
	if r.IntN(2) == 0 {
		return male[r.IntN(len(male))] + " " + surname
	}
	return female[r.IntN(len(female))] + " " + surname + "а"
}
