package rbac

import (
	"context"
	"errors"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jackc/pgx/v5/pgxpool"
)

// adapter reads the policy from the casbin_rule table. Writes go through Postdesk's own store
// (GrantTx/RevokeTx) so they share the transaction with the audit entry, so Casbin's own
// write path is not used.
type adapter struct{ pool *pgxpool.Pool }

func (a *adapter) LoadPolicy(m model.Model) error {
	rows, err := a.pool.Query(context.Background(),
		`SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rule ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v [7]string
		if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
			return err
		}
		line := v[:]
		for len(line) > 1 && line[len(line)-1] == "" {
			line = line[:len(line)-1]
		}
		if err := persist.LoadPolicyArray(line, m); err != nil {
			return err
		}
	}
	return rows.Err()
}

var errReadOnly = errors.New("rbac: policy changes go through GrantTx/RevokeTx")

func (a *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (a *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (a *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
