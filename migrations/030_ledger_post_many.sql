-- Posting many movements in one call (issue 15: the ledger at the machine's limit). ledger_post
-- costs one call per transfer, and most of a call is the executor starting its statements and the
-- triggers firing for one row: an order's event posts up to three transfers, and a batch of
-- events (admin/finance/settle.Batch) many more. ledger_post_many writes them all with one
-- statement per table, each request keeping its own idempotency key, hash and outcome.
--
-- It posts all of the requests or none. When any would not simply post — its key is known (a
-- retry or a conflict), its hold is not open, it would overdraw, or it breaks a rule ledger_post
-- checks — it writes nothing and returns no rows, and the caller posts the requests one by one
-- through ledger_post, which answers each exactly. Requests are numbered 1..n in the order given;
-- legs name their request (p_leg_req) and come in leg order. A capture's legs are its
-- destinations (the held account comes first, as in ledger_post); a release has none.
CREATE FUNCTION ledger_post_many(
    p_purpose text[], p_key text[], p_hash bytea[], p_reason text[], p_allow_negative boolean[],
    p_hold bigint[], p_order_ref text[], p_complaint_id bigint[], p_payout_id bigint[], p_created_by bigint[],
    p_leg_req int[], p_leg_account bigint[], p_leg_amount bigint[])
RETURNS TABLE (n int, transfer bigint, posted_at timestamptz, hold ledger_holds)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
-- Its plans are generic and kept for the connection's life (as ledger_post's): every join with a
-- ledger table also names the keys it may touch (x.id = ANY (...)), so that no plan, whatever
-- the tables' statistics were when it was made, reads more of a table than the batch's rows.
#variable_conflict use_column
DECLARE
    v_count int := cardinality(p_key);
    v_slot  int := floor(random() * 16384);
    v_req   int[];
    v_leg   int[];
    v_acc   bigint[];
    v_amt   bigint[];
    v_slots smallint[];
    v_rows  int;
