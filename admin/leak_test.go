package admin_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/admintest"
	"github.com/postdesk/postdesk/admin/complaints"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/finance/payouts"
	"github.com/postdesk/postdesk/admin/notify"
	"github.com/postdesk/postdesk/admin/seed"
	"github.com/postdesk/postdesk/admin/staff"
	"github.com/postdesk/postdesk/jobs"
	"github.com/postdesk/postdesk/rbac"
)

// canary is a unique value planted in one personal field. It must never appear whole (nor any of
// its other spellings) where the viewer's rule for its field hides or masks it.
type canary struct {
	record, field string
	value         string
	spellings     []string // other forms a page may print it in: a date as 27.02.1931, a phone's digits
}

func (c canary) key() string { return c.record + "." + c.field }

// found tells whether text carries the canary whole, in any of its spellings.
func (c canary) found(text string) string {
	for _, s := range append([]string{c.value}, c.spellings...) {
		if c.field == "card_last4" {
			// Four digits: only a run of exactly these four counts.
			if regexp.MustCompile(`(^|[^0-9])` + s + `([^0-9]|$)`).MatchString(text) {
				return s
			}
			continue
		}
		if strings.Contains(text, s) {
			return s
		}
	}
	return ""
}

func phoneCanary(record, field, phone string) canary {
	// The last seven digits too: a page must not print the number in another layout.
	return canary{record: record, field: field, value: phone, spellings: []string{phone[len(phone)-7:]}}
}

func dateCanary(record, field, day string) canary {
	t, _ := time.Parse("2006-01-02", day)
	return canary{record: record, field: field, value: day, spellings: []string{t.Format("02.01.2006"), t.Format("02/01/2006"), t.Format("01/02/2006")}}
}

// leakWorld is what the detector planted and where it lives.
type leakWorld struct {
	canaries   []canary
	accounts   []int64
	orders     []string // numbers
	orderIDs   []int64
	complaints []int64
	letters    [][2]int64 // complaint id, file id
	payouts    []int64
	cases      []int64
	courier    int64
	notices    []int64
	caught     []int64
	recon      []int64
	news       []int64
	staffIDs   []int64
	webhooks   []int64 // deliveries
	payee      int64   // the account the planted payout goes to
}

