package complaints

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/rbac"
)

// demoRules are the demo groups' field rules on complaints: support agents work a complaint
// without seeing the complainant's date of birth; leads and administrators see it.
var demoRules = map[string]map[string]rbac.Mode{
	"Administrators": {"complainant_birth_date": rbac.Edit, "complainant_contacts": rbac.Edit},
	"Support agents": {"complainant_birth_date": rbac.Hidden, "complainant_contacts": rbac.Read},
	"Support leads":  {"complainant_birth_date": rbac.Read, "complainant_contacts": rbac.Read},
	"Finance":        {"complainant_birth_date": rbac.Hidden, "complainant_contacts": rbac.Hidden},
	"Editors":        {"complainant_birth_date": rbac.Hidden, "complainant_contacts": rbac.Hidden},
}

// SeedDemo adds the demo groups' complaint field rules and, once, a few complaints at different
// stages and deadlines, registered by the demo agent.
func SeedDemo(ctx context.Context, pool *pgxpool.Pool, loc *time.Location) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for group, rules := range demoRules {
			var id int64
			if err := tx.QueryRow(ctx, `SELECT id FROM staff_groups WHERE name = $1`, group).Scan(&id); err == pgx.ErrNoRows {
				continue
			} else if err != nil {
				return err
			}
			for field, mode := range rules {
				if _, err := rbac.SetRuleTx(ctx, tx, id, Record, field, mode); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var have bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM complaints)`).Scan(&have); err != nil || have {
		return err
	}
	var agent int64
	var agentName string
	if err := pool.QueryRow(ctx, `SELECT id, name FROM staff WHERE email = 'agent@demo.postdesk'`).Scan(&agent, &agentName); err != nil {
		return nil // no demo staff: nothing to seed
	}
	rows, err := pool.Query(ctx, `(SELECT phone, name FROM accounts WHERE kind = 'client' AND status = 'active' ORDER BY id LIMIT 6)
		UNION ALL (SELECT phone, name FROM accounts WHERE kind = 'courier' AND status = 'active' ORDER BY id LIMIT 6)`)
	if err != nil {
		return err
	}
	type acc struct{ phone, name string }
	var list []acc
	for rows.Next() {
		var a acc
		if err := rows.Scan(&a.phone, &a.name); err != nil {
			return err
		}
		list = append(list, a)
	}
	if rows.Err() != nil || len(list) < 12 {
		return rows.Err()
	}
	actx := actor.With(ctx, &actor.Actor{ID: agent, Email: "agent@demo.postdesk", Name: agentName})
	now := time.Now()
	// Received 16, 13, 10, 5, 2 and 0 days ago: overdue, due today, due soon, and comfortable.
	for i, ago := range []int{16, 15, 13, 10, 5, 0} {
		received := now.AddDate(0, 0, -ago)
		s := &Store{Pool: pool, Loc: loc, Now: func() time.Time { return received }}
		action := received.Add(-26 * time.Hour).In(loc)
		in := Intake{ComplainantName: list[i].name, ComplainantBirth: fmt.Sprintf("19%d-0%d-1%d", 70+i*4, 1+i, i),
			ComplainantLogin: list[i].phone, RespondentLogin: list[6+i].phone, OrderRef: fmt.Sprintf("PD%08d", 100+i),
			ActionDate: action.Format(time.DateOnly), ActionTime: action.Format("15:04"), ActionPlace: "Київ, відділення №" + fmt.Sprint(3+i),
			ActionDetails: "Кур'єр не приїхав у погоджений час і позначив замовлення як доставлене.", Grounds: "Договір доставки, п. 4.2; правила платформи, розд. 7.",
			Demands: []string{"Повернути вартість доставки\nПеревірити дії кур'єра"}}
		if _, err := s.Register(actx, in, nil, 0); err != nil {
			return fmt.Errorf("demo complaint %d: %w", i, err)
		}
	}
	return nil
}
