package recon

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// A correction is a correcting transfer finance posts from reconciliation (RULES.md §3.5,
// migrations/024_recon_corrections.sql): between the gateway-clearing account and a party — a
// user's available money, or the platform's revenue for a write-off. Posted from an exception, it
// moves exactly the exception's amount and resolves it; posted for a closed period, it is dated
// in the open one and keeps the period it corrects. Above the threshold a second officer
// approves (maker–checker); both steps are audited.

// Direction is which way a correction moves money.
type Direction string

const (
	ToParty   Direction = "to_party"   // gateway clearing → the party: money the gateway took in that the ledger missed
	FromParty Direction = "from_party" // the party → gateway clearing: money the ledger has that the gateway never had
)

// Party is who stands opposite the gateway-clearing account.
type Party string

const (
	PartyUser    Party = "user"    // a client's or courier's available money
	PartyRevenue Party = "revenue" // the platform's revenue (a write-off or a gain)
)

// CorrectionRequest is what an officer enters.
type CorrectionRequest struct {
	PeriodID  int64
	ResultID  int64 // the exception it resolves; 0 for a correction of a closed period
	Direction Direction
	Party     Party
	AccountID int64 // for PartyUser
	Amount    int64 // ignored for an exception: it moves the exception's amount
	Reason    string
	// Key is the form's idempotency key: the same form submitted twice records one correction.
	Key string
}

// Correction is one correction as staff see it.
type Correction struct {
	ID            int64
	PeriodID      int64
	ResultID      *int64
	Direction     Direction
	Party         Party
	AccountID     *int64
	AccountName   string
	Amount        int64
	Reason        string
	State         string
	NeedsApproval bool
	RequestedBy   int64
	RequestedName string
	RequestedAt   time.Time
	DecidedName   string
	RefuseReason  string
	TransferID    *int64
}

// CorrectionThreshold is the amount above which a second officer approves a correction (settings
// recon.correction_approval_threshold).
func CorrectionThreshold(ctx context.Context, q db.Querier) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT (value #>> '{}')::bigint FROM settings WHERE key = 'recon.correction_approval_threshold'), 500000)`).Scan(&v)
	return v, err
}

// DefaultDirection is the direction an exception's correction usually takes: money the gateway has
// and the ledger lacks goes to the party; money the ledger has and the gateway lacks comes back.
func DefaultDirection(r Result) Direction {
	switch r.Kind {
	case MissingInLedger:
		return ToParty
	case AmountMismatch:
		if r.GatewayAmount != nil && r.LedgerAmount != nil && *r.GatewayAmount > *r.LedgerAmount {
			return ToParty
		}
	}
	return FromParty
}

// RequestCorrection records a correction; at or below the threshold it is posted at once, in the
// same transaction (and resolves its exception).
func RequestCorrection(ctx context.Context, pool *pgxpool.Pool, now time.Time, req CorrectionRequest) (Correction, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Correction{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	req.Reason, req.Key = strings.TrimSpace(req.Reason), strings.TrimSpace(req.Key)
	switch {
	case req.Direction != ToParty && req.Direction != FromParty:
		return Correction{}, apperr.InvalidField("direction", "recon.correction.direction_unknown")
	case req.Party != PartyUser && req.Party != PartyRevenue:
		return Correction{}, apperr.InvalidField("party", "recon.correction.party_unknown")
	case req.Party == PartyUser && req.AccountID <= 0:
		return Correction{}, apperr.InvalidField("account", "recon.correction.account_required")
	case req.ResultID == 0 && req.Amount <= 0:
		return Correction{}, apperr.InvalidField("amount", "recon.correction.amount_positive")
	case req.Reason == "":
		return Correction{}, apperr.InvalidField("reason", "recon.correction.reason_required")
	case len(req.Key) > 200:
		return Correction{}, apperr.InvalidField("", "recon.correction.bad_key")
	}
	if req.Party == PartyRevenue {
		req.AccountID = 0
	}
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if req.Key != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM recon_corrections WHERE requested_by = $1 AND request_key = $2`, a.ID, req.Key).Scan(&id)
			if err == nil {
				return nil // the same form again: the first request stands
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM recon_periods WHERE id = $1`, req.PeriodID).Scan(&state); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.New(apperr.NotFound, "recon.period_not_found")
			}
			return err
		}
		if req.ResultID != 0 {
			want, err := exceptionAmount(ctx, tx, req.PeriodID, req.ResultID)
			if err != nil {
				return err
			}
			req.Amount = want
		} else if state != "closed" {
			// An open period's differences are corrected from its exceptions.
			return apperr.New(apperr.Conflict, "recon.correction.period_open")
		}
		if req.Party == PartyUser {
			var kind string
			err := tx.QueryRow(ctx, `SELECT kind FROM accounts WHERE id = $1 FOR SHARE`, req.AccountID).Scan(&kind)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.InvalidField("account", "recon.correction.account_not_found")
			}
			if err != nil {
				return err
			}
		}
		threshold, err := CorrectionThreshold(ctx, tx)
		if err != nil {
			return err
		}
		needs := req.Amount > threshold
		if err := tx.QueryRow(ctx, `INSERT INTO recon_corrections (period_id, result_id, direction, party, account_id, amount, reason,
				state, needs_approval, request_key, requested_by, requested_at)
			VALUES ($1, nullif($2, 0), $3, $4, nullif($5, 0), $6, $7, 'pending_approval', $8, nullif($9, ''), $10, $11) RETURNING id`,
			req.PeriodID, req.ResultID, req.Direction, req.Party, req.AccountID, req.Amount, req.Reason, needs, req.Key, a.ID, now).Scan(&id); err != nil {
			if db.IsUniqueViolation(err, "recon_corrections_result_idx") {
				return apperr.New(apperr.Conflict, "recon.correction.already_requested")
			}
			return err
		}
		if err := audit.Record(ctx, tx, "recon.correction_requested", "recon_correction", id, nil, req); err != nil {
			return err
		}
		if !needs {
			return postCorrection(ctx, tx, id, a.ID)
		}
		return nil
	})
	if db.IsUniqueViolation(err, "recon_corrections_key_idx") {
		err = pool.QueryRow(ctx, `SELECT id FROM recon_corrections WHERE requested_by = $1 AND request_key = $2`, a.ID, req.Key).Scan(&id)
	}
	if err != nil {
		return Correction{}, err
	}
	return GetCorrection(ctx, pool, id)
}

