-- Finance desk I (DOMAIN.md §3): the order money rules (admin/finance/settle), the moderation desk
-- (admin/moderation) and the finance settings. The ledger itself is migration 003.

-- What an order's money rules were when its client's money was first held: the commission rate is
-- snapshotted here, so finance changing the rate applies to new orders only. The hold ids say which
-- of the order's money is still set aside (a hold resolves once; ledger_holds keeps its state).
CREATE TABLE order_money (
    order_id       bigint PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    -- Platform commission in basis points of the order's cost (1000 = 10 %).
    commission_bp  integer NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    -- The order may not be secured with promo credit.
    no_promo       boolean NOT NULL DEFAULT false,
    client_hold_id bigint,
    deposit_hold_id bigint,
    promo_hold_id  bigint,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Commission rate finance edits (settings page, audited).
INSERT INTO settings (key, value) VALUES ('commission_bp', '1000') ON CONFLICT DO NOTHING;

-- The sweep looks for orders still on the road past their expected time.
CREATE INDEX orders_undelivered_expected_idx ON orders (expected_at, id)
    WHERE status IN ('deal', 'picked_up') AND expected_at IS NOT NULL;

-- A moderation case: why an order is in moderation, what staff found and how it ended.
CREATE TABLE moderation_cases (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    reason     text NOT NULL CHECK (reason IN ('overdue', 'client_cancel_after_pickup', 'courier_cancel_before_pickup',
                   'courier_cancel_after_pickup', 'weight_dispute', 'manual')),
    -- Where the order was when the case opened: outcomes differ before and after pickup.
    from_status text NOT NULL,
    state      text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    outcome    text CHECK (outcome IN ('delivered_late', 'force_majeure', 'lost', 'returned', 'client_fault', 'courier_fault',
                   'weight_accepted', 'weight_refused')),
    opened_at  timestamptz NOT NULL DEFAULT now(),
    opened_by  bigint REFERENCES staff (id),
    closed_at  timestamptz,
    closed_by  bigint REFERENCES staff (id),
    CHECK ((state = 'closed') = (outcome IS NOT NULL) AND (state = 'closed') = (closed_at IS NOT NULL))
);
-- One open case per order; the overdue rule fires once per order whatever the sweeps do.
CREATE UNIQUE INDEX moderation_cases_open_idx ON moderation_cases (order_id) WHERE state = 'open';
CREATE UNIQUE INDEX moderation_cases_overdue_idx ON moderation_cases (order_id) WHERE reason = 'overdue';
CREATE INDEX moderation_cases_queue_idx ON moderation_cases (state, opened_at, id);

-- Contact attempts and findings on a case, never edited.
CREATE TABLE moderation_notes (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id  bigint NOT NULL REFERENCES moderation_cases (id) ON DELETE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('contact', 'finding')),
    body     text NOT NULL CHECK (body <> '' AND length(body) <= 4000),
    staff_id bigint REFERENCES staff (id),
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_notes_case_idx ON moderation_notes (case_id, id);

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'finance', 'finance', 'read'),
    ('p', 'finance', 'finance', 'edit'),
    ('p', 'support_lead', 'finance', 'read'),
    ('p', 'support_agent', 'moderation', 'read'),
    ('p', 'support_agent', 'moderation', 'work'),
    ('p', 'support_lead', 'moderation', 'read'),
    ('p', 'support_lead', 'moderation', 'work'),
    ('p', 'finance', 'moderation', 'read')
ON CONFLICT DO NOTHING;
