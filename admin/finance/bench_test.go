package finance_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/postdesk/postdesk/admin/db/dbtest"
	"github.com/postdesk/postdesk/admin/finance"
	"github.com/postdesk/postdesk/admin/finance/ledger"
)

// BenchmarkStatement100k builds a client's mutual-settlement statement over 100,000 entries (50,000
// top-ups and 50,000 charges in a year) and renders it both ways the desk serves it: the rows the
// page and Excel show, and the PDF reconciliation act (about 2,000 A4 pages).
//
//	./bin/postdesk pg --fast exec -- go test -run '^$' -bench Statement100k -benchtime 3x ./admin/finance/
func BenchmarkStatement100k(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	var client ledger.UserID
	require.NoError(b, pool.QueryRow(ctx, `INSERT INTO accounts (kind, name, phone) VALUES ('client', 'ТОВ «Бенч»', '+380500000001') RETURNING id`).Scan(&client))
	ua, err := ledger.EnsureUserAccounts(ctx, pool, client)
	require.NoError(b, err)
	p, err := ledger.Platform(ctx, pool)
	require.NoError(b, err)
	start := time.Now().AddDate(-1, 0, 0)
	seed := func(prefix, reason string, from, to ledger.AccountID, offset time.Duration) {
		// Benchmark data only: written in one statement with the ledger's triggers off (superuser).
		require.NoError(b, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `
				WITH t AS (
					INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs, created_at)
					SELECT $1 || ':' || g, '\x00', $2, 1000 + g % 997, 2, $5::timestamptz + $6::interval + g * interval '5 minutes'
					FROM generate_series(1, 50000) g RETURNING id, amount, created_at
				), e AS (
					INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount, created_at)
					SELECT id, 1, 2, $3::bigint, -amount, created_at FROM t UNION ALL SELECT id, 2, 2, $4::bigint, amount, created_at FROM t
				)
				UPDATE ledger_balances b SET balance = b.balance + CASE WHEN b.ledger_account_id = $3::bigint THEN -s.total ELSE s.total END
				FROM (SELECT sum(amount)::bigint AS total FROM t) s
				WHERE b.ledger_account_id IN ($3::bigint, $4::bigint) AND b.slot = 0`,
				prefix, reason, int64(from), int64(to), start, fmt.Sprintf("%d seconds", int(offset.Seconds())))
			return err
		}))
	}
	seed("top", "topup", p.GatewayClearing, ua.Available, 0)
	seed("charge", "order.delivered", ua.Available, p.Revenue, time.Minute)
	_, err = pool.Exec(ctx, `VACUUM ANALYZE ledger_transfers, ledger_entries, ledger_balances`)
	require.NoError(b, err)

	party := finance.Party{ID: int64(client), Name: "ТОВ «Бенч»", Phone: "+380500000001"}
	labels := finance.ActLabels{Title: "Акт звірки взаєморозрахунків", Period: "рік", Platform: "Платформа", Counterparty: "Контрагент",
		Opening: "Сальдо на початок", Closing: "Сальдо на кінець", When: "Коли", Reason: "Підстава", Order: "Замовлення",
		Amount: "Сума", Balance: "Сальдо", Signature: "підпис", Stamp: "М. П.", PageOf: "Сторінка {page} з {pages}"}
	var lines int
	b.Run("statement", func(b *testing.B) {
		for b.Loop() {
			st, err := ledger.Statement(ctx, pool, client, start, time.Now().Add(time.Hour))
			require.NoError(b, err)
			lines = len(st.Lines)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/statement")
	})
	require.Equal(b, 100_000, lines)
	b.Run("statement+pdf", func(b *testing.B) {
		for b.Loop() {
			st, err := ledger.Statement(ctx, pool, client, start, time.Now().Add(time.Hour))
			require.NoError(b, err)
			require.NoError(b, finance.WriteAct(io.Discard, labels, party, st, "UAH"))
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/act")
	})
}
