-- Top-ups and promo credit entered by finance (issue 12, defect 12; RULES.md §3): a manual top-up
-- (gateway clearing → the user's available money, e.g. a bank transfer the gateway did not see)
-- and promo credit for couriers (promo expense → the courier's promo). Above the threshold a
-- second officer approves (maker–checker, enforced here as well as in Go); a reason is required.
CREATE TABLE funding_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('top_up', 'promo')),
    account_id     bigint NOT NULL REFERENCES accounts (id),
    amount         bigint NOT NULL CHECK (amount > 0),
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    state          text NOT NULL CHECK (state IN ('pending_approval', 'posted', 'refused')),
    needs_approval boolean NOT NULL,
    request_key    text COLLATE "C" CHECK (request_key <> ''),
    requested_by   bigint NOT NULL REFERENCES staff (id),
    requested_at   timestamptz NOT NULL DEFAULT now(),
    decided_by     bigint REFERENCES staff (id),
    decided_at     timestamptz,
    refuse_reason  text,
    transfer_id    bigint REFERENCES ledger_transfers (id),
    CHECK (decided_by IS NULL OR decided_by <> requested_by OR NOT needs_approval),
    CHECK ((state = 'posted') = (transfer_id IS NOT NULL))
);
CREATE INDEX funding_requests_list_idx ON funding_requests (id DESC);
CREATE UNIQUE INDEX funding_requests_key_idx ON funding_requests (requested_by, request_key) WHERE request_key IS NOT NULL;

INSERT INTO settings (key, value) VALUES ('funding.approval_threshold', '500000') ON CONFLICT (key) DO NOTHING;

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'finance', 'funding', 'request'),
    ('p', 'finance', 'funding', 'approve')
ON CONFLICT DO NOTHING;
