package recon

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/money"
)

// Result is one matching outcome as staff see it.
type Result struct {
	ID             int64
	Kind           Kind
	MatchedBy      string
	LineNo         *int32
	Transfer       *int64
	Reference      string
	GatewayAmount  *int64
	LedgerAmount   *int64
	At             *time.Time
	Resolution     string
	Note           string
	Correcting     *int64
	ResolvedByName string
	ResolvedAt     *time.Time
}

// Exception tells whether the result needs a person.
func (r Result) Exception() bool { return r.Kind != Matched }

// Statement is the period's current statement, or zero when none was loaded.
func Statement(ctx context.Context, q db.Querier, periodID int64) (id int64, state, errText string, err error) {
	err = q.QueryRow(ctx, `SELECT id, state, error FROM recon_statements WHERE period_id = $1 ORDER BY id DESC LIMIT 1`, periodID).Scan(&id, &state, &errText)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", "", nil
	}
	return id, state, errText, err
}

// ResultFilter narrows Results; After is the keyset cursor (a result id).
type ResultFilter struct {
	Kind       Kind
	Unresolved bool
	After      int64
	Limit      int
}

const resultColumns = `r.id, r.kind, r.matched_by, r.line_no, r.transfer_id, r.reference, r.gateway_amount, r.ledger_amount, r.occurred_at,
	coalesce(r.resolution, ''), r.resolution_note, r.correcting_transfer, coalesce(s.name, ''), r.resolved_at`

func scanResult(row pgx.CollectableRow) (Result, error) {
	var r Result
	err := row.Scan(&r.ID, &r.Kind, &r.MatchedBy, &r.LineNo, &r.Transfer, &r.Reference, &r.GatewayAmount, &r.LedgerAmount, &r.At,
		&r.Resolution, &r.Note, &r.Correcting, &r.ResolvedByName, &r.ResolvedAt)
	return r, err
}

// Results lists a statement's results in id order, a page at a time; next is 0 on the last page.
func Results(ctx context.Context, q db.Querier, statementID int64, f ResultFilter) ([]Result, int64, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	args := pgx.NamedArgs{"st": statementID, "after": f.After, "limit": f.Limit + 1}
	where := "r.statement_id = @st AND r.id > @after"
	// Within the range of the statement's own ids (its summary, migration 022): in id order the
	// scan starts at the statement's first result, not at the earlier statements' ones.
	var first, last *int64
	if err := q.QueryRow(ctx, `SELECT (summary->>'first')::bigint, (summary->>'last')::bigint FROM recon_statements WHERE id = $1`,
		statementID).Scan(&first, &last); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, err
	}
	if first != nil && last != nil {
		where += " AND r.id > @first AND r.id <= @last"
		args["first"], args["last"] = *first, *last
	}
	if f.Kind != "" {
		where += " AND r.kind = @kind"
		args["kind"] = f.Kind
	}
	if f.Unresolved {
		where += " AND r.kind <> 'matched' AND r.resolution IS NULL"
	}
	rows, err := q.Query(ctx, `SELECT `+resultColumns+` FROM recon_results r LEFT JOIN staff s ON s.id = r.resolved_by
		WHERE `+where+` ORDER BY r.id LIMIT @limit`, args)
	if err != nil {
		return nil, 0, err
	}
	list, err := pgx.CollectRows(rows, scanResult)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(list) > f.Limit {
		list = list[:f.Limit]
		next = list[len(list)-1].ID
	}
	return list, next, nil
}

// Resolution is how a person settles an exception.
type Resolution struct {
	Kind       string // note, transfer, accepted
	Note       string
	Correcting int64 // the correcting ledger transfer, for Kind "transfer"
}