// plant writes canaries into every personal field of a few accounts, two orders (one with an open
// moderation case), their payout, and two complaints (one decided, with its letter and notices
// delivered to the mail catcher).
func plant(t *testing.T, env *admintest.Env) *leakWorld {
	ctx := context.Background()
	w := &leakWorld{}
	q := func(sql string, args ...any) {
		t.Helper()
		_, err := env.Pool.Exec(ctx, sql, args...)
		require.NoError(t, err, sql)
	}
	// Orders: one with a courier at the deal (its handover act), one in moderation with its case.
	var o1, o2, case2 int64
	var n1, n2 string
	var c1, k1, c2, k2 int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, number, client_id, courier_id FROM orders
		WHERE status = 'deal' AND courier_id IS NOT NULL ORDER BY id LIMIT 1`).Scan(&o1, &n1, &c1, &k1))
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT o.id, o.number, o.client_id, o.courier_id, mc.id FROM orders o
		JOIN moderation_cases mc ON mc.order_id = o.id AND mc.state = 'open'
		WHERE o.client_id <> $1 AND o.courier_id <> $2 ORDER BY o.id LIMIT 1`, c1, k1).Scan(&o2, &n2, &c2, &k2, &case2))
	w.orders, w.orderIDs, w.cases, w.courier = []string{n1, n2}, []int64{o1, o2}, []int64{case2}, k1
	// Not overdue, so the moderation sweep the workers run leaves it with its courier.
	q(`UPDATE orders SET expected_at = now() + interval '7 days' WHERE id = $1`, o1)
	var payout, pacc int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id, account_id FROM payouts ORDER BY id LIMIT 1`).Scan(&payout, &pacc))
	w.payouts, w.payee = []int64{payout}, pacc
	for _, id := range []int64{c1, k1, c2, k2, pacc} {
		if !slices.Contains(w.accounts, id) {
			w.accounts = append(w.accounts, id)
		}
	}
	for i, id := range w.accounts {
		n := i + 1
		name := fmt.Sprintf("Zyqname Canaryacc%c", 'a'+i)
		phone := fmt.Sprintf("+38093174260%d", n)
		email := fmt.Sprintf("zyq.canary%d@leak.example", n)
		birth := fmt.Sprintf("193%d-02-27", n)
		passport := fmt.Sprintf("ZQ73914%d", n)
		last4 := fmt.Sprintf("739%d", n)
		holder := fmt.Sprintf("ZYQHOLDER CANARY%c", 'A'+i)
		var kind string
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT kind FROM accounts WHERE id = $1`, id).Scan(&kind))
		q(`UPDATE accounts SET name = $2, phone = $3, email = $4, birth_date = $5, card_last4 = $6, card_holder = $7 WHERE id = $1`,
			id, name, phone, email, birth, last4, holder)
		if kind == "courier" { // only couriers give a passport
			q(`UPDATE accounts SET passport = $2 WHERE id = $1`, id, passport)
			w.canaries = append(w.canaries, canary{record: "account", field: "passport", value: passport})
		}
		q(`UPDATE payouts SET card_last4 = $2, card_holder = $3, account_holder = $4 WHERE account_id = $1`, id, last4, holder, name)
		w.canaries = append(w.canaries,
			canary{record: "account", field: "name", value: name},
			phoneCanary("account", "phone", phone),
			canary{record: "account", field: "email", value: email},
			dateCanary("account", "birth_date", birth),
			canary{record: "account", field: "card_last4", value: last4},
			canary{record: "account", field: "card_holder", value: holder})
	}
	// A second account of the first one's kind with its phone and e-mail: the duplicates list shows them.
	var dup int64
	require.NoError(t, env.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone, email, lang)
		SELECT kind, 'Zyqname Canarydup', phone, email, 'en' FROM accounts WHERE id = $1 RETURNING id`, w.accounts[0]).Scan(&dup))
	w.accounts = append(w.accounts, dup)
	w.canaries = append(w.canaries, canary{record: "account", field: "name", value: "Zyqname Canarydup"})
	for i, id := range w.orderIDs {
		n := i + 1
		sp, rp := fmt.Sprintf("+38093174261%d", n), fmt.Sprintf("+38093174262%d", n)
		// Each ends in its own two characters, so one's masked form is never another's.
		vals := []string{fmt.Sprintf("Zyqsender Canaryorder%d", n), sp, fmt.Sprintf("Zyqstreet %d, Senderville%d", 10+n, n),
			fmt.Sprintf("Zyqrecipient Canaryorder%dr", n), rp, fmt.Sprintf("Zyqavenue %d, Recipientburg%dg", 20+n, n), fmt.Sprintf("Zyqcomment %dq", n)}
		q(`UPDATE orders SET sender_name = $2, sender_phone = $3, sender_address = $4, recipient_name = $5, recipient_phone = $6,
			recipient_address = $7, comment = $8 WHERE id = $1`, id, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6])
		w.canaries = append(w.canaries,
			canary{record: "order", field: "sender_name", value: vals[0]},
			phoneCanary("order", "sender_phone", sp),
			canary{record: "order", field: "sender_address", value: vals[2]},
			canary{record: "order", field: "recipient_name", value: vals[3]},
			phoneCanary("order", "recipient_phone", rp),
			canary{record: "order", field: "recipient_address", value: vals[5]},
			canary{record: "order", field: "comment", value: vals[6]})
	}

	// A payout entered after the canaries, so its snapshot of the card and its audit entry carry them.
	var finID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'finance@demo.postdesk'`).Scan(&finID))
	fctx := actor.With(ctx, &actor.Actor{ID: finID, Email: "finance@demo.postdesk", View: rbac.FullView()})
	threshold, err := payouts.Threshold(ctx, env.Pool)
	require.NoError(t, err)
	plat, err := ledger.Platform(ctx, env.Pool)
	require.NoError(t, err)
	ua, err := ledger.EnsureUserAccounts(ctx, env.Pool, ledger.UserID(pacc))
	require.NoError(t, err)
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "leak-topup", Reason: "topup",
			Legs: ledger.Move(plat.GatewayClearing, ua.Available, ledger.Minor(threshold+100))})
		return err
	}))
	// The account has a webhook endpoint: the payout's status change is delivered to it too.
	q(`INSERT INTO webhook_endpoints (account_id, url, events, secret) VALUES ($1, 'https://hooks.leak.example/in', ARRAY['payout.status_changed'], 'whsec_bGVhay10ZXN0LXNlY3JldC1sZWFrLXRlc3Q=')`, pacc)
	placed, err := payouts.Place(fctx, env.Pool, nil, payouts.Request{AccountID: pacc, Amount: threshold + 1, Override: "The leak test's card"})
	require.NoError(t, err)
	w.payouts = append(w.payouts, placed.ID)
	// A second officer refuses it: the user is told, with their name and the card's last digits.
	var fin2 int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'finance2@demo.postdesk'`).Scan(&fin2))
	_, err = payouts.Refuse(actor.With(ctx, &actor.Actor{ID: fin2, Email: "finance2@demo.postdesk", View: rbac.FullView()}), env.Pool, placed.ID, "The leak test refuses it")
	require.NoError(t, err)
	rows, err := env.Pool.Query(ctx, `SELECT id FROM webhook_deliveries WHERE account_id = ANY($1) ORDER BY id`, w.accounts)
	require.NoError(t, err)
	w.webhooks, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.NotEmpty(t, w.webhooks, "the payout was delivered to the account's webhook")

	// Complaints, registered and worked as staff do: the complainant is the first client, the
	// respondent the first courier (their log-ins are the accounts' canary phones and e-mails).
	var adminID int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM staff WHERE email = 'admin@demo.postdesk'`).Scan(&adminID))
	actx := actor.With(ctx, &actor.Actor{ID: adminID, Email: "admin@demo.postdesk", Name: "Admin", View: rbac.FullView()})
	store := &complaints.Store{Pool: env.Pool, Loc: env.Config.TZ, Now: env.Clock.Now}
	yesterday := env.Clock.Now().In(env.Config.TZ).AddDate(0, 0, -1).Format("2006-01-02")
	for i, login := range [][2]string{{"+380931742601", "+380931742602"}, {"zyq.canary1@leak.example", "zyq.canary2@leak.example"}} {
		n := i + 1
		in := complaints.Intake{ComplainantName: fmt.Sprintf("Zyqcomplainant Canary%d", n), ComplainantBirth: fmt.Sprintf("194%d-03-28", n),
			ComplainantLogin: login[0], ComplainantPhones: fmt.Sprintf("+38093174263%d", n), ComplainantEmails: fmt.Sprintf("zyq.contact%d@leak.example", n),
			ComplainantLang: "en", RespondentLogin: login[1], OrderRef: n1, ActionDate: yesterday, ActionTime: "10:00", ActionPlace: "Kyiv",
			ActionDetails: "The parcel came open.", Grounds: "The courier did not keep it closed.", Demands: []string{"A refund"},
			ThirdParties: fmt.Sprintf("zyq.third%d@leak.example", n)}
		r, err := store.Register(actx, in, nil, 0)
		require.NoError(t, err)
		w.complaints = append(w.complaints, r.ID)
		w.canaries = append(w.canaries,
			dateCanary("complaint", "complainant_birth_date", in.ComplainantBirth),
			phoneCanary("complaint", "complainant_contacts", in.ComplainantPhones),
			canary{record: "complaint", field: "complainant_contacts", value: in.ComplainantEmails},
			canary{record: "account", field: "email", value: in.ThirdParties}) // a third party's e-mail, as any e-mail
	}
	decided := w.complaints[0]
	require.NoError(t, store.Decide(actx, decided, complaints.Decision{Outcome: complaints.Rejected, Reasoning: "Not proven."}))
	require.NoError(t, store.MakeLetter(ctx, decided))
	rows, err = env.Pool.Query(ctx, `SELECT complaint_id, id FROM complaint_files WHERE complaint_id = ANY($1) ORDER BY id`, w.complaints)
	require.NoError(t, err)
	letters, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]int64, error) {
		var p [2]int64
		return p, r.Scan(&p[0], &p[1])
	})
	require.NoError(t, err)
	require.NotEmpty(t, letters, "the decision made its letter")
	w.letters = letters
	// The letter goes to both parties (and third parties): it carries what each may know of the
	// other — names — never the other side's phone, not even masked.
	for _, l := range letters {
		var pdf []byte
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT data FROM complaint_files WHERE id = $1`, l[1]).Scan(&pdf))
		text, _ := readable(t, admintest.Response{Body: string(pdf), Header: http.Header{"Content-Type": {"application/pdf"}}})
		require.Contains(t, text, "Zyqcomplainant Canary1")
		for _, phone := range []string{"+380931742601", "+380931742602"} {
			require.NotContains(t, text, phone, "the letter names a party's phone")
			require.NotContains(t, text, rbac.MaskPhone(phone), "nor its masked form")
		}
	}

	// Every outbox row about the planted people, and the e-mails among them delivered to the catcher.
	rows, err = env.Pool.Query(ctx, `SELECT n.id FROM notifications n WHERE n.account_id = ANY($1)
		OR n.id IN (SELECT notification_id FROM complaint_notices WHERE complaint_id = ANY($2)) ORDER BY n.id`, w.accounts, w.complaints)
	require.NoError(t, err)
	w.notices, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.NotEmpty(t, w.notices)
	catcher, err := notify.StartCatcher(env.Pool, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer catcher.Close()
	host, port, _ := net.SplitHostPort(catcher.Addr)
	p, _ := strconv.Atoi(port)
	d := &notify.Delivery{Mail: &notify.SMTPMailer{Config: notify.SMTPConfig{Host: host, Port: p, TLS: "none", From: "noreply@postdesk.test", Timeout: 10 * time.Second}},
		Attachments: map[string]notify.AttachmentLoader{complaints.LetterSource: complaints.LetterFile}}
	var mails []notify.ID
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM notifications WHERE id = ANY($1) AND channel = 'email'`, w.notices)
		if err != nil {
			return err
		}
		mails, err = pgx.CollectRows(rows, pgx.RowTo[notify.ID])
		return err
	}))
	require.NotEmpty(t, mails)
	require.NoError(t, d.Deliver(ctx, env.Pool, mails, false))
	rows, err = env.Pool.Query(ctx, `SELECT id FROM caught_messages ORDER BY id`)
	require.NoError(t, err)
	w.caught, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.NotEmpty(t, w.caught, "the catcher received the complaint's notices")

	// Records without personal data, opened so their pages are crawled too.
	var recon int64
	err = env.Pool.QueryRow(ctx, `SELECT id FROM recon_periods ORDER BY id LIMIT 1`).Scan(&recon)
	if err == pgx.ErrNoRows {
		err = env.Pool.QueryRow(ctx, `INSERT INTO recon_periods (starts_at, ends_at) VALUES (now() - interval '7 days', now()) RETURNING id`).Scan(&recon)
	}
	require.NoError(t, err)
	w.recon = []int64{recon}
	var news int64
	require.NoError(t, env.Pool.QueryRow(ctx, `SELECT id FROM news ORDER BY id LIMIT 1`).Scan(&news))
	w.news = []int64{news}
	w.staffIDs = []int64{adminID}
	return w
}