BEGIN
    IF v_count IS NULL OR v_count = 0 THEN
        RETURN;
    END IF;
    -- Every key new and distinct; every hold named once.
    IF EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.idempotency_key = ANY (p_key))
        OR (SELECT count(DISTINCT k) FROM unnest(p_key) k) <> v_count
        OR (SELECT count(DISTINCT h) <> count(h) FROM unnest(p_hold) h WHERE h <> 0) THEN
        RETURN;
    END IF;

    -- The holds to resolve, locked first in one order (as ledger_post locks its one), open, and a
    -- capture taking the whole amount.
    PERFORM 1 FROM ledger_holds h WHERE h.id = ANY (p_hold) ORDER BY h.id FOR UPDATE;
    IF EXISTS (
        SELECT 1 FROM unnest(p_purpose, p_hold) WITH ORDINALITY r(purpose, hold, i)
        LEFT JOIN ledger_holds h ON h.id = r.hold AND h.id = ANY (p_hold)
        WHERE r.purpose IN ('capture', 'release') AND (h.id IS NULL OR h.state <> 'open'
            OR (r.purpose = 'capture' AND h.amount IS DISTINCT FROM
                (SELECT sum(l.amount) FROM unnest(p_leg_req, p_leg_amount) l(req, amount) WHERE l.req = r.i)))) THEN
        RETURN;
    END IF;

    -- Every request's legs in order: a resolved hold's held account first, a release's source.
    SELECT array_agg(l.req ORDER BY l.req, l.pos), array_agg(l.account ORDER BY l.req, l.pos),
        array_agg(l.amount ORDER BY l.req, l.pos)
    INTO v_req, v_acc, v_amt
    FROM (
        SELECT r.i::int AS req, 0::bigint AS pos, h.held_account_id AS account, -h.amount AS amount
        FROM unnest(p_purpose, p_hold) WITH ORDINALITY r(purpose, hold, i)
        JOIN ledger_holds h ON h.id = r.hold AND h.id = ANY (p_hold)
        WHERE r.purpose IN ('capture', 'release')
        UNION ALL
        SELECT r.i::int, 1, h.source_account_id, h.amount
        FROM unnest(p_purpose, p_hold) WITH ORDINALITY r(purpose, hold, i)
        JOIN ledger_holds h ON h.id = r.hold AND h.id = ANY (p_hold)
        WHERE r.purpose = 'release'
        UNION ALL
        SELECT l.req, l.pos, l.account, l.amount
        FROM unnest(p_leg_req, p_leg_account, p_leg_amount) WITH ORDINALITY l(req, account, amount, pos)
    ) l;
    SELECT array_agg(l.n ORDER BY l.k) INTO v_leg
    FROM (SELECT k, row_number() OVER (PARTITION BY req ORDER BY k)::int AS n
          FROM unnest(v_req) WITH ORDINALITY u(req, k)) l;

    -- The rules ledger_post checks, for every request at once: known accounts, none twice in a
    -- request, one currency, held money only through holds, a hold between one owner's available
    -- (or promo) and held (or deposit) accounts, at least two legs each.
    IF EXISTS (
        SELECT 1
        FROM unnest(v_req, v_acc, v_amt) l(req, account, amount)
        LEFT JOIN ledger_accounts a ON a.id = l.account AND a.id = ANY (v_acc)
        WHERE a.id IS NULL
           OR (p_purpose[l.req] = 'transfer' AND a.kind IN ('user_held', 'courier_deposit'))
           OR (p_purpose[l.req] = 'capture' AND l.amount > 0 AND a.kind IN ('user_held', 'courier_deposit'))
           OR (p_purpose[l.req] = 'hold' AND ((l.amount < 0 AND a.kind NOT IN ('user_available', 'promo'))
               OR (l.amount > 0 AND a.kind NOT IN ('user_held', 'courier_deposit'))))
        UNION ALL
        SELECT 1
        FROM unnest(v_req, v_acc) l(req, account) JOIN ledger_accounts a ON a.id = l.account AND a.id = ANY (v_acc)
        GROUP BY l.req
        HAVING count(DISTINCT l.account) <> count(*) OR count(DISTINCT a.currency) <> 1 OR count(*) < 2
            OR (p_purpose[l.req] = 'hold' AND (count(*) <> 2 OR count(DISTINCT a.owner_account_id) <> 1))
        UNION ALL
        SELECT 1 FROM generate_series(1, v_count) r(i) WHERE r.i <> ALL (v_req)) THEN
        RETURN;
    END IF;

    -- Lock the balance rows in ledger_post's global order, (account, slot), in one statement: a
    -- credit takes one row of the account, a debit that must not overdraw takes them all.
    SELECT array_agg((v_slot % a.slots)::smallint ORDER BY l.k) INTO v_slots
    FROM unnest(v_acc) WITH ORDINALITY l(account, k) JOIN ledger_accounts a ON a.id = l.account AND a.id = ANY (v_acc);
    PERFORM 1 FROM ledger_balances b
    WHERE b.ledger_account_id = ANY (v_acc) AND (b.ledger_account_id, b.slot) IN (
        SELECT l.account, l.slot FROM unnest(v_acc, v_slots) l(account, slot)
        UNION
        SELECT b2.ledger_account_id, b2.slot
        FROM unnest(v_req, v_acc, v_amt) l(req, account, amount)
        JOIN ledger_accounts a ON a.id = l.account AND a.id = ANY (v_acc)
        JOIN ledger_balances b2 ON b2.ledger_account_id = l.account AND b2.ledger_account_id = ANY (v_acc)
        WHERE l.amount < 0 AND NOT a.allow_negative AND NOT p_allow_negative[l.req])
    ORDER BY b.ledger_account_id, b.slot
    FOR UPDATE;

    -- No account that must not overdraw goes below zero at any of its debits, the requests taken
    -- in order (a credit of an earlier request counts, as it would one by one).
    IF EXISTS (
        SELECT 1 FROM (
            SELECT l.amount, l.req, a.allow_negative OR p_allow_negative[l.req] AS free,
                (SELECT sum(b.balance) FROM ledger_balances b WHERE b.ledger_account_id = l.account)
                    + sum(l.amount) OVER (PARTITION BY l.account ORDER BY l.k) AS after
            FROM unnest(v_req, v_acc, v_amt) WITH ORDINALITY l(req, account, amount, k)
            JOIN ledger_accounts a ON a.id = l.account AND a.id = ANY (v_acc)
        ) s
        WHERE s.amount < 0 AND NOT s.free AND s.after < 0) THEN
        RETURN;
    END IF;

    -- The transfers, their entries, the balances and the holds in one statement.
    RETURN QUERY
    WITH legs AS (
        SELECT * FROM unnest(v_req, v_leg, v_acc, v_amt, v_slots) l(req, leg, account, amount, slot)
    ), sums AS (
        SELECT req, count(*)::int AS legs, sum(amount) FILTER (WHERE amount > 0) AS amount,
            (array_agg(account ORDER BY leg))[1] AS first, (array_agg(account ORDER BY leg))[2] AS second
        FROM legs GROUP BY req
    ), reqs AS (
        SELECT r.i::int AS i, r.purpose, r.key, r.hash, r.reason, r.allow_negative, r.hold,
            nullif(coalesce(nullif(r.order_ref, ''), h.order_ref), '') AS order_ref,
            nullif(r.complaint_id, 0) AS complaint_id, nullif(r.payout_id, 0) AS payout_id,
            nullif(r.created_by, 0) AS created_by, s.legs, s.amount, s.first, s.second
        FROM unnest(p_purpose, p_key, p_hash, p_reason, p_allow_negative, p_hold, p_order_ref, p_complaint_id,
                p_payout_id, p_created_by) WITH ORDINALITY
            r(purpose, key, hash, reason, allow_negative, hold, order_ref, complaint_id, payout_id, created_by, i)
        JOIN sums s ON s.req = r.i
        LEFT JOIN ledger_holds h ON h.id = r.hold AND h.id = ANY (p_hold) AND r.purpose IN ('capture', 'release')
    ), t AS (
        INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs, allow_negative,
            order_ref, complaint_id, payout_id, created_by)
        SELECT key, hash, reason, amount, legs, allow_negative, order_ref, complaint_id, payout_id, created_by
        FROM reqs ORDER BY i
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id, idempotency_key, created_at
    ), posted AS (
        SELECT t.id, t.created_at, reqs.* FROM t JOIN reqs ON reqs.key = t.idempotency_key
    ), entries AS (
        INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount, created_at)
        SELECT p.id, legs.leg, p.legs, legs.account, legs.amount, p.created_at
        FROM posted p JOIN legs ON legs.req = p.i
    ), balances AS (
        UPDATE ledger_balances b SET balance = b.balance + d.delta
        FROM (SELECT legs.account, legs.slot, sum(legs.amount) AS delta
              FROM posted p JOIN legs ON legs.req = p.i GROUP BY 1, 2) d
        WHERE b.ledger_account_id = d.account AND b.slot = d.slot AND b.ledger_account_id = ANY (v_acc)
    ), placed AS (
        INSERT INTO ledger_holds (idempotency_key, source_account_id, held_account_id, amount, place_transfer_id, order_ref, created_at)
        SELECT p.key, p.first, p.second, p.amount, p.id, p.order_ref, p.created_at
        FROM posted p WHERE p.purpose = 'hold'
        RETURNING *
    ), resolved AS (
        UPDATE ledger_holds h SET state = CASE p.purpose WHEN 'capture' THEN 'captured' ELSE 'released' END,
            resolve_transfer_id = p.id, resolved_at = p.created_at
        FROM posted p WHERE h.id = p.hold AND h.id = ANY (p_hold) AND p.purpose IN ('capture', 'release')
        RETURNING h.*
    )
    SELECT p.i, p.id, p.created_at,
        CASE WHEN pl.id IS NOT NULL THEN pl::ledger_holds WHEN rs.id IS NOT NULL THEN rs::ledger_holds END
    FROM posted p
    LEFT JOIN placed pl ON pl.idempotency_key = p.key
    LEFT JOIN resolved rs ON rs.id = p.hold AND p.purpose IN ('capture', 'release')
    ORDER BY p.i;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows <> v_count THEN
        -- Another transaction posted one of the keys since the check above and has committed:
        -- nothing of this call may stand. The caller's transaction runs again and finds the key.
        RAISE EXCEPTION 'ledger: a key of this batch was posted concurrently'
            USING ERRCODE = 'serialization_failure';
    END IF;
