-- Finance desk II (DOMAIN.md §3): card payouts through the payment gateway, exactly once, and the
-- reconciliation of the gateway's statements with the ledger, period by period.

-- A payout's reference is its order reference at the gateway: unique forever, so the gateway
-- refuses a second payment under it whatever the worker retries.
CREATE SEQUENCE payouts_reference_seq;

CREATE TABLE payouts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference       text COLLATE "C" NOT NULL UNIQUE
                    DEFAULT 'PO' || lpad(nextval('payouts_reference_seq')::text, 9, '0'),
    account_id      bigint NOT NULL REFERENCES accounts (id),
    amount          bigint NOT NULL CHECK (amount > 0),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The card as it was when the payout was placed: the account's card may change later.
    card_token      text NOT NULL CHECK (card_token <> ''),
    card_last4      text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
    card_holder     text NOT NULL,
    account_holder  text NOT NULL,
    holder_match    boolean NOT NULL,
    override_reason text CHECK (override_reason <> ''),
    state           text NOT NULL CHECK (state IN
                    ('pending_approval', 'approved', 'sending', 'paid', 'failed', 'refused')),
    needs_approval  boolean NOT NULL,
    requested_by    bigint NOT NULL REFERENCES staff (id),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    approved_by     bigint REFERENCES staff (id),
    approved_at     timestamptz,
    refused_by      bigint REFERENCES staff (id),
    refused_at      timestamptz,
    refuse_reason   text,
    place_transfer  bigint REFERENCES ledger_transfers (id), -- set in the transaction that inserts the row
    result_transfer bigint REFERENCES ledger_transfers (id),
    -- What the gateway said last, and how often the job tried.
    gateway_status  text NOT NULL DEFAULT '',
    gateway_code    integer,
    gateway_reason  text NOT NULL DEFAULT '',
    gateway_fee     bigint NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Maker–checker, enforced here as well as in Go: the approver is never the requester.
    CHECK (approved_by IS NULL OR approved_by <> requested_by),
    CHECK (holder_match OR override_reason IS NOT NULL),
    CHECK ((state = 'refused') = (refused_by IS NOT NULL))
);
CREATE INDEX payouts_state_idx ON payouts (state, id DESC);
CREATE INDEX payouts_account_idx ON payouts (account_id, id DESC);
CREATE INDEX payouts_list_idx ON payouts (id DESC);