// viewer is a staff member the crawl logs in as, with the field view their groups give.
type viewer struct {
	name   string
	email  string
	id     int64
	view   rbac.View
	client *admintest.Client
}

// customGroup is a group an administrator made, with the role given and some fields hidden and
// others masked that the demo groups of that role read.
func customGroup(t *testing.T, env *admintest.Env, email, name, role string, rules map[string]rbac.Mode) string {
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		var gid int64
		if err := tx.QueryRow(ctx, `INSERT INTO staff_groups (name, role) VALUES ($1, $2) RETURNING id`, name, role).Scan(&gid); err != nil {
			return err
		}
		for k, m := range rules {
			rec, field, _ := strings.Cut(k, ".")
			if _, err := rbac.SetRuleTx(ctx, tx, gid, rec, field, m); err != nil {
				return err
			}
		}
		_, err := staff.Create(ctx, tx, staff.New{Email: email, Name: name, Lang: "en", Password: seed.Password, GroupIDs: []int64{gid}})
		return err
	}))
	_, err := env.Pool.Exec(ctx, `UPDATE staff SET must_change_password = false, lang = 'en' WHERE email = $1`, email)
	require.NoError(t, err)
	return email
}

// skipRoutes are GET routes the crawl does not open, each with why it cannot carry personal data.
var skipRoutes = map[string]string{
	"/login":                               "public log-in form; no record data",
	"/orders/:number/attachments/:id<int>": "the bytes of a file a user attached, served as they were uploaded",
	"/orders/:number/attachments/:id<int>/thumb": "a picture's thumbnail bytes",
	"/news/images/:id<int>":                      "a news picture's bytes",
	"/orders/import/:id<int>":                    "an import's report, which only its owner opens: the rows of their own file",
}