// Resolve settles one exception. The period must be open (the database refuses otherwise too).
func Resolve(ctx context.Context, pool *pgxpool.Pool, resultID int64, r Resolution) error {
	r.Note = strings.TrimSpace(r.Note)
	switch r.Kind {
	case "note":
		if r.Note == "" {
			return apperr.InvalidField("note", "recon.note_required")
		}
	case "transfer":
		if r.Correcting <= 0 {
			return apperr.InvalidField("transfer", "recon.transfer_required")
		}
	case "accepted":
	default:
		return apperr.InvalidField("resolution", "recon.resolution_unknown")
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return resolveTx(ctx, tx, resultID, r) })
}

// resolveTx settles exception resultID inside tx (a correction posts its transfer and resolves
// its exception in one transaction).
func resolveTx(ctx context.Context, tx pgx.Tx, resultID int64, r Resolution) error {
	var kind Kind
	var resolved bool
	var periodState string
	var own, want int64
	err := tx.QueryRow(ctx, `SELECT r.kind, r.resolution IS NOT NULL, p.state, coalesce(r.transfer_id, 0),
				CASE r.kind WHEN 'amount_mismatch' THEN abs(r.gateway_amount - r.ledger_amount)
					ELSE abs(coalesce(r.gateway_amount, r.ledger_amount, 0)) END
			FROM recon_results r
			JOIN recon_statements s ON s.id = r.statement_id JOIN recon_periods p ON p.id = s.period_id
			WHERE r.id = $1 FOR UPDATE OF r`, resultID).Scan(&kind, &resolved, &periodState, &own, &want)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "recon.result_not_found")
	}
	if err != nil {
		return err
	}
	switch {
	case periodState == "closed":
		return apperr.New(apperr.Conflict, "recon.period_closed")
	case kind == Matched:
		return apperr.New(apperr.Conflict, "recon.not_exception")
	case resolved:
		return apperr.New(apperr.Conflict, "recon.already_resolved")
	}
	var correcting *int64
	if r.Kind == "transfer" {
		// The correcting transfer moves exactly the exception's amount (the difference, for
		// an amount mismatch), is not the exception's own transfer, and corrects only this one.
		var amount int64
		var used bool
		err := tx.QueryRow(ctx, `SELECT t.amount, EXISTS (SELECT 1 FROM recon_results u WHERE u.correcting_transfer = t.id)
				FROM ledger_transfers t WHERE t.id = $1`, r.Correcting).Scan(&amount, &used)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return apperr.InvalidField("transfer", "recon.transfer_not_found")
		case err != nil:
			return err
		case used:
			return apperr.InvalidField("transfer", "recon.transfer_used")
		case r.Correcting == own:
			return apperr.InvalidField("transfer", "recon.transfer_own")
		case amount != want:
			e := apperr.InvalidField("transfer", "recon.transfer_amount")
			e.Args = map[string]any{"Want": money.Plain(want), "Got": money.Plain(amount)}
			return e
		}
		correcting = &r.Correcting
	}
	if _, err := tx.Exec(ctx, `UPDATE recon_results SET resolution = $2, resolution_note = $3, correcting_transfer = $4,
			resolved_by = $5, resolved_at = now() WHERE id = $1`, resultID, r.Kind, r.Note, correcting, actor.StaffID(ctx)); err != nil {
		if db.IsUniqueViolation(err, "recon_results_correcting_idx") {
			return apperr.InvalidField("transfer", "recon.transfer_used")
		}
		return closedErr(err)
	}
	return audit.Record(ctx, tx, "recon.resolved", "recon_result", resultID, nil, r)
}

// Summary is a period's status at a glance: counts and amounts by kind.
type Summary struct {
	Count      map[Kind]int
	Gateway    map[Kind]int64
	Ledger     map[Kind]int64
	Unresolved int
	Total      int
}

