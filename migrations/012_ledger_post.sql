-- Ledger posting, second form. Migration 003 stays as it landed; this one moves a database built
-- by it to one posting function for every movement (ledger_post: transfers, holds, captures and
-- releases, a hold written in the same statement as its transfer), each write one round trip.
-- The settlement benchmark measured the change at three times the throughput.

-- Entries are keyed by (transfer, leg): an index on id alone would only cost every posting; id
-- stays to order entries in the ledger browser.
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_entries_pkey,
    DROP CONSTRAINT ledger_entries_transfer_id_leg_key,
    ADD PRIMARY KEY (transfer_id, leg);

-- A transfer is written balanced: all its legs, of known accounts, summing to zero, moving its
-- amount, by the statement that inserts it (ledger_post writes both in one). Checked at the end of
-- that statement, once per transfer: an immediate trigger costs less than a deferred one, which
-- measured an eighth of the settlement benchmark's throughput.
DROP TRIGGER ledger_transfer_balanced ON ledger_transfers;
CREATE TRIGGER ledger_transfer_balanced AFTER INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_balanced();

DROP FUNCTION ledger_place_hold(text, bytea, bigint, bigint, bigint, text, text, bigint, bigint, bigint);
DROP FUNCTION ledger_resolve_hold(bigint, text, text, bytea, text, bigint[], bigint[], text, bigint, bigint, bigint);
DROP FUNCTION ledger_post(text, bytea, text, bigint[], bigint[], boolean, text, bigint, bigint, bigint, text);

