package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/actor"
	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/audit"
	"github.com/postdesk/postdesk/admin/db"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// personalFields are what deletion removes or replaces; the id, kind, dates and every money and
// order record stay, so the ledger and the orders remain whole (RULES.md §3, §7).
var personalFields = []string{"name", "phone", "email", "birth_date", "passport", "card_last4", "card_token", "card_holder", "consent"}

// OwnBalance is the user's own money the platform still holds for them: available, held and
// deposit. Promo credit is the platform's gift and is never paid out, so it does not count.
func OwnBalance(b ledger.UserBalances) ledger.Minor { return b.Available + b.Held + b.Deposit }

// Deletion is how an account was deleted.
type Deletion struct {
	At   time.Time
	By   string
	Note string
}

// DeletionOf returns the deletion record, or nil while the account lives.
func DeletionOf(ctx context.Context, q db.Querier, account ID) (*Deletion, error) {
	var d Deletion
	err := q.QueryRow(ctx, `SELECT d.deleted_at, coalesce(s.name, ''), d.note FROM account_deletions d
		LEFT JOIN staff s ON s.id = d.deleted_by WHERE d.account_id = $1`, account).Scan(&d.At, &d.By, &d.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return &d, err
}

// OpenOverride tells whether finance has allowed deleting the account despite its balance.
func OpenOverride(ctx context.Context, q db.Querier, account ID) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM account_delete_overrides WHERE account_id = $1 AND used_at IS NULL ORDER BY id DESC LIMIT 1`, account).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// DeleteOverrideTx records a finance officer's permission to delete an account whose balance is
// positive (for instance money that cannot be paid out). The deletion that uses it names it.
func DeleteOverrideTx(ctx context.Context, tx pgx.Tx, account ID, note string) error {
	note = strings.TrimSpace(note)
	if note == "" {
		return apperr.InvalidField("note", "accounts.delete.note_required")
	}
	a := actor.From(ctx)
	if a == nil || a.ID == 0 {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM accounts WHERE id = $1 FOR UPDATE`, account).Scan(&status); errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "accounts.not_found")
	} else if err != nil {
		return err
	}
	if status == "deleted" {
		return apperr.New(apperr.Conflict, "accounts.deleted_refused")
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO account_delete_overrides (account_id, granted_by, note) VALUES ($1, $2, $3) RETURNING id`,
		account, a.ID, note).Scan(&id); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "accounts.delete_override", Record, account, nil, map[string]any{"override_id": id, "note": note})
}

// DeleteTx deletes an account: refused while its own balance is positive, unless finance gave an
// override. Personal data is replaced by a pseudonym, API keys are revoked, undelivered notices
// are dropped and the outbox's copies of the address are erased. The ledger is not touched.
func DeleteTx(ctx context.Context, tx pgx.Tx, account ID, note string) error {
	note = strings.TrimSpace(note)
	if note == "" {
		return apperr.InvalidField("note", "accounts.delete.note_required")
	}
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM accounts WHERE id = $1 FOR UPDATE`, account).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "accounts.not_found")
	}
	if err != nil {
		return err
	}
	if status == "deleted" {
		return apperr.New(apperr.Conflict, "accounts.deleted_refused")
	}
	b, err := ledger.Balances(ctx, tx, ledger.UserID(account))
	if err != nil {
		return err
	}
	own := OwnBalance(b)
	override, err := OpenOverride(ctx, tx, account)
	if err != nil {
		return err
	}
	if own > 0 && override == 0 {
		return &apperr.Error{Code: apperr.Conflict, Message: "accounts.delete.balance_positive", Args: map[string]any{"Balance": own.String()}}
	}
	var by *int64
	if a := actor.From(ctx); a != nil && a.ID != 0 {
		by = &a.ID
	}
	if _, err := tx.Exec(ctx, `
		UPDATE accounts SET name = 'Deleted account #' || id, phone = '+' || lpad(id::text, 15, '0'),
			email = NULL, birth_date = NULL, passport = NULL, card_last4 = NULL, card_token = NULL, card_holder = NULL,
			consent_email = false, consent_sms = false, consent_updated_at = now(), status = 'deleted'
		WHERE id = $1`, account); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE account_id = $1 AND revoked_at IS NULL`, account, by); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `
		UPDATE notifications SET address = '', data = '{}', updated_at = now(),
			status = CASE WHEN status IN ('pending', 'retry') THEN 'skipped' ELSE status END,
			last_error = CASE WHEN status IN ('pending', 'retry') THEN 'account deleted' ELSE last_error END
		WHERE account_id = $1`, account); err != nil {
		return err
	}
	var overrideID *int64
	if override != 0 {
		overrideID = &override
		if _, err := tx.Exec(ctx, `UPDATE account_delete_overrides SET used_at = now() WHERE id = $1`, override); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO account_deletions (account_id, deleted_by, note, balance, override_id) VALUES ($1, $2, $3, $4, $5)`,
		account, by, note, int64(own), overrideID); err != nil {
		return err
	}
	// The audit entry names what was removed, not the values: the log is append-only and must not
	// keep what the deletion erased.
	return audit.Record(ctx, tx, "accounts.delete", Record, account, map[string]any{"status": status},
		map[string]any{"status": "deleted", "removed": personalFields, "balance": own.String(), "override_id": overrideID, "note": note})
}