// Summarise counts a statement's results: by kind from the summary its load kept (migration 022),
// the unresolved ones from the open exceptions' index; a statement loaded before has them counted.
func Summarise(ctx context.Context, q db.Querier, statementID int64) (Summary, error) {
	s := Summary{Count: map[Kind]int{}, Gateway: map[Kind]int64{}, Ledger: map[Kind]int64{}}
	var kept *storedSummary
	if err := q.QueryRow(ctx, `SELECT summary FROM recon_statements WHERE id = $1`, statementID).Scan(&kept); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return s, err
	}
	if kept != nil {
		for k, n := range kept.Count {
			s.Count[k], s.Gateway[k], s.Ledger[k] = n, kept.Gateway[k], kept.Ledger[k]
			s.Total += n
		}
		err := q.QueryRow(ctx, `SELECT count(*) FROM recon_results WHERE statement_id = $1 AND kind <> 'matched' AND resolution IS NULL`,
			statementID).Scan(&s.Unresolved)
		return s, err
	}
	rows, err := q.Query(ctx, `SELECT kind, count(*), coalesce(sum(gateway_amount), 0)::bigint, coalesce(sum(ledger_amount), 0)::bigint,
		count(*) FILTER (WHERE kind <> 'matched' AND resolution IS NULL)
		FROM recon_results WHERE statement_id = $1 GROUP BY kind`, statementID)
	if err != nil {
		return s, err
	}
	var (
		k       Kind
		n, open int
		g, l    int64
	)
	_, err = pgx.ForEachRow(rows, []any{&k, &n, &g, &l, &open}, func() error {
		s.Count[k], s.Gateway[k], s.Ledger[k] = n, g, l
		s.Unresolved += open
		s.Total += n
		return nil
	})
	return s, err
}

// Close closes a period that has ended (by now, the portal's clock) and whose every exception is
// resolved, keeping its closing balances: the gateway-clearing and payouts-pending balances at its
// end, and the statement's and ledger's totals. From then on the ledger refuses postings dated
// inside it (migration 018).
func Close(ctx context.Context, pool *pgxpool.Pool, periodID int64, now time.Time) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		p, err := GetPeriod(ctx, tx, periodID)
		if err != nil {
			return err
		}
		if p.Closed() {
			return apperr.New(apperr.Conflict, "recon.period_closed")
		}
		if now.Before(p.EndsAt) {
			// Postings dated inside it may still come; and it would refuse them once closed.
			return apperr.New(apperr.Conflict, "recon.period_not_ended")
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM recon_periods WHERE id = $1 FOR UPDATE`, periodID); err != nil {
			return err
		}
		st, state, _, err := Statement(ctx, tx, periodID)
		if err != nil {
			return err
		}
		if st == 0 || state != "matched" {
			return apperr.New(apperr.Conflict, "recon.no_statement")
		}
		sum, err := Summarise(ctx, tx, st)
		if err != nil {
			return err
		}
		if sum.Unresolved > 0 {
			e := apperr.New(apperr.Conflict, "recon.unresolved_left")
			e.Args = map[string]any{"Count": sum.Unresolved}
			return e
		}
		plat, err := ledger.Platform(ctx, tx)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE recon_periods SET state = 'closed', closed_at = now(), closed_by = $2,
				clearing_balance = (SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE ledger_account_id = $3 AND created_at < ends_at),
				pending_balance = (SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE ledger_account_id = $4 AND created_at < ends_at),
				statement_total = (SELECT coalesce(sum(amount), 0) FROM recon_lines WHERE statement_id = $5 AND status IN ('', 'Approved')),
				statement_fees = (SELECT coalesce(sum(fee), 0) FROM recon_lines WHERE statement_id = $5 AND status IN ('', 'Approved')),
				ledger_total = (SELECT coalesce(sum(abs(amount)), 0) FROM ledger_entries WHERE ledger_account_id = $3 AND created_at >= starts_at AND created_at < ends_at)
			WHERE id = $1`, periodID, actor.StaffID(ctx), plat.GatewayClearing, plat.PayoutsPending, st)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "recon.period_closed", "recon_period", periodID, nil, nil)
	})
}

// ResultInPeriod tells whether a result belongs to one of the period's statements.
func ResultInPeriod(ctx context.Context, q db.Querier, periodID, resultID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM recon_results r JOIN recon_statements s ON s.id = r.statement_id
		WHERE r.id = $1 AND s.period_id = $2)`, resultID, periodID).Scan(&ok)
	return ok, err
}