// queryVariants are the filters a route is also opened with, so lists show the planted records.
func queryVariants(w *leakWorld) map[string][]string {
	var users []string
	for _, a := range w.accounts {
		users = append(users, "?user="+itoa(a))
	}
	return map[string][]string{
		"/accounts":               {"", "?q=Zyqname"}, // searching by a value echoes it back: fields_test covers refusing those
		"/orders":                 {"", "?client=" + itoa(w.accounts[0]), "?courier=" + itoa(w.courier), "?q=" + w.orders[0]},
		"/orders/find":            {"?q=" + w.orders[0]},
		"/complaints":             {"", "?q=unassigned", "?q=today", "?q=soon"},
		"/notifications":          {"", "?account=" + itoa(w.accounts[0]), "?account=" + itoa(w.courier)},
		"/finance/statement":      users,
		"/finance/statement.xlsx": users,
		"/finance/statement.pdf":  users,
		"/finance/ledger":         {"", "?user=" + itoa(w.accounts[0])},
		"/finance/ledger.xlsx":    {"?user=" + itoa(w.accounts[0])},
		"/moderation":             {"", "?state=closed"},
		"/finance/payouts/new":    {"", "?account=" + itoa(w.payee)},
		"/webhooks":               {"", "?account=" + itoa(w.payee)},
		"/lookup/accounts":        {"?target=account&q=Zyqname", "?target=account&kind=courier&q=" + itoa(w.courier), "?target=account&q=931742601"},
		"/admin/audit":            {"", "?record_type=payout", "?record_type=complaint", "?record_type=account"},
	}
}

