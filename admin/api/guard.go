package api

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postdesk/postdesk/admin/apperr"
	"github.com/postdesk/postdesk/admin/db"
)

// Failed authentications an address may make in a window before all its requests are refused for
// the rest of the window.
const (
	maxAuthFailures   = 30
	authFailureWindow = 10 * time.Minute
)

// refusedAddress tells whether address has used up its failed authentications, and until when.
func refusedAddress(ctx context.Context, q db.Querier, address string) (time.Time, bool, error) {
	var until time.Time
	err := q.QueryRow(ctx, `SELECT window_start + $3 * interval '1 second' FROM api_auth_failures
		WHERE address = $1 AND failures >= $2 AND window_start > now() - $3 * interval '1 second'`,
		address, maxAuthFailures, authFailureWindow.Seconds()).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	return until, err == nil, err
}

// countAuthFailure adds one failed authentication for address, starting a new window when the
// last one has ended.
func countAuthFailure(ctx context.Context, q db.Querier, address string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO api_auth_failures AS f (address, failures, window_start) VALUES ($1, 1, now())
		ON CONFLICT (address) DO UPDATE SET
			failures = CASE WHEN f.window_start > now() - $2 * interval '1 second' THEN f.failures + 1 ELSE 1 END,
			window_start = CASE WHEN f.window_start > now() - $2 * interval '1 second' THEN f.window_start ELSE now() END`,
		address, authFailureWindow.Seconds())
	return err
}

// errAddressRefused is the answer to an address that has failed too often.
func errAddressRefused() error { return apperr.New(apperr.TooMany, "api.address_refused") }