END $$;

-- The state of many orders for a batch of their events (admin/finance/settle.Batch), as
-- settle_order_state reads one's: the orders locked in id order, so that two batches never wait
-- for each other in a circle.
CREATE FUNCTION settle_orders_state(p_orders bigint[]) RETURNS TABLE (
    id bigint, number text, status text, client_id bigint, courier_id bigint, cost bigint, declared_value bigint,
    weight_grams integer, commission_bp bigint, no_promo boolean, client_hold_id bigint, deposit_hold_id bigint,
    promo_hold_id bigint, client_avail bigint, client_held bigint, courier_avail bigint, courier_deposit bigint,
    courier_promo bigint, revenue bigint, client_hold_state text, deposit_hold_state text, deposit_hold_amount bigint,
    promo_hold_state text, promo_hold_amount bigint, promo_balance bigint, rate integer, client_limit bigint,
    courier_limit bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT o.id, o.number, o.status, o.client_id, o.courier_id, o.cost, o.declared_value, o.weight_grams,
        m.commission_bp::bigint, m.no_promo, m.client_hold_id, m.deposit_hold_id, m.promo_hold_id,
        ca.avail, ca.held, ka.avail, ka.deposit, ka.promo, rev.id,
        (SELECT h.state FROM ledger_holds h WHERE h.id = m.client_hold_id),
        (SELECT h.state FROM ledger_holds h WHERE h.id = m.deposit_hold_id),
        (SELECT h.amount FROM ledger_holds h WHERE h.id = m.deposit_hold_id),
        (SELECT h.state FROM ledger_holds h WHERE h.id = m.promo_hold_id),
        (SELECT h.amount FROM ledger_holds h WHERE h.id = m.promo_hold_id),
        (SELECT sum(b.balance)::bigint FROM ledger_balances b WHERE b.ledger_account_id = ka.promo),
        (SELECT (s.value)::int FROM settings s WHERE s.key = 'commission_bp'),
        (SELECT a.balance_limit FROM accounts a WHERE a.id = o.client_id),
        (SELECT a.balance_limit FROM accounts a WHERE a.id = o.courier_id)
    FROM orders o
    LEFT JOIN order_money m ON m.order_id = o.id AND m.order_id = ANY (p_orders)
    LEFT JOIN LATERAL (
        SELECT max(la.id) FILTER (WHERE la.kind = 'user_available') AS avail, max(la.id) FILTER (WHERE la.kind = 'user_held') AS held
        FROM ledger_accounts la WHERE la.owner_account_id = o.client_id) ca ON true
    LEFT JOIN LATERAL (
        SELECT max(la.id) FILTER (WHERE la.kind = 'user_available') AS avail, max(la.id) FILTER (WHERE la.kind = 'courier_deposit') AS deposit,
            max(la.id) FILTER (WHERE la.kind = 'promo') AS promo
        FROM ledger_accounts la WHERE la.owner_account_id = o.courier_id) ka ON true
    CROSS JOIN (SELECT la.id FROM ledger_accounts la WHERE la.owner_account_id IS NULL AND la.kind = 'platform_revenue') rev
    WHERE o.id = ANY (p_orders)
    ORDER BY o.id
    FOR UPDATE OF o;
END $$;

-- One definition of an order's money state: the single order's function reads it through the
-- batch's.
CREATE OR REPLACE FUNCTION settle_order_state(p_order bigint) RETURNS TABLE (
    id bigint, number text, status text, client_id bigint, courier_id bigint, cost bigint, declared_value bigint,
    weight_grams integer, commission_bp bigint, no_promo boolean, client_hold_id bigint, deposit_hold_id bigint,
    promo_hold_id bigint, client_avail bigint, client_held bigint, courier_avail bigint, courier_deposit bigint,
    courier_promo bigint, revenue bigint, client_hold_state text, deposit_hold_state text, deposit_hold_amount bigint,
    promo_hold_state text, promo_hold_amount bigint, promo_balance bigint, rate integer, client_limit bigint,
    courier_limit bigint)
LANGUAGE sql
AS $$ SELECT * FROM settle_orders_state(ARRAY[p_order]) $$;