var routeParamRe = regexp.MustCompile(`:([a-z]+)(<[^>]+>)?`)

// fill returns the concrete paths of a route: its parameters filled from the planted records.
// A route whose parameters it does not know is an error: a new page must say which records it opens.
func fill(w *leakWorld, files []int64, path string) ([]string, bool) {
	ids := func(prefix, suffix string, list []int64) []string {
		var out []string
		for _, id := range list {
			out = append(out, prefix+itoa(id)+suffix)
		}
		return out
	}
	switch path {
	case "/accounts/:id<int>":
		return ids("/accounts/", "", w.accounts), true
	case "/accounts/:id<int>/webhooks":
		return ids("/accounts/", "/webhooks", w.accounts), true
	case "/webhooks/:id<int>":
		return ids("/webhooks/", "", w.webhooks), true
	case "/orders/:number":
		return []string{"/orders/" + w.orders[0], "/orders/" + w.orders[1]}, true
	case "/complaints/:id<int>":
		return ids("/complaints/", "", w.complaints), true
	case "/complaints/:id<int>/complete":
		return ids("/complaints/", "/complete", w.complaints), true
	case "/complaints/:id<int>/files/:file<int>":
		var out []string
		for _, l := range w.letters {
			out = append(out, "/complaints/"+itoa(l[0])+"/files/"+itoa(l[1]))
		}
		return out, true
	case "/notifications/:id<int>":
		return ids("/notifications/", "", w.notices), true
	case "/notifications/caught/:id<int>":
		return ids("/notifications/caught/", "", w.caught), true
	case "/notifications/caught/:id<int>/files/:n<int>": // the decision letters the notices carried
		return ids("/notifications/caught/", "/files/1", w.caught), true
	case "/moderation/:id<int>":
		return ids("/moderation/", "", w.cases), true
	case "/finance/payouts/:id<int>":
		return ids("/finance/payouts/", "", w.payouts), true
	case "/finance/reconciliation/:id<int>":
		return ids("/finance/reconciliation/", "", w.recon), true
	case "/finance/reconciliation/:id<int>/export.xlsx":
		return ids("/finance/reconciliation/", "/export.xlsx", w.recon), true
	case "/news/:id<int>", "/news/:id<int>/progress", "/news/:id<int>/edit":
		return ids("/news/", strings.TrimPrefix(path, "/news/:id<int>"), w.news), true
	case "/admin/jobs/*": // River's own API behind its dashboard: every job's args and errors
		var out []string
		for _, st := range []string{"available", "running", "retryable", "completed", "discarded", "scheduled"} {
			out = append(out, "/admin/jobs/api/jobs?state="+st+"&limit=200")
		}
		return out, true
	case "/admin/staff/:id<int>":
		return ids("/admin/staff/", "", w.staffIDs), true
	case "/files/:id<int>", "/files/:id<int>/progress":
		return ids("/files/", strings.TrimPrefix(path, "/files/:id<int>"), files), true
	}
	if routeParamRe.MatchString(path) || strings.Contains(path, "*") {
		return nil, false
	}
	return []string{path}, true
}

