-- Correcting entries from reconciliation (issue 12; RULES.md §3.5): finance posts a correcting
-- transfer between the gateway-clearing account and a party (a user's available money, or the
-- platform's revenue for a write-off) — from an exception, which the posted transfer then resolves,
-- or for a period already closed. A correction is always dated when it is posted (the open
-- period: the ledger refuses postings inside a closed one) and keeps the period it corrects here,
-- so the closed period's page lists what corrected it afterwards. Above the threshold a second
-- officer approves (maker–checker, enforced here as well as in Go); a reason is required.
CREATE TABLE recon_corrections (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id      bigint NOT NULL REFERENCES recon_periods (id),
    result_id      bigint REFERENCES recon_results (id),
    -- to_party: gateway clearing → the party (money the gateway took in that the ledger missed);
    -- from_party: the party → gateway clearing (money the ledger credited that the gateway never had).
    direction      text NOT NULL CHECK (direction IN ('to_party', 'from_party')),
    party          text NOT NULL CHECK (party IN ('user', 'revenue')),
    account_id     bigint REFERENCES accounts (id),
    amount         bigint NOT NULL CHECK (amount > 0),
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    state          text NOT NULL CHECK (state IN ('pending_approval', 'posted', 'refused')),
    needs_approval boolean NOT NULL,
    request_key    text COLLATE "C" CHECK (request_key <> ''),
    requested_by   bigint NOT NULL REFERENCES staff (id),
    requested_at   timestamptz NOT NULL,
    decided_by     bigint REFERENCES staff (id),
    decided_at     timestamptz,
    refuse_reason  text,
    transfer_id    bigint UNIQUE REFERENCES ledger_transfers (id),
    CHECK ((party = 'user') = (account_id IS NOT NULL)),
    CHECK (decided_by IS NULL OR decided_by <> requested_by OR NOT needs_approval),
    CHECK ((state = 'posted') = (transfer_id IS NOT NULL))
);
CREATE INDEX recon_corrections_period_idx ON recon_corrections (period_id, id DESC);
CREATE INDEX recon_corrections_pending_idx ON recon_corrections (id) WHERE state = 'pending_approval';
-- One live correction per exception: another may be asked for only after a refusal.
CREATE UNIQUE INDEX recon_corrections_result_idx ON recon_corrections (result_id) WHERE result_id IS NOT NULL AND state <> 'refused';
CREATE UNIQUE INDEX recon_corrections_key_idx ON recon_corrections (requested_by, request_key) WHERE request_key IS NOT NULL;

INSERT INTO settings (key, value) VALUES ('recon.correction_approval_threshold', '500000') ON CONFLICT (key) DO NOTHING;

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'finance', 'recon', 'approve') ON CONFLICT DO NOTHING;
