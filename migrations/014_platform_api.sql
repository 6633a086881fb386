-- The platform API for business clients (admin/api, admin/webhooks): more key scopes, the
-- idempotency of order creation, the client's order list by status, and webhooks — endpoints a
-- client registers, and an outbox of signed deliveries written in the transaction of their cause.

ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY[
    'orders:read', 'orders:write', 'complaints:read', 'complaints:write', 'finance:read', 'webhooks:manage']::text[]);

-- POST /api/v1/orders with an Idempotency-Key: the first request inserts the row in the
-- transaction that creates the order; a retry (even a concurrent one, which waits on the row's
-- unique key) finds it and answers with the same order. Keys belong to the client, not to one API key.
CREATE TABLE api_idempotency (
    account_id   bigint NOT NULL REFERENCES accounts (id),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL CHECK (length(request_hash) = 32),
    order_id     bigint REFERENCES orders (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);

-- A client's orders in one status, newest first (GET /api/v1/orders?status=...), by keyset.
CREATE INDEX orders_client_status_created_idx ON orders (client_id, status, created_at, id);

-- Endpoints a client (through the API) or staff (on the account page) register. The secret signs
-- every delivery (Standard Webhooks: whsec_ + base64 of 32 random bytes); after a rotation the
-- previous secret also signs until previous_until, so a receiver can switch without losing any.
CREATE TABLE webhook_endpoints (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts (id),
    url             text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    events          text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY[
                        'order.status_changed', 'complaint.step', 'payout.status_changed']::text[]),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    secret          text NOT NULL CHECK (secret ~ '^whsec_'),
    previous_secret text CHECK (previous_secret ~ '^whsec_'),
    previous_until  timestamptz,
    created_by      bigint REFERENCES staff (id),
    created_by_key  bigint REFERENCES api_keys (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    deleted_at      timestamptz
);
CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id, id) WHERE deleted_at IS NULL;

-- One delivery of one event to one endpoint. msg_id is the webhook-id header: the same for every
-- attempt and a resend, so a receiver can drop duplicates. body is sent byte for byte as signed.
CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    msg_id          text NOT NULL UNIQUE DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', ''),
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoints (id),
    account_id      bigint NOT NULL REFERENCES accounts (id),
    event_type      text NOT NULL,
    cause           text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'retry', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 20),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_code       integer,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_account_idx ON webhook_deliveries (account_id, id DESC);
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (status, id DESC);

CREATE TABLE webhook_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id),
    at          timestamptz NOT NULL DEFAULT now(),
    code        integer,
    ok          boolean NOT NULL,
    error       text NOT NULL DEFAULT '',
    response    text NOT NULL DEFAULT '',
    ms          integer NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

-- webhook_enqueue writes the deliveries of one event to the account's endpoints that want it and
-- queues a River job (kind webhook_deliver, jobs/webhooks.go) for each, in the caller's
-- transaction: a cause that rolls back leaves neither. The rows are River's documented job shape,
-- as its clients for other languages insert them.
CREATE FUNCTION webhook_enqueue(p_account bigint, p_event text, p_cause text, p_data jsonb, p_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH d AS (
        INSERT INTO webhook_deliveries (endpoint_id, account_id, event_type, cause, body)
        SELECT e.id, e.account_id, p_event, p_cause,
               jsonb_build_object('type', p_event, 'timestamp', p_at, 'data', p_data)::text
        FROM webhook_endpoints e
        WHERE e.account_id = p_account AND e.deleted_at IS NULL AND e.disabled_at IS NULL AND p_event = ANY (e.events)
        RETURNING id, max_attempts
    ), j AS (
        INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at)
        SELECT jsonb_build_object('delivery_id', d.id), 'webhook_deliver', d.max_attempts, 1, 'webhooks', 'available', now()
        FROM d
        RETURNING 1
    )
    SELECT count(*) INTO n FROM j;
    IF n > 0 THEN
        PERFORM pg_notify(current_schema() || '.river_insert', '{"queue":"webhooks"}');
    END IF;
END $$;

-- The causes. Order history is written in bulk (imports, the million-order seed's COPY), so its
-- trigger runs once a statement over the new rows; the history row is written after the order's
-- status, so the order reads as the change left it. Only the order's own client hears of it.
CREATE FUNCTION webhooks_order_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE deleted_at IS NULL AND disabled_at IS NULL) THEN
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT o.client_id, o.number, o.waybill, o.external_ref, o.status, n.from_status, n.to_status, n.at
        FROM new_history n JOIN orders o ON o.id = n.order_id
        WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.account_id = o.client_id AND e.deleted_at IS NULL
                      AND e.disabled_at IS NULL AND 'order.status_changed' = ANY (e.events))
        ORDER BY n.id
    LOOP
        PERFORM webhook_enqueue(r.client_id, 'order.status_changed', 'order:' || r.number,
            jsonb_build_object('number', r.number, 'waybill', r.waybill, 'external_ref', r.external_ref,
                               'from', r.from_status, 'to', r.to_status, 'status', r.status, 'at', r.at),
            r.at);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER webhooks_order_status AFTER INSERT ON order_status_history
    REFERENCING NEW TABLE AS new_history FOR EACH STATEMENT EXECUTE FUNCTION webhooks_order_status();

-- The other causes fire at commit (deferred), so they read the record as the whole transaction
-- left it; only the record's own account hears of it.
-- Complaint steps the complainant is told of (not staff's internal notes or the respondent's replies).
CREATE FUNCTION webhooks_complaint_step() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    IF NEW.kind NOT IN ('received', 'acknowledged', 'extended', 'withdrawn', 'partly_withdrawn', 'decided', 'notified', 'closed') THEN
        RETURN NULL;
    END IF;
    SELECT id, number, state, decision_due, outcome, complainant_account_id INTO c FROM complaints WHERE id = NEW.complaint_id;
    IF NOT FOUND OR c.complainant_account_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE account_id = c.complainant_account_id AND deleted_at IS NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_enqueue(c.complainant_account_id, 'complaint.step', 'complaint:' || c.number,
        jsonb_build_object('number', c.number, 'step', NEW.kind, 'state', c.state, 'deadline', c.decision_due,
                           'outcome', c.outcome, 'at', NEW.at),
        NEW.at);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhooks_complaint_step AFTER INSERT ON complaint_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION webhooks_complaint_step();

CREATE FUNCTION webhooks_payout_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE account_id = NEW.account_id AND deleted_at IS NULL) THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_enqueue(NEW.account_id, 'payout.status_changed', 'payout:' || NEW.reference,
        jsonb_build_object('reference', NEW.reference, 'amount', NEW.amount, 'currency', NEW.currency,
                           'card_last4', NEW.card_last4, 'state', NEW.state, 'at', NEW.updated_at),
        NEW.updated_at);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhooks_payout_status AFTER INSERT OR UPDATE OF state ON payouts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION webhooks_payout_status();
