-- Double-entry ledger (DOMAIN.md §3): ledger accounts and their balances, transfers, their entries,
-- and holds. Written by admin/finance/ledger; read by the finance pages.
--
-- Sign convention: an entry's amount is what the account receives (+) or gives (-). A user's
-- available balance is positive when the user has money; gateway_clearing goes negative as money
-- arrives from outside. Every transfer's entries sum to zero, so all balances together sum to zero.

-- The deployment's one currency: settings.currency when set, otherwise UAH. ledger.UseCurrency
-- adopts the configured one at startup while the ledger is still empty.
CREATE FUNCTION ledger_currency() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT value #>> '{}' FROM settings WHERE key = 'currency'), 'UAH')
$$;

CREATE TABLE ledger_accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN (
                         'user_available', 'user_held', 'courier_deposit', 'promo',
                         'platform_revenue', 'gateway_clearing', 'payouts_pending', 'promo_expense')),
    -- The client or courier who owns the account; NULL for the platform's own accounts.
    owner_account_id bigint REFERENCES accounts (id),
    currency         text NOT NULL DEFAULT ledger_currency() CHECK (currency ~ '^[A-Z]{3}$'),
    allow_negative   boolean NOT NULL DEFAULT false,
    -- How many balance rows the account has (see ledger_balances).
    slots            smallint NOT NULL DEFAULT 1 CHECK (slots BETWEEN 1 AND 64),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((owner_account_id IS NULL) = (kind IN ('platform_revenue', 'gateway_clearing', 'payouts_pending', 'promo_expense')))
);
CREATE UNIQUE INDEX ledger_accounts_owner_kind_idx ON ledger_accounts (owner_account_id, kind) WHERE owner_account_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_accounts_platform_kind_idx ON ledger_accounts (kind) WHERE owner_account_id IS NULL;

-- An account's balance is the sum of its rows here. Only ledger_post writes them, in the statement
-- that writes the entries, so they always equal the sum of the account's entries (CheckInvariants
-- verifies it); limits are checked on locked rows and the trial balance never reads entries.
-- A user's account has one row. The platform's accounts take part in every delivery, top-up and
-- payout: one row would queue every such transaction behind the one before it, so they have several
-- and a credit moves one, picked at random. A debit that must not overdraw locks them all.
CREATE TABLE ledger_balances (
    ledger_account_id bigint NOT NULL REFERENCES ledger_accounts (id),
    slot              smallint NOT NULL CHECK (slot >= 0),
    balance           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (ledger_account_id, slot)
);

CREATE FUNCTION ledger_accounts_add_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_balances (ledger_account_id, slot) SELECT NEW.id, s FROM generate_series(0, NEW.slots - 1) s;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_accounts_add_balances AFTER INSERT ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_accounts_add_balances();

-- Gateway clearing mirrors money held at the payment gateway and promo expense is where promo credit
-- comes from, so both run negative by design.
INSERT INTO ledger_accounts (kind, allow_negative, slots) VALUES
    ('gateway_clearing', true, 16),
    ('promo_expense', true, 16),
    ('platform_revenue', false, 16),
    ('payouts_pending', false, 16);

