package recon

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/finance/ledger"
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
// The newest statement is the period's; loading another replaces its results.
func Load(ctx context.Context, pool *pgxpool.Pool, periodID int64, source, fileName string, lines []StatementLine) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		p, err := GetPeriod(ctx, tx, periodID)
		if err != nil {
			return err
		}
		if p.Closed() {
			return apperr.New(apperr.Conflict, "recon.period_closed")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO recon_statements (period_id, source, file_name, loaded_by) VALUES ($1, $2, $3, $4) RETURNING id`,
			periodID, source, fileName, actor.StaffID(ctx)).Scan(&id); err != nil {
			return closedErr(err)
		}
		return loadInto(ctx, tx, p, id, lines)
	})
	return id, err
}

// LoadInto fills a statement row created earlier (by the page that queued the API fetch).
func LoadInto(ctx context.Context, pool *pgxpool.Pool, statementID int64, lines []StatementLine) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var periodID int64
		if err := tx.QueryRow(ctx, `SELECT period_id FROM recon_statements WHERE id = $1 AND state = 'loading' FOR UPDATE`, statementID).Scan(&periodID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // already loaded by an earlier run of the job
			}
			return err
		}
		p, err := GetPeriod(ctx, tx, periodID)
		if err != nil {
			return err
		}
		return loadInto(ctx, tx, p, statementID, lines)
	})
}

// Fail marks a statement whose loading failed, with the reason staff see.
func Fail(ctx context.Context, pool *pgxpool.Pool, statementID int64, cause error) error {
	_, err := pool.Exec(ctx, `UPDATE recon_statements SET state = 'failed', error = $2 WHERE id = $1 AND state = 'loading'`, statementID, cause.Error())
	return err
}

func loadInto(ctx context.Context, tx pgx.Tx, p Period, statementID int64, in []StatementLine) error {
	var currency string
	if err := tx.QueryRow(ctx, `SELECT ledger_currency()`).Scan(&currency); err != nil {
		return err
	}
	rows := make([][]any, 0, len(in))
	var lines []Line
	for _, l := range in {
		rows = append(rows, []any{statementID, l.No, l.Ref, l.Amount, l.Fee, l.Currency, l.Status, l.At.UTC()})
		if l.Status == "" || strings.EqualFold(l.Status, "Approved") {
			// A line that names no currency is in the deployment's; one that names another never
			// matches the ledger's entries.
			cur := strings.ToUpper(strings.TrimSpace(l.Currency))
			if cur == "" {
				cur = currency
			}
			lines = append(lines, Line{No: l.No, Ref: l.Ref, Amount: l.Amount, Fee: l.Fee, At: l.At.Unix(), Currency: cur})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"recon_lines"},
		[]string{"statement_id", "line_no", "reference", "amount", "fee", "currency", "status", "occurred_at"}, pgx.CopyFromRows(rows)); err != nil {
		return closedErr(err)
	}
	entries, err := clearingEntries(ctx, tx, p.StartsAt, p.EndsAt)
	if err != nil {
		return err
	}
	var results [][]any
	Match(lines, entries, p.Settings, func(pr Pair) {
		var lineNo, transfer, gwAmount, ledgerAmount, ref, at any = nil, nil, nil, nil, "", nil
		if pr.Line >= 0 {
			l := lines[pr.Line]
			lineNo, ref, at = l.No, l.Ref, time.Unix(l.At, 0).UTC()
			gwAmount = l.Amount
			if p.Basis == Net {
				gwAmount = l.Amount - l.Fee
			}
		}
		if pr.Entry >= 0 {
			e := entries[pr.Entry]
			transfer, ledgerAmount = e.Transfer, e.Amount
			if ref == "" {
				ref = e.Ref
			}
			if at == nil {
				at = time.Unix(e.At, 0).UTC()
			}
		}
		by := ""
		if pr.Kind == Matched {
			by = "amount_date"
			if pr.ByReference {
				by = "reference"
			}
		}
		results = append(results, []any{statementID, string(pr.Kind), by, lineNo, transfer, ref, gwAmount, ledgerAmount, at})
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"recon_results"},
		[]string{"statement_id", "kind", "matched_by", "line_no", "transfer_id", "reference", "gateway_amount", "ledger_amount", "occurred_at"},
		pgx.CopyFromRows(results)); err != nil {
		return closedErr(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE recon_statements SET state = 'matched', lines = $2, matched_at = now() WHERE id = $1`, statementID, len(in)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "recon.statement_loaded", "recon_statement", statementID, nil, map[string]any{"period": p.ID, "lines": len(in), "results": len(results)})
}

// clearingEntries reads the period's gateway-clearing entries with the reference each carries: a
// payout's reference, else the transfer's order reference.
func clearingEntries(ctx context.Context, q db.Querier, from, to time.Time) ([]Entry, error) {
	plat, err := ledger.Platform(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `
		SELECT e.transfer_id, coalesce(p.reference, t.order_ref, ''), abs(e.amount), extract(epoch FROM e.created_at)::bigint, a.currency
		FROM ledger_entries e
		JOIN ledger_accounts a ON a.id = e.ledger_account_id
		JOIN ledger_transfers t ON t.id = e.transfer_id
		LEFT JOIN payouts p ON p.id = t.payout_id
		WHERE e.ledger_account_id = $1 AND e.created_at >= $2 AND e.created_at < $3`, plat.GatewayClearing, from, to)
	if err != nil {
		return nil, err
	}
	var out []Entry
	var e Entry
	_, err = pgx.ForEachRow(rows, []any{&e.Transfer, &e.Ref, &e.Amount, &e.At, &e.Currency}, func() error { out = append(out, e); return nil })
	return out, err
}

// FetchArgs loads a statement from the gateway's TRANSACTION_LIST (jobs/recon_fetch.go).
type FetchArgs struct {
	StatementID int64 `json:"statement_id"`
}

func (FetchArgs) Kind() string { return "recon_fetch" }

// RequestFetch creates a statement to be loaded from the gateway's API and queues the job that
// loads it, in one transaction.
func RequestFetch(ctx context.Context, pool *pgxpool.Pool, jobs enqueue.Inserter, periodID int64) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		p, err := GetPeriod(ctx, tx, periodID)
		if err != nil {
			return err
		}
		if p.Closed() {
			return apperr.New(apperr.Conflict, "recon.period_closed")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO recon_statements (period_id, source, loaded_by) VALUES ($1, 'api', $2) RETURNING id`,
			periodID, actor.StaffID(ctx)).Scan(&id); err != nil {
			return closedErr(err)
		}
		if _, err := jobs.InsertTx(ctx, tx, FetchArgs{StatementID: id}, &river.InsertOpts{MaxAttempts: 5}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "recon.fetch_requested", "recon_statement", id, nil, nil)
	})
	return id, err
}

// FetchPeriod is the period of a statement waiting to be fetched.
func FetchPeriod(ctx context.Context, q db.Querier, statementID int64) (Period, error) {
	var periodID int64
	if err := q.QueryRow(ctx, `SELECT period_id FROM recon_statements WHERE id = $1`, statementID).Scan(&periodID); err != nil {
		return Period{}, err
	}
	return GetPeriod(ctx, q, periodID)
}
