package recon

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/apperr"
)

// Rematch matches the period's current statement again (after late ledger entries, say): its
// lines are loaded once more as a new statement, which becomes the period's, through Load.
func Rematch(ctx context.Context, pool *pgxpool.Pool, periodID int64) (int64, error) {
	st, state, _, err := Statement(ctx, pool, periodID)
	if err != nil {
		return 0, err
	}
	if st == 0 || state != "matched" {
		return 0, apperr.New(apperr.Conflict, "recon.no_statement")
	}
	var source, fileName string
	if err := pool.QueryRow(ctx, `SELECT source, file_name FROM recon_statements WHERE id = $1`, st).Scan(&source, &fileName); err != nil {
		return 0, err
	}
	rows, err := pool.Query(ctx, `SELECT line_no, reference, amount, fee, currency, status, occurred_at FROM recon_lines
		WHERE statement_id = $1 ORDER BY line_no`, st)
	if err != nil {
		return 0, err
	}
	var lines []StatementLine
	var l StatementLine
	if _, err := pgx.ForEachRow(rows, []any{&l.No, &l.Ref, &l.Amount, &l.Fee, &l.Currency, &l.Status, &l.At}, func() error {
		lines = append(lines, l)
		return nil
	}); err != nil {
		return 0, err
	}
	return Load(ctx, pool, periodID, source, fileName, lines)
}
