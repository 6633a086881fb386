package accounts

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/money"
	"github.com/postdesk/postdesk/views/accountsv"
)

// The account page's reads of other desks' tables (handlers hold no SQL).

// Standing reads the account's rating (points of 100) and balance limit (nil: none).
func Standing(ctx context.Context, q db.Querier, id ID) (int, *int64, error) {
	var rating int
	var limit *int64
	err := q.QueryRow(ctx, `SELECT rating, balance_limit FROM accounts WHERE id = $1`, id).Scan(&rating, &limit)
	return rating, limit, err
}

// recentOrders are the account's latest orders as client or courier (the orders desk's table).
func recentOrders(ctx context.Context, q db.Querier, id ID, currency string) ([]accountsv.OrderRow, error) {
	rows, err := q.Query(ctx, `
		SELECT number, status, cost, CASE WHEN client_id = $1 THEN 'client' ELSE 'courier' END, created_at FROM (
			(SELECT number, status, cost, client_id, created_at, id FROM orders WHERE client_id = $1 ORDER BY created_at DESC, id DESC LIMIT 10)
			UNION ALL
			(SELECT number, status, cost, client_id, created_at, id FROM orders WHERE courier_id = $1 ORDER BY created_at DESC, id DESC LIMIT 10)
		) o ORDER BY created_at DESC, id DESC LIMIT 10`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (accountsv.OrderRow, error) {
		var o accountsv.OrderRow
		var cost int64
		err := row.Scan(&o.Number, &o.Status, &cost, &o.Role, &o.CreatedAt)
		o.Cost = money.Show(ctx, cost, currency)
		return o, err
	})
}

// accountFiles are the attachments on the account (the shared files table).
func accountFiles(ctx context.Context, q db.Querier, id ID) ([]accountsv.FileRow, error) {
	rows, err := q.Query(ctx, `SELECT id, name, size FROM files WHERE record_type = 'account' AND record_id = $1 AND state = 'done' ORDER BY id DESC LIMIT 50`, itoa(id))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (accountsv.FileRow, error) {
		var f accountsv.FileRow
		err := row.Scan(&f.ID, &f.Name, &f.Size)
		return f, err
	})
}

// accountComplaints are the complaints the account filed or answers (the complaints desk's table).
func accountComplaints(ctx context.Context, q db.Querier, id ID) ([]accountsv.ComplaintRow, error) {
	rows, err := q.Query(ctx, `
		SELECT id, number, state, CASE WHEN complainant_account_id = $1 THEN 'complainant' ELSE 'respondent' END, received_at, decision_due FROM (
			(SELECT id, number, state, complainant_account_id, received_at, decision_due FROM complaints
				WHERE complainant_account_id = $1 ORDER BY received_at DESC, id DESC LIMIT 10)
			UNION -- an account on both sides of one complaint shows it once
			(SELECT id, number, state, complainant_account_id, received_at, decision_due FROM complaints
				WHERE respondent_account_id = $1 ORDER BY received_at DESC, id DESC LIMIT 10)
		) c ORDER BY received_at DESC, id DESC LIMIT 10`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (accountsv.ComplaintRow, error) {
		var r accountsv.ComplaintRow
		err := row.Scan(&r.ID, &r.Number, &r.State, &r.Role, &r.ReceivedAt, &r.DecisionDue)
		return r, err
	})
}