// startFileJobs asks for every generated document the viewer may ask for, as the pages do: the
// orders export, waybills and handover act, and the reconciliation act. Then it waits for them.
func startFileJobs(t *testing.T, env *admintest.Env, v viewer, w *leakWorld, roles []string) []int64 {
	post := func(path string, form url.Values) {
		form.Set("_csrf", v.client.CSRF)
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		r := v.client.Do(req)
		require.Less(t, r.Status, 300, "%s %s: %s", v.name, path, r.Body)
	}
	today := env.Clock.Now().In(env.Config.TZ).Format("2006-01-02")
	if env.Enforcer.Can(roles, rbac.OrdersRead) {
		post("/orders/export", url.Values{"client": {itoa(w.accounts[0])}})
		post("/orders/waybills", url.Values{"n": w.orders, "per_sheet": {"2"}})
		post("/orders/act", url.Values{"courier": {itoa(w.courier)}, "date": {today}})
	}
	if env.Enforcer.Can(roles, rbac.FinanceRead) {
		for _, a := range w.accounts {
			post("/finance/statement/act", url.Values{"user": {itoa(a)}, "from": {"2020-01-01"}, "to": {today}})
		}
	}
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var open int
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT count(*) FROM files WHERE owner_staff_id = $1 AND state IN ('queued', 'running')`, v.id).Scan(&open))
		if open == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%s: generated files did not finish", v.name)
		time.Sleep(200 * time.Millisecond)
	}
	rows, err := env.Pool.Query(ctx, `SELECT id FROM files WHERE owner_staff_id = $1 ORDER BY id`, v.id)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	var failed []string
	require.NoError(t, pgx.BeginFunc(ctx, env.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kind || ': ' || message FROM files WHERE owner_staff_id = $1 AND state = 'failed'`, v.id)
		if err != nil {
			return err
		}
		failed, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}))
	require.Empty(t, failed, "%s: every document was made", v.name)
	return ids
}

