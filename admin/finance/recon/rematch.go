package recon

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/enqueue"
	"github.com/postdesk/postdesk/admin/files"
	"github.com/postdesk/postdesk/admin/i18n"
)

// Matching again (after late ledger entries, say) loads the period's current statement's lines
// once more as a new statement, which becomes the period's: a job (QueueRematch) streams them from
// the old statement through the same load as an upload.

type statementRef struct {
	id               int64
	source, fileName string
	lines            int
}

func currentStatement(ctx context.Context, pool *pgxpool.Pool, periodID int64) (statementRef, error) {
	st, state, _, err := Statement(ctx, pool, periodID)
	if err != nil {
		return statementRef{}, err
	}
	if st == 0 || state != "matched" {
		return statementRef{}, apperr.New(apperr.Conflict, "recon.no_statement")
	}
	r := statementRef{id: st}
	err = pool.QueryRow(ctx, `SELECT source, file_name, lines FROM recon_statements WHERE id = $1`, st).Scan(&r.source, &r.fileName, &r.lines)
	return r, err
}

// QueueRematch queues matching the period's current statement again.
func QueueRematch(ctx context.Context, pool *pgxpool.Pool, store *files.Store, jobs enqueue.Inserter, periodID int64, name string) (int64, error) {
	if err := checkLoadable(ctx, pool, periodID); err != nil {
		return 0, err
	}
	prev, err := currentStatement(ctx, pool, periodID)
	if err != nil {
		return 0, err
	}
	staff := actor.StaffID(ctx)
	var owner int64
	if staff != nil {
		owner = *staff
	}
	args := LoadArgs{From: prev.id, PeriodID: periodID, Source: prev.source, Name: prev.fileName, StaffID: owner, Lang: i18n.Lang(ctx)}
	return store.Enqueue(ctx, jobs, files.Job{Owner: owner, Kind: KindLoad, RecordType: "recon_period", RecordID: fmt.Sprint(periodID), Name: name},
		func(id int64) river.JobArgs {
			args.FileID = id
			return args
		})
}

// rematch loads statement prev's lines again as a new statement of the period.
func (l *Loader) rematch(ctx context.Context, periodID int64, prev statementRef, p *progress) (int64, error) {
	// Read on a connection of its own while the load's transaction writes on another.
	rows, err := l.Pool.Query(ctx, `SELECT line_no, reference, amount, fee, currency, status, occurred_at FROM recon_lines
		WHERE statement_id = $1 ORDER BY line_no`, prev.id)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	return l.run(ctx, loadSpec{period: periodID, source: prev.source, fileName: prev.fileName}, &rowsSource{rows: rows, total: prev.lines}, p)
}

// rowsSource reads a stored statement's lines.
type rowsSource struct {
	rows  pgx.Rows
	total int
	n     int
	cur   StatementLine
	fault error
}

func (s *rowsSource) next() bool {
	if s.fault != nil || !s.rows.Next() {
		if s.fault == nil {
			s.fault = s.rows.Err()
		}
		return false
	}
	l := &s.cur
	if err := s.rows.Scan(&l.No, &l.Ref, &l.Amount, &l.Fee, &l.Currency, &l.Status, &l.At); err != nil {
		s.fault = err
		return false
	}
	s.n++
	return true
}

func (s *rowsSource) line() StatementLine { return s.cur }
func (s *rowsSource) err() error          { return s.fault }
func (s *rowsSource) estimate() int       { return s.total }
func (s *rowsSource) done() int           { return s.n * 100 / max(s.total, 1) }