// exceptionAmount is what a correcting transfer for an open exception of the period must move:
// the difference of an amount mismatch, otherwise the amount on the side that has one.
func exceptionAmount(ctx context.Context, tx pgx.Tx, periodID, resultID int64) (int64, error) {
	var kind Kind
	var resolved bool
	var periodState string
	var want int64
	err := tx.QueryRow(ctx, `SELECT r.kind, r.resolution IS NOT NULL, p.state,
			CASE r.kind WHEN 'amount_mismatch' THEN abs(r.gateway_amount - r.ledger_amount)
				ELSE abs(coalesce(r.gateway_amount, r.ledger_amount, 0)) END
		FROM recon_results r
		JOIN recon_statements s ON s.id = r.statement_id JOIN recon_periods p ON p.id = s.period_id
		WHERE r.id = $1 AND p.id = $2`, resultID, periodID).Scan(&kind, &resolved, &periodState, &want)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, apperr.New(apperr.NotFound, "recon.result_not_found")
	case err != nil:
		return 0, err
	case periodState == "closed":
		return 0, apperr.New(apperr.Conflict, "recon.period_closed")
	case kind == Matched:
		return 0, apperr.New(apperr.Conflict, "recon.not_exception")
	case resolved:
		return 0, apperr.New(apperr.Conflict, "recon.already_resolved")
	case want <= 0:
		return 0, apperr.New(apperr.Conflict, "recon.correction.nothing_to_correct")
	}
	return want, nil
}