-- A reconciliation period: [starts_at, ends_at) of gateway-clearing movements. Once closed it is
-- read-only and keeps its closing balances.
CREATE TABLE recon_periods (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    -- Matching settings: tolerances, and whether the statement's amounts are compared gross or
    -- net of the gateway's fee.
    amount_tolerance bigint NOT NULL DEFAULT 0 CHECK (amount_tolerance >= 0),
    date_tolerance_h integer NOT NULL DEFAULT 48 CHECK (date_tolerance_h >= 0),
    basis            text NOT NULL DEFAULT 'gross' CHECK (basis IN ('gross', 'net')),
    created_by       bigint REFERENCES staff (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    closed_by        bigint REFERENCES staff (id),
    closed_at        timestamptz,
    -- Closing balances, kept when the period closes.
    clearing_balance bigint,
    pending_balance  bigint,
    statement_total  bigint,
    statement_fees   bigint,
    ledger_total     bigint,
    CHECK (ends_at > starts_at),
    CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
    EXCLUDE USING gist (tstzrange(starts_at, ends_at) WITH &&)
);

-- One loaded statement of a period (from the API or a file); the newest one is the period's.
CREATE TABLE recon_statements (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id  bigint NOT NULL REFERENCES recon_periods (id),
    source     text NOT NULL CHECK (source IN ('api', 'csv', 'xlsx')),
    file_name  text NOT NULL DEFAULT '',
    state      text NOT NULL DEFAULT 'loading' CHECK (state IN ('loading', 'matched', 'failed')),
    error      text NOT NULL DEFAULT '',
    lines      integer NOT NULL DEFAULT 0,
    loaded_by  bigint REFERENCES staff (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    matched_at timestamptz
);
CREATE INDEX recon_statements_period_idx ON recon_statements (period_id, id DESC);

CREATE TABLE recon_lines (
    statement_id bigint NOT NULL REFERENCES recon_statements (id),
    line_no      integer NOT NULL,
    reference    text COLLATE "C" NOT NULL,
    amount       bigint NOT NULL,
    fee          bigint NOT NULL DEFAULT 0,
    currency     text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (statement_id, line_no)
);

-- The outcome of matching a statement: one row per pair or leftover.
CREATE TABLE recon_results (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    statement_id        bigint NOT NULL REFERENCES recon_statements (id),
    kind                text NOT NULL CHECK (kind IN
                        ('matched', 'missing_in_ledger', 'missing_at_gateway', 'amount_mismatch', 'duplicate')),
    -- How a match was made: by reference, or by amount and date within the tolerances.
    matched_by          text NOT NULL DEFAULT '' CHECK (matched_by IN ('', 'reference', 'amount_date')),
    line_no             integer,
    transfer_id         bigint,
    reference           text COLLATE "C" NOT NULL DEFAULT '',
    gateway_amount      bigint,
    ledger_amount       bigint,
    occurred_at         timestamptz,
    resolution          text CHECK (resolution IN ('note', 'transfer', 'accepted')),
    resolution_note     text NOT NULL DEFAULT '',
    correcting_transfer bigint REFERENCES ledger_transfers (id),
    resolved_by         bigint REFERENCES staff (id),
    resolved_at         timestamptz,
    CHECK ((resolution IS NULL) = (resolved_at IS NULL)),
    CHECK (resolution IS DISTINCT FROM 'transfer' OR correcting_transfer IS NOT NULL),
    CHECK (kind <> 'matched' OR resolution IS NULL)
);
CREATE INDEX recon_results_statement_idx ON recon_results (statement_id, kind, id);
-- Open exceptions, for "can the period close?".
CREATE INDEX recon_results_open_idx ON recon_results (statement_id) WHERE kind <> 'matched' AND resolution IS NULL;

-- A closed period is read-only: its statements, lines and results refuse every change.
CREATE FUNCTION recon_period_of_statement(p_statement bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT p.state FROM recon_statements s JOIN recon_periods p ON p.id = s.period_id WHERE s.id = p_statement
$$;
CREATE FUNCTION recon_refuse_closed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    IF TG_TABLE_NAME = 'recon_statements' THEN
        SELECT state INTO v_state FROM recon_periods WHERE id = coalesce(NEW.period_id, OLD.period_id);
    ELSE
        v_state := recon_period_of_statement(coalesce(NEW.statement_id, OLD.statement_id));
    END IF;
    IF v_state = 'closed' THEN
        RAISE EXCEPTION 'reconciliation period is closed: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER recon_statements_closed BEFORE INSERT OR UPDATE OR DELETE ON recon_statements
    FOR EACH ROW EXECUTE FUNCTION recon_refuse_closed();
CREATE TRIGGER recon_lines_closed BEFORE INSERT OR UPDATE OR DELETE ON recon_lines
    FOR EACH ROW EXECUTE FUNCTION recon_refuse_closed();
CREATE TRIGGER recon_results_closed BEFORE INSERT OR UPDATE OR DELETE ON recon_results
    FOR EACH ROW EXECUTE FUNCTION recon_refuse_closed();

CREATE FUNCTION recon_periods_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'closed' THEN
        RAISE EXCEPTION 'reconciliation period % is closed', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER recon_periods_guard BEFORE UPDATE OR DELETE ON recon_periods
    FOR EACH ROW EXECUTE FUNCTION recon_periods_guard();

INSERT INTO settings (key, value) VALUES ('payouts.approval_threshold', '500000') ON CONFLICT (key) DO NOTHING;

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'finance', 'payouts', 'read'),
    ('p', 'finance', 'payouts', 'request'),
    ('p', 'finance', 'payouts', 'approve'),
    ('p', 'finance', 'payouts', 'override'),
    ('p', 'finance', 'recon', 'read'),
    ('p', 'finance', 'recon', 'edit'),
    ('p', 'finance', 'recon', 'close')
ON CONFLICT DO NOTHING;
