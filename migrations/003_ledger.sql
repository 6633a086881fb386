-- Double-entry ledger (DOMAIN.md §3): ledger accounts, transfers, their entries, and holds.
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
    -- Kept equal to the sum of the account's entries by ledger_entries_post (never written directly),
    -- so checks lock one row and the trial balance reads one row per account.
    balance          bigint NOT NULL DEFAULT 0,
    allow_negative   boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((owner_account_id IS NULL) = (kind IN ('platform_revenue', 'gateway_clearing', 'payouts_pending', 'promo_expense')))
);
CREATE UNIQUE INDEX ledger_accounts_owner_kind_idx ON ledger_accounts (owner_account_id, kind) WHERE owner_account_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_accounts_platform_kind_idx ON ledger_accounts (kind) WHERE owner_account_id IS NULL;

-- Gateway clearing mirrors money held at the payment gateway and promo expense is where promo credit
-- comes from, so both run negative by design.
INSERT INTO ledger_accounts (kind, allow_negative) VALUES
    ('gateway_clearing', true),
    ('promo_expense', true),
    ('platform_revenue', false),
    ('payouts_pending', false);

CREATE TABLE ledger_transfers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL CHECK (idempotency_key <> '' AND length(idempotency_key) <= 200),
    -- SHA-256 of the request's content: the same key with different content is refused.
    request_hash    bytea NOT NULL,
    reason          text NOT NULL CHECK (reason <> ''),
    -- The sum of the positive entries: how much money moved.
    amount          bigint NOT NULL CHECK (amount > 0),
    -- A penalty may take the debited accounts below zero.
    allow_negative  boolean NOT NULL DEFAULT false,
    order_ref       text,
    complaint_id    bigint,
    payout_id       bigint,
    created_by      bigint REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transfers_idempotency_key_key UNIQUE (idempotency_key)
);
CREATE INDEX ledger_transfers_order_ref_idx ON ledger_transfers (order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX ledger_transfers_complaint_idx ON ledger_transfers (complaint_id) WHERE complaint_id IS NOT NULL;
CREATE INDEX ledger_transfers_payout_idx ON ledger_transfers (payout_id) WHERE payout_id IS NOT NULL;
CREATE INDEX ledger_transfers_reason_idx ON ledger_transfers (reason, created_at);

CREATE TABLE ledger_entries (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id       bigint NOT NULL REFERENCES ledger_transfers (id),
    ledger_account_id bigint NOT NULL REFERENCES ledger_accounts (id),
    amount            bigint NOT NULL CHECK (amount <> 0),
    -- The transfer's time, copied so statements read one index.
    created_at        timestamptz NOT NULL DEFAULT now()
);
-- Statements and the balances page: an account's entries by time; amount and transfer ride along so
-- opening balances are index-only scans.
CREATE INDEX ledger_entries_account_time_idx ON ledger_entries (ledger_account_id, created_at, id) INCLUDE (amount, transfer_id);
CREATE INDEX ledger_entries_transfer_idx ON ledger_entries (transfer_id);
-- The ledger browser without an account filter, newest first.
CREATE INDEX ledger_entries_time_idx ON ledger_entries (created_at, id);

-- Posting: runs once per INSERT statement into ledger_entries, over all the rows it inserted.
-- A transfer's entries come in one statement and must balance; the statement then moves the
-- account balances and refuses to take an account below zero unless it or the transfer allows it.
CREATE FUNCTION ledger_entries_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    WITH n AS (
        SELECT transfer_id, count(*) AS legs, sum(amount) AS net, sum(amount) FILTER (WHERE amount > 0) AS moved
        FROM new_entries GROUP BY transfer_id
    )
    SELECT n.transfer_id INTO bad
    FROM n JOIN ledger_transfers t ON t.id = n.transfer_id
    WHERE n.net <> 0 OR n.legs < 2 OR n.moved <> t.amount
       -- No entries may be added to a transfer posted by an earlier statement.
       OR n.legs <> (SELECT count(*) FROM ledger_entries e WHERE e.transfer_id = n.transfer_id)
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transfer % is not balanced: its entries must sum to zero and be posted together', bad
            USING ERRCODE = 'check_violation';
    END IF;

    WITH d AS (
        SELECT e.ledger_account_id AS id, sum(e.amount) AS delta, bool_and(t.allow_negative) AS penalty
        FROM new_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
        GROUP BY e.ledger_account_id
    ), moved AS (
        UPDATE ledger_accounts a SET balance = a.balance + d.delta
        FROM d WHERE a.id = d.id
        RETURNING a.id, a.balance, a.allow_negative, d.delta, d.penalty
    )
    SELECT id INTO bad FROM moved
    WHERE balance < 0 AND delta < 0 AND NOT allow_negative AND NOT penalty
    LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger account % would go below zero', bad USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entries_post AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_post();

-- Posted transfers and entries are never changed: corrections are new transfers.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
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

-- A ledger account keeps its identity; its balance moves only by posting entries (the posting
-- trigger runs one level down, so pg_trigger_depth() is 0 only for a direct UPDATE); its currency
-- changes only while it has no entries.
CREATE FUNCTION ledger_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.kind, NEW.owner_account_id, NEW.created_at) IS DISTINCT FROM (OLD.id, OLD.kind, OLD.owner_account_id, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger account % cannot change its identity', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.balance <> OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger account % balance moves only by posting entries', OLD.id USING ERRCODE = 'insufficient_privilege';
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
    source_account_id   bigint NOT NULL REFERENCES ledger_accounts (id),
    held_account_id     bigint NOT NULL REFERENCES ledger_accounts (id),
    amount              bigint NOT NULL CHECK (amount > 0),
    state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'captured', 'released')),
    place_transfer_id   bigint NOT NULL UNIQUE REFERENCES ledger_transfers (id),
    resolve_transfer_id bigint UNIQUE REFERENCES ledger_transfers (id),
    order_ref           text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    CONSTRAINT ledger_holds_idempotency_key_key UNIQUE (idempotency_key),
    CHECK (source_account_id <> held_account_id),
    CHECK ((state = 'open') = (resolved_at IS NULL) AND (state = 'open') = (resolve_transfer_id IS NULL))
);
CREATE INDEX ledger_holds_order_ref_idx ON ledger_holds (order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX ledger_holds_open_idx ON ledger_holds (held_account_id) WHERE state = 'open';

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
