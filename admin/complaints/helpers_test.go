package complaints

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/testfactory"
)

type fixture struct {
	t                   testing.TB
	pool                *pgxpool.Pool
	store               *Store
	ctx                 context.Context // acting as the agent
	agent, lead         int64
	client, courier     int64
	clientPh, courierPh string
	now                 time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, pool: pool, now: time.Date(2027, 3, 10, 10, 0, 0, 0, loc), clientPh: "+380501112233", courierPh: "+380671112233"}
	f.store = &Store{Pool: pool, Loc: loc, Now: func() time.Time { return f.now }}
	bg := context.Background()
	f.agent = f.staffMember("agent@t.test", "Агент", "support_agent")
	f.lead = f.staffMember("lead@t.test", "Керівниця", "support_lead")
	must(t, pool.QueryRow(bg, `INSERT INTO accounts (kind, name, phone, email, lang) VALUES ('client', 'Олена Клієнтка', $1, 'olena@example.com', 'uk') RETURNING id`, f.clientPh).Scan(&f.client))
	must(t, pool.QueryRow(bg, `INSERT INTO accounts (kind, name, phone, lang) VALUES ('courier', 'Іван Кур''єр', $1, 'uk') RETURNING id`, f.courierPh).Scan(&f.courier))
	f.ctx = actor.With(bg, &actor.Actor{ID: f.agent, Email: "agent@t.test", Name: "Агент"})
	return f
}

func (f *fixture) staffMember(email, name, role string) int64 {
	return testfactory.Staff(context.Background(), f.t, f.pool, testfactory.StaffOpts{Email: email, Name: name, Role: role})
}

func (f *fixture) asLead() context.Context {
	return actor.With(context.Background(), &actor.Actor{ID: f.lead, Email: "lead@t.test", Name: "Керівниця"})
}

func (f *fixture) intake() Intake {
	return Intake{
		ComplainantName: "Олена Клієнтка", ComplainantBirth: "1990-05-17", ComplainantLogin: f.clientPh,
		RespondentLogin: f.courierPh, OrderRef: "PD00000042", ActionDate: "2027-03-08", ActionTime: "14:30",
		ActionPlace: "Київ, вул. Хрещатик, 1", ActionDetails: "Посилку не доставили, позначили доставленою",
		Grounds: "Договір доставки, п. 4.2", Demands: []string{"Повернути вартість доставки\nЗаблокувати кур'єра"},
		ThirdParties: "insurer@example.com",
	}
}

func (f *fixture) register() Registered {
	f.t.Helper()
	r, err := f.store.Register(f.ctx, f.intake(), nil, 0)
	if err != nil {
		f.t.Fatalf("register: %v", err)
	}
	return r
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err is an apperr with the code and message key.
func wantCode(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != code || ae.Message != key {
		t.Fatalf("got %v, want %s %s", err, code, key)
	}
}

// checkStoredDeadlines asserts that every complaint's stored deadlines equal the recomputed ones.
func (f *fixture) checkStoredDeadlines() {
	f.t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT id, decision_due, notice_due, extended, notified_at FROM complaints`)
	must(f.t, err)
	type stored struct {
		id       int64
		decision time.Time
		notice   *time.Time
		extended bool
		notified *time.Time
	}
	var all []stored
	for rows.Next() {
		var s stored
		must(f.t, rows.Scan(&s.id, &s.decision, &s.notice, &s.extended, &s.notified))
		all = append(all, s)
	}
	must(f.t, rows.Err())
	for _, s := range all {
		ev, err := ClockEvents(context.Background(), f.pool, s.id)
		must(f.t, err)
		d := Recompute(ev, f.store.Loc)
		if !d.Decision.Equal(s.decision) || d.Extended != s.extended {
			f.t.Errorf("complaint %d: stored decision deadline %s (extended %v), recomputed %s (%v)", s.id, s.decision, s.extended, d.Decision, d.Extended)
		}
		if (s.notice == nil) != d.Notice.IsZero() || (s.notice != nil && !s.notice.Equal(d.Notice)) {
			f.t.Errorf("complaint %d: stored notice deadline %v, recomputed %s", s.id, s.notice, d.Notice)
		}
		if (s.notified == nil) != d.NotifiedAt.IsZero() || (s.notified != nil && !s.notified.Equal(d.NotifiedAt)) {
			f.t.Errorf("complaint %d: stored notified at %v, recomputed %s", s.id, s.notified, d.NotifiedAt)
		}
	}
}
