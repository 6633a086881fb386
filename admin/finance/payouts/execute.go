package payouts

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/finance/ledger"
	"github.com/postdesk/postdesk/admin/gateway"
)

// Steps of Execute at which a test may stop the worker (Hooks.At).
const (
	StepBeforeCall    = "before_call"    // marked sending, the gateway not called yet
	StepAfterAccepted = "after_accepted" // the gateway answered; nothing stored yet
	StepBeforeStore   = "before_store"   // the result written in the transaction, not committed
)

// Executor pays approved payouts through the gateway.
type Executor struct {
	Pool    *pgxpool.Pool
	Gateway *gateway.Client
	// At, when set, is called at each step; tests use it to kill or stall the worker there.
	At func(ctx context.Context, step string, payoutID int64) error

	mu   sync.Mutex
	plat ledger.PlatformAccounts
}

// ErrPending says the gateway is still processing the payout (or its answer is unknown): the
// caller retries later, and the next attempt asks CHECK_STATUS before anything else.
var ErrPending = errors.New("payouts: gateway result not final yet")

// Execute pays payout id at most once, whatever crashes, retries or concurrent runs happen:
//
//   - The payout's reference is the gateway's order reference, and the gateway refuses a reference
//     it has seen: two workers, or a retry after a lost answer, cannot make a second payment.
//   - Before the call the payout is marked sending, in its own committed transaction. An attempt
//     that finds it already sending asks CHECK_STATUS first and only sends when the gateway has
//     never heard of it.
//   - The result is stored, the ledger moved and the job completed (complete, which the River
//     worker makes river.JobCompleteTx) in one transaction, on the row locked; a second run that
//     gets there later finds the payout final and only completes its job. The ledger transfers have
//     idempotency keys as well.
//
// complete is called inside the final transaction; it may be nil outside River.
func (e *Executor) Execute(ctx context.Context, id int64, complete func(context.Context, pgx.Tx) error) error {
	var p Payout
	var sentBefore, done bool
	err := pgx.BeginFunc(ctx, e.Pool, func(tx pgx.Tx) error {
		var err error
		if p, err = lock(ctx, tx, id); err != nil {
			return err
		}
		switch p.State {
		case Approved:
			_, err = tx.Exec(ctx, `UPDATE payouts SET state = 'sending', attempts = attempts + 1, sent_at = now(), updated_at = now() WHERE id = $1`, id)
			return err
		case Sending:
			sentBefore = true
			_, err = tx.Exec(ctx, `UPDATE payouts SET attempts = attempts + 1, updated_at = now() WHERE id = $1`, id)
			return err
		default:
			// Already final (or not approved): nothing to pay; the job is done.
			done = true
			return callComplete(ctx, tx, complete)
		}
	})
	if err != nil || done {
		return err
	}
	if err := e.at(ctx, StepBeforeCall, id); err != nil {
		return err
	}

	var res gateway.Result
	send := true
	if sentBefore {
		if res, err = e.Gateway.Status(ctx, p.Reference); err != nil {
			return e.noteError(ctx, id, err)
		}
		send = res.ReasonCode == gateway.ReasonNotFound
	}
	if send {
		res, err = e.Gateway.Credit(ctx, p.Reference, gateway.Amount(p.Amount), gateway.Card{Token: p.CardToken},
			"Postdesk payout "+p.Reference)
		if err != nil {
			return e.noteError(ctx, id, err)
		}
	}
	if err := e.at(ctx, StepAfterAccepted, id); err != nil {
		return err
	}
	if !res.Final() {
		_, _ = e.Pool.Exec(ctx, `UPDATE payouts SET gateway_status = $2, gateway_code = $3, gateway_reason = $4, updated_at = now()
			WHERE id = $1 AND state = 'sending'`, id, res.TransactionStatus, res.ReasonCode, res.Reason)
		return ErrPending
	}
	return pgx.BeginFunc(ctx, e.Pool, func(tx pgx.Tx) error {
		before, err := lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.State != Sending {
			// Another run stored the result first.
			return callComplete(ctx, tx, complete)
		}
		if err := e.record(ctx, tx, before, res); err != nil {
			return err
		}
		if err := e.at(ctx, StepBeforeStore, id); err != nil {
			return err
		}
		return callComplete(ctx, tx, complete)
	})
}

// record stores a final result and moves the money: approved → gateway clearing; declined → back
// to the user's available balance, and the user is told.
func (e *Executor) record(ctx context.Context, tx pgx.Tx, p Payout, res gateway.Result) error {
	plat, err := e.platform(ctx, tx)
	if err != nil {
		return err
	}
	state := Paid
	var tr ledger.TransferID
	if res.TransactionStatus == gateway.StatusApproved {
		t, err := ledger.Transfer(ctx, tx, ledger.TransferRequest{Key: paidKey(p.ID), Reason: "payout_paid",
			Legs: ledger.Move(plat.PayoutsPending, plat.GatewayClearing, ledger.Minor(p.Amount)), Links: ledger.Links{PayoutID: p.ID}})
		if err != nil {
			return err
		}
		tr = t.ID
	} else {
		state = Failed
		if tr, err = giveBack(ctx, tx, p, 0); err != nil {
			return err
		}
		if err := tell(ctx, tx, p, "failed", res.Reason); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE payouts SET state = $2, result_transfer = $3, gateway_status = $4, gateway_code = $5,
		gateway_reason = $6, gateway_fee = $7, last_error = '', finished_at = now(), updated_at = now() WHERE id = $1`,
		p.ID, state, tr, res.TransactionStatus, res.ReasonCode, res.Reason, int64(res.Fee)); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "payout."+string(state), "payout", p.ID, map[string]any{"state": p.State},
		map[string]any{"state": state, "gateway_status": res.TransactionStatus, "gateway_code": res.ReasonCode, "transfer": tr})
}

// platform returns the platform's ledger accounts, read once: their ids never change.
func (e *Executor) platform(ctx context.Context, tx pgx.Tx) (ledger.PlatformAccounts, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.plat.GatewayClearing != 0 {
		return e.plat, nil
	}
	p, err := ledger.Platform(ctx, tx)
	if err == nil {
		e.plat = p
	}
	return p, err
}

// noteError keeps the last failure on the payout for staff to see, and returns it for a retry.
func (e *Executor) noteError(ctx context.Context, id int64, cause error) error {
	_, _ = e.Pool.Exec(context.WithoutCancel(ctx), `UPDATE payouts SET last_error = $2, updated_at = now() WHERE id = $1`, id, cause.Error())
	return fmt.Errorf("payout %d: %w", id, cause)
}

func (e *Executor) at(ctx context.Context, step string, id int64) error {
	if e.At == nil {
		return nil
	}
	return e.At(ctx, step, id)
}

func callComplete(ctx context.Context, tx pgx.Tx, complete func(context.Context, pgx.Tx) error) error {
	if complete == nil {
		return nil
	}
	return complete(ctx, tx)
}
