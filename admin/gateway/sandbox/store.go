package sandbox

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/gateway"
)

// The sandbox's records in PostgreSQL (Options.Pool). The primary key (merchant, ref) is what
// makes a reused order reference a duplicate, across restarts and across processes.

const paymentColumns = `ref, amount, fee, currency, card, status, reason_code, reason, transaction_type, created, processed_at, settle_at`

func scanPayment(row pgx.CollectableRow) (Payment, error) {
	var p Payment
	var amount, fee int64
	err := row.Scan(&p.Ref, &amount, &fee, &p.Currency, &p.Card, &p.Status, &p.ReasonCode, &p.Reason, &p.TransactionTyp,
		&p.Created, &p.ProcessedAt, &p.settleAt)
	p.Amount, p.Fee = gateway.Amount(amount), gateway.Amount(fee)
	p.Created, p.ProcessedAt, p.settleAt = p.Created.UTC(), p.ProcessedAt.UTC(), p.settleAt.UTC()
	return p, err
}

// dbInsert stores p unless its reference is taken; it tells whether it stored it.
func (s *Server) dbInsert(ctx context.Context, p *Payment) error {
	_, err := s.insert(ctx, p)
	return err
}

func (s *Server) insert(ctx context.Context, p *Payment) (bool, error) {
	tag, err := s.opts.Pool.Exec(ctx, `INSERT INTO gateway_sandbox_payments (merchant, `+paymentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (merchant, ref) DO NOTHING`,
		s.opts.Merchant, p.Ref, int64(p.Amount), int64(p.Fee), p.Currency, p.Card, p.Status, p.ReasonCode, p.Reason,
		p.TransactionTyp, p.Created, p.ProcessedAt, p.settleAt)
	return tag.RowsAffected() == 1, err
}

// dbGet reads one payment, settling it first when its processing time has passed.
func (s *Server) dbGet(ctx context.Context, ref string) (Payment, bool, error) {
	rows, err := s.opts.Pool.Query(ctx, `SELECT `+paymentColumns+` FROM gateway_sandbox_payments WHERE merchant = $1 AND ref = $2`,
		s.opts.Merchant, ref)
	if err != nil {
		return Payment{}, false, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPayment)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, false, err
	}
	return p, true, s.dbSettle(ctx, &p)
}

// dbSettle finishes an in-processing payment whose time has come, in memory and in its row.
func (s *Server) dbSettle(ctx context.Context, p *Payment) error {
	if p.Status != gateway.StatusInProcessing {
		return nil
	}
	s.settle(p)
	if p.Status == gateway.StatusInProcessing {
		return nil
	}
	_, err := s.opts.Pool.Exec(ctx, `UPDATE gateway_sandbox_payments SET status = $3, reason_code = $4, reason = $5, processed_at = $6
		WHERE merchant = $1 AND ref = $2 AND status = 'InProcessing'`, s.opts.Merchant, p.Ref, p.Status, p.ReasonCode, p.Reason, p.ProcessedAt)
	return err
}

// dbList returns the payments created in [from, to] (all when both are zero), oldest first.
func (s *Server) dbList(ctx context.Context, from, to time.Time) ([]Payment, error) {
	q := `SELECT ` + paymentColumns + ` FROM gateway_sandbox_payments WHERE merchant = $1`
	args := []any{s.opts.Merchant}
	if !from.IsZero() || !to.IsZero() {
		q += ` AND created >= $2 AND created < $3`
		args = append(args, from, to.Add(time.Second))
	}
	rows, err := s.opts.Pool.Query(ctx, q+` ORDER BY created, ref`, args...)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanPayment)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if err := s.dbSettle(ctx, &list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// dbCredit is P2P_CREDIT against the table. When the database fails the answer goes out unsigned,
// which the client treats as "result unknown" (it asks CHECK_STATUS before anything else).
func (s *Server) dbCredit(req gateway.Request) gateway.Result {
	ctx := context.Background()
	card := req.CardBeneficiary
	if card == "" {
		card = req.Rec2Token
	}
	if req.OrderReference == "" || req.Amount <= 0 || card == "" {
		if _, found, err := s.dbGet(ctx, req.OrderReference); err != nil || !found {
			return s.signResult(gateway.Result{OrderReference: req.OrderReference, Amount: req.Amount, Currency: req.Currency,
				TransactionStatus: gateway.StatusDeclined, ReasonCode: gateway.ReasonInvalidCard, Reason: "Invalid request"})
		}
	}
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	status, code, reason := Outcome(card)
	p := &Payment{Ref: req.OrderReference, Amount: req.Amount, Currency: req.Currency, Card: card,
		Status: status, ReasonCode: code, Reason: reason, Created: now, ProcessedAt: now,
		settleAt: now.Add(s.opts.Processing), TransactionTyp: gateway.TypeP2PCredit}
	if status != gateway.StatusDeclined {
		p.Fee = gateway.Amount((int64(req.Amount)*s.opts.FeeBP + 5000) / 10000)
	}
	stored, err := s.insert(ctx, p)
	if err != nil {
		slog.Error("gateway sandbox: credit", "ref", req.OrderReference, "err", err)
		return gateway.Result{OrderReference: req.OrderReference}
	}
	if stored {
		s.accepted++
		return s.signResult(s.resultOf(p))
	}
	// A reused reference pays nothing; the answer is the first payment's status.
	first, _, err := s.dbGet(ctx, req.OrderReference)
	if err != nil {
		slog.Error("gateway sandbox: credit", "ref", req.OrderReference, "err", err)
		return gateway.Result{OrderReference: req.OrderReference}
	}
	res := s.resultOf(&first)
	res.ReasonCode, res.Reason = gateway.ReasonDuplicate, "Duplicate Order ID"
	return s.signResult(res)
}
