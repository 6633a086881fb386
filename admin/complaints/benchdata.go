package complaints

// BenchSeedSQL makes 200,000 complaints over the last 120 days for the benchmarks (this package's
// and the mixed workload's in admin/loadtest): a quarter open (deadlines from breached to 16 days
// ahead, some waiting for the respondent), the rest decided and closed; 20 generated agents and the
// demo agent share them, a tenth unassigned.
const BenchSeedSQL = `
		INSERT INTO staff (email, name, password_hash) SELECT 'agent' || g || '@bench.test', 'Agent ' || g, 'x' FROM generate_series(1, 20) g;
		WITH a AS (SELECT array_agg(id ORDER BY id) ids FROM staff WHERE email LIKE '%@bench.test' OR email = 'agent@demo.postdesk'),
		g AS (
			SELECT g, now() - ((g * 7919) % (120 * 24)) * interval '1 hour' AS rec FROM generate_series(1, 200000) g
		), d AS (
			SELECT g, rec, (date_trunc('day', rec AT TIME ZONE 'Europe/Kyiv') + interval '16 days') AT TIME ZONE 'Europe/Kyiv' AS due,
				(g % 3 <> 0 AND rec > now() - interval '45 days') AS open
			FROM g
		)
		INSERT INTO complaints (number, state, source, complainant_name, complainant_login, respondent_login, order_ref,
			received_at, decision_due, notice_due, decided_at, notified_at, outcome, assignee_id)
		SELECT 'B-' || g, CASE WHEN open AND g % 7 = 0 THEN 'waiting' WHEN open THEN 'in_review' ELSE 'closed' END, 'staff',
			'Complainant ' || g, '+38050' || lpad(g::text, 7, '0'), '+38067' || lpad((g % 5000)::text, 7, '0'), 'PD' || lpad(g::text, 8, '0'),
			rec, due,
			CASE WHEN open THEN NULL ELSE (date_trunc('day', (rec + (g % 18) * interval '1 day') AT TIME ZONE 'Europe/Kyiv') + interval '4 days') AT TIME ZONE 'Europe/Kyiv' END,
			CASE WHEN open THEN NULL ELSE rec + (g % 18) * interval '1 day' END,
			CASE WHEN open THEN NULL ELSE rec + (g % 18) * interval '1 day' + (g % 5) * interval '1 day' END,
			CASE WHEN open THEN NULL WHEN g % 2 = 0 THEN 'upheld' ELSE 'rejected' END,
			CASE WHEN g % 10 = 0 THEN NULL ELSE (SELECT ids[1 + g % cardinality(ids)] FROM a) END
		FROM d;
		ANALYZE complaints;`
