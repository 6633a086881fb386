package recon

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
)

// Period is a reconciliation period.
type Period struct {
	ID               int64
	StartsAt, EndsAt time.Time
	State            string
	Settings
	ClosedAt                        *time.Time
	ClearingBalance, PendingBalance *int64
	StatementTotal, StatementFees   *int64
	LedgerTotal                     *int64
}

// Closed tells whether the period is read-only.
func (p Period) Closed() bool { return p.State == "closed" }

// closedErr maps the database's refusal on a closed period to the message users see.
func closedErr(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42501" && strings.Contains(pg.Message, "closed") {
		return apperr.New(apperr.Conflict, "recon.period_closed")
	}
	return err
}

// OpenPeriod creates a period [from, to) with its matching settings; periods never overlap.
func OpenPeriod(ctx context.Context, pool *pgxpool.Pool, from, to time.Time, s Settings) (Period, error) {
	if !to.After(from) {
		return Period{}, apperr.InvalidField("ends_at", "recon.period_order")
	}
	if s.Basis != Net {
		s.Basis = Gross
	}
	if s.AmountTolerance < 0 || s.DateToleranceH < 0 {
		return Period{}, apperr.InvalidField("amount_tolerance", "recon.tolerance_negative")
	}
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO recon_periods (starts_at, ends_at, amount_tolerance, date_tolerance_h, basis, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, from.UTC(), to.UTC(), s.AmountTolerance, s.DateToleranceH, s.Basis, actor.StaffID(ctx)).Scan(&id)
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "23P01" {
			return apperr.InvalidField("starts_at", "recon.period_overlaps")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "recon.period_opened", "recon_period", id, nil, map[string]any{"from": from, "to": to, "settings": s})
	})
	if err != nil {
		return Period{}, err
	}
	return GetPeriod(ctx, pool, id)
}

const periodColumns = `id, starts_at, ends_at, state, amount_tolerance, date_tolerance_h, basis, closed_at,
	clearing_balance, pending_balance, statement_total, statement_fees, ledger_total`

func scanPeriod(row pgx.CollectableRow) (Period, error) {
	var p Period
	err := row.Scan(&p.ID, &p.StartsAt, &p.EndsAt, &p.State, &p.AmountTolerance, &p.DateToleranceH, &p.Basis, &p.ClosedAt,
		&p.ClearingBalance, &p.PendingBalance, &p.StatementTotal, &p.StatementFees, &p.LedgerTotal)
	return p, err
}

// GetPeriod returns one period.
func GetPeriod(ctx context.Context, q db.Querier, id int64) (Period, error) {
	rows, err := q.Query(ctx, `SELECT `+periodColumns+` FROM recon_periods WHERE id = $1`, id)
	if err != nil {
		return Period{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPeriod)
	if errors.Is(err, pgx.ErrNoRows) {
		return Period{}, apperr.New(apperr.NotFound, "recon.period_not_found")
	}
	return p, err
}

// Periods lists periods newest first (there are a dozen a year: no paging needed).
func Periods(ctx context.Context, q db.Querier) ([]Period, error) {
	rows, err := q.Query(ctx, `SELECT `+periodColumns+` FROM recon_periods ORDER BY starts_at DESC LIMIT 240`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanPeriod)
}

// StatementLine is a line of a loaded statement, as parsed from the API or a file.
type StatementLine struct {
	No          int32
	Ref         string
	Amount, Fee int64
	Currency    string
	Status      string // the gateway's; only Approved lines moved money and are matched
	At          time.Time
}

// Load stores a statement for the period and matches it against the period's gateway-clearing
// entries, in one transaction: a statement is either wholly loaded and matched or not at all.
// The newest statement is the period's; loading another replaces its results. Uploads and
// fetches go through a job (Queue, QueueFetch); this is the same load for lines in memory.
func Load(ctx context.Context, pool *pgxpool.Pool, periodID int64, source, fileName string, lines []StatementLine) (int64, error) {
	l := &Loader{Pool: pool}
	return l.run(ctx, loadSpec{period: periodID, source: source, fileName: fileName}, &sliceSource{lines: lines}, l.newProgress(0))
}

// Fail marks a statement whose loading failed, with the reason staff see.
func Fail(ctx context.Context, pool *pgxpool.Pool, statementID int64, cause error) error {
	_, err := pool.Exec(ctx, `UPDATE recon_statements SET state = 'failed', error = $2 WHERE id = $1 AND state = 'loading'`, statementID, cause.Error())
	return err
}
