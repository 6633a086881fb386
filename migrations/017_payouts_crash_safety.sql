-- Payouts that survive crashes (issue 12, defects 6 and 9).

-- The built-in sandbox gateway keeps what it accepted here, so after a restart it still knows
-- every order reference it paid (and refuses it again), and several portal processes' sandboxes
-- act as one gateway.
CREATE TABLE gateway_sandbox_payments (
    merchant         text NOT NULL,
    ref              text COLLATE "C" NOT NULL,
    amount           bigint NOT NULL,
    fee              bigint NOT NULL DEFAULT 0,
    currency         text NOT NULL,
    card             text NOT NULL,
    status           text NOT NULL,
    reason_code      integer NOT NULL,
    reason           text NOT NULL,
    transaction_type text NOT NULL,
    created          timestamptz NOT NULL,
    processed_at     timestamptz NOT NULL,
    settle_at        timestamptz NOT NULL,
    PRIMARY KEY (merchant, ref)
);
CREATE INDEX gateway_sandbox_payments_created_idx ON gateway_sandbox_payments (merchant, created);

-- A payout request carries the key issued with its form: a second submission of the same form
-- (a double click, a retried POST) finds the first payout instead of placing another.
ALTER TABLE payouts ADD COLUMN request_key text COLLATE "C" CHECK (request_key <> '');
CREATE UNIQUE INDEX payouts_request_key_idx ON payouts (requested_by, request_key) WHERE request_key IS NOT NULL;