CREATE TABLE ledger_transfers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL CHECK (idempotency_key <> '' AND length(idempotency_key) <= 200),
    -- SHA-256 of the request's content: the same key with different content is refused.
    request_hash    bytea NOT NULL,
    reason          text NOT NULL CHECK (reason <> ''),
    -- The sum of the positive entries: how much money moved.
    amount          bigint NOT NULL CHECK (amount > 0),
    -- How many entries the transfer has (see ledger_entries.leg).
    legs            smallint NOT NULL CHECK (legs >= 2),
    -- A penalty: the debited accounts may go below zero.
    allow_negative  boolean NOT NULL DEFAULT false,
    order_ref       text,
    complaint_id    bigint,
    payout_id       bigint,
    created_by      bigint REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transfers_idempotency_key_key UNIQUE (idempotency_key),
    UNIQUE (id, legs)
);
CREATE INDEX ledger_transfers_order_ref_idx ON ledger_transfers (order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX ledger_transfers_complaint_idx ON ledger_transfers (complaint_id) WHERE complaint_id IS NOT NULL;
CREATE INDEX ledger_transfers_payout_idx ON ledger_transfers (payout_id) WHERE payout_id IS NOT NULL;

CREATE TABLE ledger_entries (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id       bigint NOT NULL,
    -- Entry leg of legs: numbered 1..legs, unique per transfer, with legs taken from the transfer.
    -- Once a transfer is posted every number is used, so nothing can be added to it later.
    leg               smallint NOT NULL,
    legs              smallint NOT NULL,
    -- No foreign key: it would share-lock the platform's account rows in every transfer at once.
    -- Accounts are never deleted, the ledger reads each account before posting to it, and
    -- ledger_transfer_balanced refuses entries of unknown accounts.
    ledger_account_id bigint NOT NULL,
    amount            bigint NOT NULL CHECK (amount <> 0),
    -- The transfer's time, copied so statements read one index.
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (leg BETWEEN 1 AND legs),
    FOREIGN KEY (transfer_id, legs) REFERENCES ledger_transfers (id, legs),
    UNIQUE (transfer_id, leg)
);
-- Statements and the balances page: an account's entries by time; amount and transfer ride along so
-- opening balances are index-only scans.
CREATE INDEX ledger_entries_account_time_idx ON ledger_entries (ledger_account_id, created_at, id) INCLUDE (amount, transfer_id);
-- The ledger browser without an account filter, newest first.
CREATE INDEX ledger_entries_time_idx ON ledger_entries (created_at, id);

-- A transfer commits balanced: all its legs, of known accounts, summing to zero, moving its amount.
-- Checked when the transaction commits, once per transfer.
CREATE FUNCTION ledger_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each account is looked up by its key (a scalar subquery, never a join the planner could turn
    -- into hashing the whole accounts table for every transfer).
    IF NOT coalesce((
        SELECT count(*) = NEW.legs AND sum(e.amount) = 0 AND sum(e.amount) FILTER (WHERE e.amount > 0) = NEW.amount
           AND count((SELECT 1 FROM ledger_accounts a WHERE a.id = e.ledger_account_id)) = count(*)
        FROM ledger_entries e WHERE e.transfer_id = NEW.id), false) THEN
        RAISE EXCEPTION 'ledger transfer % is not balanced: its entries must sum to zero and move its amount', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_transfer_balanced AFTER INSERT ON ledger_transfers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfer_balanced();

-- Posted transfers and entries are never changed: corrections are new transfers.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or removed: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_balances_no_delete BEFORE DELETE ON ledger_balances
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_balances_no_truncate BEFORE TRUNCATE ON ledger_balances
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- A ledger account keeps its identity; its currency changes only while it has no entries.
CREATE FUNCTION ledger_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.kind, NEW.owner_account_id, NEW.allow_negative, NEW.slots, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.kind, OLD.owner_account_id, OLD.allow_negative, OLD.slots, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger account % cannot change what it is', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.currency <> OLD.currency AND EXISTS (SELECT 1 FROM ledger_entries WHERE ledger_account_id = OLD.id) THEN
        RAISE EXCEPTION 'ledger account % has entries: its currency cannot change', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_accounts_guard();

-- A hold is a two-phase movement: placed (source -> held), then resolved exactly once, either
-- captured (held -> destinations) or released (held -> source).
CREATE TABLE ledger_holds (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key     text NOT NULL,
    -- No foreign keys to accounts and transfers: holds are written only by ledger_place_hold and
    -- ledger_resolve_hold, which post the transfers and check every account in the same call, and
    -- foreign keys would share-lock rows that concurrent orders of one courier all touch.
    -- ledger.CheckInvariants verifies that each hold's transfers move its money.
    source_account_id   bigint NOT NULL,
    held_account_id     bigint NOT NULL,
    amount              bigint NOT NULL CHECK (amount > 0),
    state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'captured', 'released')),
    place_transfer_id   bigint NOT NULL,
    resolve_transfer_id bigint,
    order_ref           text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    CONSTRAINT ledger_holds_idempotency_key_key UNIQUE (idempotency_key),
    CHECK (source_account_id <> held_account_id),
    CHECK ((state = 'open') = (resolved_at IS NULL) AND (state = 'open') = (resolve_transfer_id IS NULL))
);
-- Few indexes on purpose: resolving a hold then updates no indexed column and stays a cheap HOT update.