// postCorrection moves the money of correction id, marks it posted and resolves its exception
// with the transfer. The transfer's key is the correction's, so it is never posted twice.
func postCorrection(ctx context.Context, tx pgx.Tx, id, by int64) error {
	var (
		c      Correction
		result int64
	)
	var account *int64
	if err := tx.QueryRow(ctx, `SELECT period_id, coalesce(result_id, 0), direction, party, account_id, amount, reason
		FROM recon_corrections WHERE id = $1`, id).Scan(&c.PeriodID, &result, &c.Direction, &c.Party, &account, &c.Amount, &c.Reason); err != nil {
		return err
	}
	plat, err := ledger.Platform(ctx, tx)
	if err != nil {
		return err
	}
	party := plat.Revenue
	if c.Party == PartyUser && account != nil {
		acc, err := ledger.EnsureUserAccounts(ctx, tx, ledger.UserID(*account))
		if err != nil {
			return err
		}
		party = acc.Available
	}
	legs := ledger.Move(plat.GatewayClearing, party, ledger.Minor(c.Amount))
	if c.Direction == FromParty {
		legs = ledger.Move(party, plat.GatewayClearing, ledger.Minor(c.Amount))
	}
	t, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: "recon-correction:" + strconv.FormatInt(id, 10), Reason: "recon_correction",
		Legs: legs, CreatedBy: ledger.StaffID(by),
		// A write-off is the platform's loss: its revenue may go below zero, a user's money may not.
		AllowNegative: c.Party == PartyRevenue})
	if err != nil {
		if ae := (*apperr.Error)(nil); errors.As(err, &ae) && ae.Message == ledger.ErrInsufficient {
			return apperr.New(apperr.Conflict, "recon.correction.insufficient")
		}
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE recon_corrections SET state = 'posted', transfer_id = $2 WHERE id = $1`, id, t.ID); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "recon.correction_posted", "recon_correction", id, nil,
		map[string]any{"transfer": t.ID, "period": c.PeriodID, "amount": c.Amount, "direction": c.Direction}); err != nil {
		return err
	}
	if result == 0 {
		return nil
	}
	return resolveTx(ctx, tx, result, Resolution{Kind: "transfer", Note: c.Reason, Correcting: int64(t.ID)})
}

// DecideCorrection approves (posting the money) or refuses, with a reason, a correction awaiting a
// second officer. The requester can never decide their own.
func DecideCorrection(ctx context.Context, pool *pgxpool.Pool, now time.Time, id int64, approve bool, reason string) (Correction, error) {
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return Correction{}, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return Correction{}, apperr.InvalidField("reason", "recon.correction.reason_required")
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var state string
		var requester int64
		err := tx.QueryRow(ctx, `SELECT state, requested_by FROM recon_corrections WHERE id = $1 FOR UPDATE`, id).Scan(&state, &requester)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "recon.correction.not_found")
		}
		if err != nil {
			return err
		}
		if state != "pending_approval" {
			return apperr.New(apperr.Conflict, "recon.correction.not_pending")
		}
		if requester == a.ID {
			return apperr.New(apperr.Forbidden, "recon.correction.own_request")
		}
		if approve {
			if _, err := tx.Exec(ctx, `UPDATE recon_corrections SET decided_by = $2, decided_at = $3 WHERE id = $1`, id, a.ID, now); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, "recon.correction_approved", "recon_correction", id, nil, nil); err != nil {
				return err
			}
			return postCorrection(ctx, tx, id, a.ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE recon_corrections SET state = 'refused', decided_by = $2, decided_at = $3, refuse_reason = $4
			WHERE id = $1`, id, a.ID, now, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "recon.correction_refused", "recon_correction", id, nil, map[string]any{"reason": reason})
	})
	if err != nil {
		return Correction{}, err
	}
	return GetCorrection(ctx, pool, id)
}

const correctionColumns = `c.id, c.period_id, c.result_id, c.direction, c.party, c.account_id, coalesce(a.name, ''), c.amount, c.reason,
	c.state, c.needs_approval, c.requested_by, rs.name, c.requested_at, coalesce(ds.name, ''), coalesce(c.refuse_reason, ''), c.transfer_id
	FROM recon_corrections c LEFT JOIN accounts a ON a.id = c.account_id JOIN staff rs ON rs.id = c.requested_by
	LEFT JOIN staff ds ON ds.id = c.decided_by`

func scanCorrection(row pgx.CollectableRow) (Correction, error) {
	var c Correction
	err := row.Scan(&c.ID, &c.PeriodID, &c.ResultID, &c.Direction, &c.Party, &c.AccountID, &c.AccountName, &c.Amount, &c.Reason,
		&c.State, &c.NeedsApproval, &c.RequestedBy, &c.RequestedName, &c.RequestedAt, &c.DecidedName, &c.RefuseReason, &c.TransferID)
	return c, err
}

// GetCorrection returns one correction, as the viewer may see it.
func GetCorrection(ctx context.Context, q db.Querier, id int64) (Correction, error) {
	rows, err := q.Query(ctx, `SELECT `+correctionColumns+` WHERE c.id = $1`, id)
	if err != nil {
		return Correction{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCorrection)
	if errors.Is(err, pgx.ErrNoRows) {
		return Correction{}, apperr.New(apperr.NotFound, "recon.correction.not_found")
	}
	c.AccountName = actor.ViewOf(ctx).Apply("account", "name", c.AccountName)
	return c, err
}

// Corrections are the period's corrections, newest first: those of its exceptions and those
// posted after its close.
func Corrections(ctx context.Context, q db.Querier, periodID int64, limit int) ([]Correction, error) {
	rows, err := q.Query(ctx, `SELECT `+correctionColumns+` WHERE c.period_id = $1 ORDER BY c.id DESC LIMIT $2`, periodID, limit)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanCorrection)
	v := actor.ViewOf(ctx)
	for i := range list {
		list[i].AccountName = v.Apply("account", "name", list[i].AccountName)
	}
	return list, err
}