-- What a known key means: the same content is a retry, other content a conflict. A capture or
-- release whose hold is still open cannot be a retry (its hold would be resolved): the key names
-- some other movement.
CREATE FUNCTION ledger_replay(p_purpose text, p_same boolean, p_hold_state text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_same AND NOT (p_purpose IN ('capture', 'release') AND p_hold_state = 'open')
                THEN 'replayed' ELSE 'key_conflict' END
$$;

-- Posting. Every write of the ledger is one call of ledger_post, so it costs one round trip inside
-- the caller's transaction, and a hold is written in the same statement as its transfer.
-- admin/finance/ledger validates requests, computes their hashes and turns an outcome other than
-- 'posted' or 'replayed' into an error. A call that does not post writes nothing.
--
-- p_purpose says what moves:
--   'transfer' p_accounts/p_amounts, balanced; held accounts refused (held money moves only
--              through holds). p_allow_negative: a penalty, the debited accounts may go below zero.
--   'hold'     a new hold under p_key: -amount from an available or promo account, +amount into a
--              held or deposit account of the same owner.
--   'capture'  hold p_hold's whole amount to p_accounts/p_amounts (positive), never into a held
--              account.
--   'release'  hold p_hold back to its source (p_accounts/p_amounts empty).
-- The transfer's order defaults to the hold's.
CREATE FUNCTION ledger_post(
    p_purpose text, p_key text, p_hash bytea, p_reason text, p_accounts bigint[], p_amounts bigint[],
    p_allow_negative boolean, p_hold bigint, p_order_ref text, p_complaint_id bigint, p_payout_id bigint,
    p_created_by bigint,
    OUT outcome text, OUT account bigint, OUT transfer bigint, OUT posted_at timestamptz, OUT hold ledger_holds)
LANGUAGE plpgsql AS $$
DECLARE
    v_hash     bytea;
    v_total    numeric := 0;
    v_amount   bigint;
    v_slot     int := floor(random() * 16384);
    v_slots    smallint[] := '{}';
    v_seen     bigint[] := '{}';
    v_currency text;
    v_owner    bigint;
    r          record;
BEGIN
    IF p_purpose IN ('capture', 'release') THEN
        -- Locked first, so two resolutions of one hold queue up and the second sees the first's.
        SELECT * INTO hold FROM ledger_holds h WHERE h.id = p_hold FOR UPDATE;
        IF NOT FOUND THEN
            outcome := 'hold_not_found';
            RETURN;
        END IF;
        IF hold.state <> 'open' THEN
            -- Only the request that resolved it may ask again (and is answered below, by its key).
            IF p_key IS DISTINCT FROM (SELECT t.idempotency_key FROM ledger_transfers t WHERE t.id = hold.resolve_transfer_id) THEN
                outcome := 'hold_resolved';
                RETURN;
            END IF;
        END IF;
        IF p_purpose = 'release' THEN
            p_accounts := ARRAY[hold.source_account_id];
            p_amounts := ARRAY[hold.amount];
        END IF;
        FOREACH v_amount IN ARRAY p_amounts LOOP
            v_total := v_total + v_amount;
        END LOOP;
        IF v_total <> hold.amount THEN
            outcome := 'capture_amount';
            RETURN;
        END IF;
        p_accounts := hold.held_account_id || p_accounts;
        p_amounts := -hold.amount || p_amounts;
        p_order_ref := coalesce(nullif(p_order_ref, ''), hold.order_ref);
    END IF;

    -- A known key answers for itself: the same content is a retry, other content a conflict.
    SELECT t.id, t.created_at, t.request_hash INTO transfer, posted_at, v_hash
    FROM ledger_transfers t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        outcome := ledger_replay(p_purpose, v_hash = p_hash, hold.state);
        IF p_purpose = 'hold' THEN
            SELECT * INTO hold FROM ledger_holds h WHERE h.idempotency_key = p_key;
        END IF;
        RETURN;
    END IF;

    -- Lock the balance rows in one global order, (account, slot), so that concurrent transfers never
    -- deadlock; the one-row join takes every lock before the first leg is read. A credit takes one
    -- row of the account, picked at random, so concurrent deliveries rarely queue on the platform's
    -- revenue; a debit that must not overdraw takes every row, and its balance is their sum.
    FOR r IN
        WITH locked AS MATERIALIZED (
            SELECT b.ledger_account_id AS id, b.balance
            FROM unnest(p_accounts, p_amounts) AS l(account, amount)
            JOIN ledger_accounts a ON a.id = l.account
            JOIN ledger_balances b ON b.ledger_account_id = a.id
            WHERE b.slot = v_slot % a.slots OR (l.amount < 0 AND NOT a.allow_negative AND NOT p_allow_negative)
            ORDER BY b.ledger_account_id, b.slot
            FOR UPDATE OF b
        )
        SELECT l.account, l.amount, a.id IS NOT NULL AS known, a.kind, a.owner_account_id AS owner, a.currency, a.slots,
            CASE WHEN l.amount < 0 AND NOT a.allow_negative AND NOT p_allow_negative
                 THEN (SELECT sum(k.balance) FROM locked k WHERE k.id = l.account) END AS balance
        FROM (SELECT count(*) FROM locked) AS all_locked,
            unnest(p_accounts, p_amounts) WITH ORDINALITY AS l(account, amount, n)
            LEFT JOIN ledger_accounts a ON a.id = l.account
        ORDER BY l.n
    LOOP
        account := r.account;
        outcome := CASE
            WHEN NOT r.known THEN 'not_found'
            WHEN r.account = ANY (v_seen) THEN 'duplicate_account'
            WHEN r.currency <> coalesce(v_currency, r.currency) THEN 'currency'
            WHEN p_purpose = 'transfer' AND r.kind IN ('user_held', 'courier_deposit') THEN 'held_direct'
            WHEN p_purpose = 'capture' AND r.amount > 0 AND r.kind IN ('user_held', 'courier_deposit') THEN 'held_direct'
            WHEN p_purpose = 'hold' AND (r.owner <> coalesce(v_owner, r.owner)
                OR (r.amount < 0 AND r.kind NOT IN ('user_available', 'promo'))
                OR (r.amount > 0 AND r.kind NOT IN ('user_held', 'courier_deposit'))) THEN 'hold_accounts'
            -- A credit is never refused: an account negative by a penalty can still be topped up.
            WHEN r.balance + r.amount < 0 THEN 'insufficient'
        END;
        IF outcome IS NOT NULL THEN
            RETURN;
        END IF;
        v_seen := v_seen || r.account;
        v_currency := r.currency;
        v_owner := r.owner;
        v_slots := v_slots || (v_slot % r.slots)::smallint;
    END LOOP;
    account := NULL;

    -- The transfer, its entries, the balances and the hold in one statement: together or not at all.
    WITH t AS (
        INSERT INTO ledger_transfers (idempotency_key, request_hash, reason, amount, legs, allow_negative,
            order_ref, complaint_id, payout_id, created_by)
        SELECT p_key, p_hash, p_reason, sum(a) FILTER (WHERE a > 0), cardinality(p_accounts), p_allow_negative,
            nullif(p_order_ref, ''), nullif(p_complaint_id, 0), nullif(p_payout_id, 0), nullif(p_created_by, 0)
        FROM unnest(p_amounts) a
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id, legs, created_at
    ), legs AS (
        SELECT * FROM unnest(p_accounts, p_amounts, v_slots) WITH ORDINALITY AS l(account, amount, slot, n)
    ), entries AS (
        INSERT INTO ledger_entries (transfer_id, leg, legs, ledger_account_id, amount, created_at)
        SELECT t.id, legs.n, t.legs, legs.account, legs.amount, t.created_at FROM t, legs
    ), balances AS (
        UPDATE ledger_balances b SET balance = b.balance + legs.amount
        FROM t, legs WHERE b.ledger_account_id = legs.account AND b.slot = legs.slot
    ), placed AS (
        INSERT INTO ledger_holds (idempotency_key, source_account_id, held_account_id, amount, place_transfer_id, order_ref, created_at)
        SELECT p_key, p_accounts[1], p_accounts[2], p_amounts[2], t.id, nullif(p_order_ref, ''), t.created_at
        FROM t WHERE p_purpose = 'hold'
        RETURNING *
    ), resolved AS (
        UPDATE ledger_holds h SET state = CASE p_purpose WHEN 'capture' THEN 'captured' ELSE 'released' END,
            resolve_transfer_id = t.id, resolved_at = t.created_at
        FROM t WHERE h.id = p_hold AND p_purpose IN ('capture', 'release')
        RETURNING h.*
    )
    SELECT t.id, t.created_at, coalesce((SELECT pl::ledger_holds FROM placed pl), (SELECT rs::ledger_holds FROM resolved rs)) AS hold
    INTO r
    FROM t;
    IF NOT FOUND THEN
        -- A concurrent transaction posted the key first and has committed: answer as for a known key.
        SELECT t.id, t.created_at, t.request_hash INTO transfer, posted_at, v_hash
        FROM ledger_transfers t WHERE t.idempotency_key = p_key;
        outcome := ledger_replay(p_purpose, v_hash = p_hash, hold.state);
        IF p_purpose = 'hold' THEN
            SELECT * INTO hold FROM ledger_holds h WHERE h.idempotency_key = p_key;
        END IF;
        RETURN;
    END IF;
    transfer := r.id;
    posted_at := r.created_at;
    hold := r.hold;
    outcome := 'posted';
END $$;

-- Its statements take array and row parameters, for which the planner would otherwise plan every
-- call afresh (a custom plan looks cheaper than the generic one); the generic plans are the same
-- index lookups, and planning took longer than running. A generic plan is kept for the life of
-- the connection, so it must not depend on how big the tables were when it was made: a plan made
-- while ledger_holds was nearly empty scanned it whole for every capture ever after. Every
-- statement here finds its rows by a key, so sequential scans are ruled out.
ALTER FUNCTION ledger_post SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION ledger_post SET enable_seqscan = off;
ALTER FUNCTION ledger_transfer_balanced SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION ledger_transfer_balanced SET enable_seqscan = off;