// readable turns a response into the text a person would read: HTML unescaped, a workbook's every
// cell, a PDF's text.
func readable(t *testing.T, r admintest.Response) (string, string) {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.Contains(ct, "spreadsheetml"):
		f, err := excelize.OpenReader(strings.NewReader(r.Body))
		require.NoError(t, err)
		var b strings.Builder
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			require.NoError(t, err)
			for _, row := range rows {
				b.WriteString(strings.Join(row, "\t"))
				b.WriteByte('\n')
			}
		}
		return b.String(), "xlsx"
	case strings.Contains(ct, "application/pdf"):
		path := filepath.Join(t.TempDir(), "doc.pdf")
		require.NoError(t, os.WriteFile(path, []byte(r.Body), 0o600))
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out), "pdf"
	}
	return html.UnescapeString(r.Body), "html"
}

// TestLeakDetector plants unique canary values in every personal field of a few accounts, orders
// and complaints, then, for every group with field rules (the demo groups and a custom one), opens
// every GET route of the route table with its ids filled from the planted records, as a page and
// as an htmx fragment, every document the viewer can have made (Excel read back, PDFs through
// pdftotext) and the outbox rows and caught mails about those people; a canary of a field hidden
// or masked for the group must appear nowhere whole. Administrators, who read everything, must
// meet every canary somewhere, so the crawl does reach every field.
func TestLeakDetector(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is needed (apt-get install poppler-utils)")
	}
	env := admintest.New(t)
	startLeakWorkers(t, env)
	w := plant(t, env)
	// A lead's role with phones hidden and names masked; an administrator's role (audit log, staff)
	// with phones and contacts hidden.
	custom := customGroup(t, env, "custom@leak.example", "Leads without phones", "support_lead", map[string]rbac.Mode{
		"account.name": rbac.Masked, "account.phone": rbac.Hidden, "account.email": rbac.Read, "account.birth_date": rbac.Masked,
		"account.passport": rbac.Hidden, "account.card_last4": rbac.Hidden, "account.card_holder": rbac.Masked,
		"order.sender_name": rbac.Masked, "order.sender_phone": rbac.Masked, "order.sender_address": rbac.Hidden,
		"order.recipient_name": rbac.Read, "order.recipient_phone": rbac.Hidden, "order.recipient_address": rbac.Masked, "order.comment": rbac.Hidden,
		"complaint.complainant_birth_date": rbac.Masked, "complaint.complainant_contacts": rbac.Hidden,
	})
	// The case: finance with the phone hidden (the statement PDF and the act printed it).
	customFinance := customGroup(t, env, "custom-finance@leak.example", "Finance without phones", "finance", map[string]rbac.Mode{
		"account.name": rbac.Read, "account.phone": rbac.Hidden, "account.email": rbac.Masked, "account.card_last4": rbac.Masked,
		"account.card_holder": rbac.Hidden,
	})
	customAdmin := customGroup(t, env, "custom-admin@leak.example", "Administrators without phones", "admin", map[string]rbac.Mode{
		"account.name": rbac.Read, "account.phone": rbac.Hidden, "account.email": rbac.Masked, "account.birth_date": rbac.Hidden,
		"account.passport": rbac.Masked, "account.card_last4": rbac.Read, "account.card_holder": rbac.Hidden,
		"order.sender_name": rbac.Read, "order.sender_phone": rbac.Hidden, "order.sender_address": rbac.Read,
		"order.recipient_name": rbac.Hidden, "order.recipient_phone": rbac.Masked, "order.recipient_address": rbac.Hidden, "order.comment": rbac.Read,
		"complaint.complainant_birth_date": rbac.Hidden, "complaint.complainant_contacts": rbac.Masked,
	})
	ctx := context.Background()

	viewers := []struct{ name, email string }{
		{"Administrators", "admin@demo.postdesk"}, {"Support agents", "agent@demo.postdesk"}, {"Support leads", "lead@demo.postdesk"},
		{"Finance", "finance@demo.postdesk"}, {"Editors", "editor@demo.postdesk"}, {"Leads without phones", custom},
		{"Finance without phones", customFinance}, {"Administrators without phones", customAdmin},
	}
	variants := queryVariants(w)
	for _, vv := range viewers {
		v := viewer{name: vv.name, email: vv.email}
		var roles []string
		require.NoError(t, env.Pool.QueryRow(ctx, `SELECT s.id, array_agg(g.role) FROM staff s JOIN staff_group_members m ON m.staff_id = s.id
			JOIN staff_groups g ON g.id = m.group_id WHERE s.email = $1 GROUP BY s.id`, v.email).Scan(&v.id, &roles))
		var err error
		v.view, err = rbac.LoadView(ctx, env.Pool, v.id)
		require.NoError(t, err)
		v.client = env.Login(v.email)
		var hidden []canary
		for _, c := range w.canaries {
			if !v.view.Reads(c.record, c.field) {
				hidden = append(hidden, c)
			}
		}
		full := vv.name == "Administrators"
		if full {
			require.Empty(t, hidden, "administrators read every field")
		} else {
			require.NotEmpty(t, hidden, "%s: a group with rules hides or masks something", v.name)
		}
		files := startFileJobs(t, env, v, w, roles)
		seen := map[string]bool{}
		opened := 0
		for _, r := range env.Server.Routes() {
			if r.Method != http.MethodGet && r.Method != "ALL" {
				continue
			}
			if reason, ok := skipRoutes[r.Path]; ok {
				require.NotEmpty(t, reason)
				continue
			}
			if r.Perm != rbac.Authenticated && !env.Enforcer.Can(roles, r.Perm) {
				continue // the guard refuses it (the route × role test proves that)
			}
			paths, ok := fill(w, files, r.Path)
			if !ok {
				t.Errorf("route %s %s: the leak detector does not know which records to open; add it to fill (or to skipRoutes with the reason it carries no personal data)", r.Method, r.Path)
				continue
			}
			qs := variants[r.Path]
			if qs == nil {
				qs = []string{""}
			}
			for _, p := range paths {
				for _, qv := range qs {
					for _, htmx := range []bool{false, true} {
						req := httptest.NewRequest(http.MethodGet, p+qv, nil)
						if htmx {
							req.Header.Set("HX-Request", "true")
						}
						resp := v.client.Do(req)
						require.Less(t, resp.Status, 500, "%s GET %s: %s", v.name, p+qv, resp.Body)
						opened++
						text, kind := readable(t, resp)
						for _, c := range w.canaries {
							mode := v.view.Mode(c.record, c.field)
							if mode == rbac.Hidden {
								// Hidden is not even masked: the masked form tells the value's tail.
								if m := rbac.ViewOf(map[string]rbac.Mode{c.key(): rbac.Masked}).Apply(c.record, c.field, c.value); strings.Contains(text, m) {
									t.Errorf("%s (hidden) sees %s masked as %q in %s GET %s (htmx %v)", v.name, c.key(), m, kind, p+qv, htmx)
								}
							}
							s := c.found(text)
							if s == "" {
								continue
							}
							seen[c.key()+"="+c.value] = true
							if mode < rbac.Read {
								t.Errorf("%s (%s) sees %s %q whole in %s GET %s (htmx %v)", v.name, mode, c.key(), s, kind, p+qv, htmx)
							}
						}
						if kind != "html" {
							break // a download is the same either way
						}
					}
				}
			}
		}
		t.Logf("%s: %d responses, %d generated files", v.name, opened, len(files))
		require.Greater(t, opened, 10, "%s: the crawl opened the group's pages", v.name)
		if full {
			var missed []string
			for _, c := range w.canaries {
				if !seen[c.key()+"="+c.value] {
					missed = append(missed, c.key()+" "+c.value)
				}
			}
			require.Empty(t, missed, "the crawl never met these canaries: it would not notice their fields leaking")
		}
	}
}

// startLeakWorkers runs River workers for the generated documents.
func startLeakWorkers(t *testing.T, env *admintest.Env) {
	client, err := jobs.New(env.Pool, jobs.Options{Work: true, Workers: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		TZ: env.Config.TZ, Currency: "UAH", Clock: env.Clock.Now, Files: env.Files})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stop, c2 := context.WithTimeout(context.Background(), 10*time.Second)
		defer c2()
		_ = client.Stop(stop)
		cancel()
	})
}