-- The only change a hold accepts is its one resolution: open -> captured or released.
CREATE FUNCTION ledger_holds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'open' THEN
        RAISE EXCEPTION 'ledger hold % is already %', OLD.id, OLD.state USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.state = 'open'
       OR (NEW.id, NEW.idempotency_key, NEW.source_account_id, NEW.held_account_id, NEW.amount,
           NEW.place_transfer_id, NEW.order_ref, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.idempotency_key, OLD.source_account_id, OLD.held_account_id, OLD.amount,
           OLD.place_transfer_id, OLD.order_ref, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger hold % may only be resolved', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_holds_guard BEFORE UPDATE ON ledger_holds
    FOR EACH ROW EXECUTE FUNCTION ledger_holds_guard();
CREATE TRIGGER ledger_holds_no_delete BEFORE DELETE ON ledger_holds
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_holds_no_truncate BEFORE TRUNCATE ON ledger_holds
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Posting. Each write of the ledger is one call, so it costs one round trip inside the caller's
-- transaction; admin/finance/ledger validates requests, computes their hashes and turns an outcome
-- other than 'posted' or 'replayed' into an error. Whatever the outcome, a call that does not post
-- writes nothing.

-- ledger_post moves money: one balanced transfer with its entries and balances.
-- p_purpose: 'transfer' refuses held accounts (held money moves only through holds); 'hold' takes
-- from an available or promo account into a held or deposit account of the same owner; 'resolve'
-- is a hold's capture or release, which pays nothing into a held account.
CREATE FUNCTION ledger_post(
    p_key text, p_hash bytea, p_reason text, p_accounts bigint[], p_amounts bigint[], p_allow_negative boolean,
    p_order_ref text, p_complaint_id bigint, p_payout_id bigint, p_created_by bigint, p_purpose text,
    OUT outcome text, OUT account bigint, OUT transfer bigint, OUT posted_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_hash     bytea;
    v_slot     int := floor(random() * 16384);
    v_slots    smallint[] := '{}';
    v_seen     bigint[] := '{}';
    v_currency text;
    v_owner    bigint;
    r          record;
BEGIN
    -- A known key answers for itself: the same content is a retry, other content a conflict.
    SELECT t.id, t.created_at, t.request_hash INTO transfer, posted_at, v_hash
    FROM ledger_transfers t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        outcome := CASE WHEN v_hash = p_hash THEN 'replayed' ELSE 'key_conflict' END;
        RETURN;
    END IF;

    -- Lock the balance rows in one global order, (account, slot), so that concurrent transfers never
    -- deadlock. A credit takes one row of the account, picked at random, so concurrent deliveries
    -- rarely queue on the platform's revenue; a debit that must not overdraw takes every row.
    PERFORM FROM unnest(p_accounts, p_amounts) AS l(account, amount)
        JOIN ledger_accounts a ON a.id = l.account
        JOIN ledger_balances b ON b.ledger_account_id = a.id
        WHERE b.slot = v_slot % a.slots OR (l.amount < 0 AND NOT a.allow_negative AND NOT p_allow_negative)
        ORDER BY b.ledger_account_id, b.slot
        FOR UPDATE OF b;

    FOR r IN
        SELECT l.account, l.amount, a.id IS NOT NULL AS known, a.kind, a.owner_account_id AS owner, a.currency, a.slots,
            CASE WHEN l.amount < 0 AND NOT a.allow_negative AND NOT p_allow_negative
                 THEN (SELECT sum(b.balance) FROM ledger_balances b WHERE b.ledger_account_id = a.id) END AS balance
        FROM unnest(p_accounts, p_amounts) WITH ORDINALITY AS l(account, amount, n)
        LEFT JOIN ledger_accounts a ON a.id = l.account
        ORDER BY l.n
    LOOP
        account := r.account;
        outcome := CASE
            WHEN NOT r.known THEN 'not_found'
            WHEN r.account = ANY (v_seen) THEN 'duplicate_account'
            WHEN r.currency <> coalesce(v_currency, r.currency) THEN 'currency'
            WHEN p_purpose = 'transfer' AND r.kind IN ('user_held', 'courier_deposit') THEN 'held_direct'
            WHEN p_purpose = 'resolve' AND r.amount > 0 AND r.kind IN ('user_held', 'courier_deposit') THEN 'held_direct'
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

    -- The transfer, its entries and the balances in one statement: together or not at all.
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
    )
    SELECT t.id, t.created_at INTO transfer, posted_at FROM t;
    IF transfer IS NULL THEN
        -- A concurrent transaction posted the key first and has committed: answer as for a known key.
        SELECT t.id, t.created_at, t.request_hash INTO transfer, posted_at, v_hash
        FROM ledger_transfers t WHERE t.idempotency_key = p_key;
        outcome := CASE WHEN v_hash = p_hash THEN 'replayed' ELSE 'key_conflict' END;
        RETURN;
    END IF;
    outcome := 'posted';
END $$;

-- ledger_place_hold moves p_amount aside from p_from to p_to and records the hold under the key.
CREATE FUNCTION ledger_place_hold(
    p_key text, p_hash bytea, p_from bigint, p_to bigint, p_amount bigint, p_reason text,
    p_order_ref text, p_complaint_id bigint, p_payout_id bigint, p_created_by bigint,
    OUT outcome text, OUT account bigint, OUT transfer bigint, OUT posted_at timestamptz, OUT hold ledger_holds)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT p.* INTO outcome, account, transfer, posted_at
    FROM ledger_post(p_key, p_hash, p_reason, ARRAY[p_from, p_to], ARRAY[-p_amount, p_amount], false,
        p_order_ref, p_complaint_id, p_payout_id, p_created_by, 'hold') p;
    IF outcome = 'posted' THEN
        INSERT INTO ledger_holds (idempotency_key, source_account_id, held_account_id, amount, place_transfer_id, order_ref, created_at)
        VALUES (p_key, p_from, p_to, p_amount, transfer, nullif(p_order_ref, ''), posted_at)
        RETURNING * INTO hold;
    ELSIF outcome = 'replayed' THEN
        SELECT * INTO hold FROM ledger_holds h WHERE h.idempotency_key = p_key;
    END IF;
END $$;

-- ledger_resolve_hold captures a hold (to p_to, whole amount) or releases it (back to its source).
-- The transfer's order defaults to the hold's.
CREATE FUNCTION ledger_resolve_hold(
    p_hold bigint, p_state text, p_key text, p_hash bytea, p_reason text, p_to bigint[], p_to_amounts bigint[],
    p_order_ref text, p_complaint_id bigint, p_payout_id bigint, p_created_by bigint,
    OUT outcome text, OUT account bigint, OUT transfer bigint, OUT posted_at timestamptz, OUT hold ledger_holds)
LANGUAGE plpgsql AS $$
BEGIN
    -- Locked first, so two resolutions of one hold queue up and the second sees the first's result.
    SELECT * INTO hold FROM ledger_holds h WHERE h.id = p_hold FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'hold_not_found';
        RETURN;
    END IF;
    IF hold.state <> 'open'
       AND p_key IS DISTINCT FROM (SELECT t.idempotency_key FROM ledger_transfers t WHERE t.id = hold.resolve_transfer_id) THEN
        outcome := 'hold_resolved';
        RETURN;
    END IF;
    IF p_state = 'released' THEN
        p_to := ARRAY[hold.source_account_id];
        p_to_amounts := ARRAY[hold.amount];
    ELSIF (SELECT sum(a) FROM unnest(p_to_amounts) a) IS DISTINCT FROM hold.amount THEN
        outcome := 'capture_amount';
        RETURN;
    END IF;

    SELECT p.* INTO outcome, account, transfer, posted_at
    FROM ledger_post(p_key, p_hash, p_reason, hold.held_account_id || p_to, -hold.amount || p_to_amounts, false,
        coalesce(nullif(p_order_ref, ''), hold.order_ref), p_complaint_id, p_payout_id, p_created_by, 'resolve') p;
    IF hold.state <> 'open' THEN
        RETURN; -- the resolving key again: ledger_post said whether it is the same request
    END IF;
    IF outcome = 'posted' THEN
        UPDATE ledger_holds h SET state = p_state, resolve_transfer_id = transfer, resolved_at = posted_at
        WHERE h.id = p_hold
        RETURNING * INTO hold;
    ELSIF outcome = 'replayed' THEN
        outcome := 'key_conflict'; -- the hold was open, so the key names some other movement
    END IF;
END $$;

-- Their statements take array and row parameters, for which the planner would otherwise plan
-- every call afresh (a custom plan looks cheaper than the generic one); the generic plans are the
-- same index lookups, and planning took longer than running.
ALTER FUNCTION ledger_post SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION ledger_place_hold SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION ledger_resolve_hold SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION ledger_transfer_balanced SET plan_cache_mode = force_generic_plan;
