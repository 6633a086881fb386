-- Orders desk (DOMAIN.md §2): orders, their append-only status history, the tariff by weight bands,
-- each staff member's choice of list columns; and the generated files and attachments every desk
-- shares (admin/files).

-- Order and waybill numbers are compared byte-wise (COLLATE "C"), so one b-tree index serves both
-- the exact lookup and the prefix search as the user types (number LIKE 'PD0001%').
CREATE SEQUENCE orders_number_seq;
CREATE SEQUENCE orders_waybill_seq;

CREATE TABLE orders (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number            text COLLATE "C" NOT NULL
                      DEFAULT 'PD' || lpad(nextval('orders_number_seq')::text, 8, '0')
                      CHECK (number ~ '^[A-Z0-9-]{3,32}$'),
    waybill           text COLLATE "C" NOT NULL
                      DEFAULT (590000000000 + nextval('orders_waybill_seq'))::text
                      CHECK (waybill ~ '^[A-Z0-9-]{6,32}$'),
    -- An import's key: the same row imported twice finds the order it made the first time.
    external_ref      text CHECK (external_ref <> '' AND length(external_ref) <= 100),
    client_id         bigint NOT NULL REFERENCES accounts (id),
    courier_id        bigint REFERENCES accounts (id),
    sender_name       text NOT NULL CHECK (sender_name <> ''),
    sender_phone      text NOT NULL CHECK (sender_phone ~ '^\+[0-9]{10,15}$'),
    sender_address    text NOT NULL CHECK (sender_address <> ''),
    recipient_name    text NOT NULL CHECK (recipient_name <> ''),
    recipient_phone   text NOT NULL CHECK (recipient_phone ~ '^\+[0-9]{10,15}$'),
    recipient_address text NOT NULL CHECK (recipient_address <> ''),
    item              text NOT NULL CHECK (item <> ''),
    weight_grams      integer NOT NULL CHECK (weight_grams > 0),
    declared_value    bigint NOT NULL CHECK (declared_value >= 0),
    cost              bigint NOT NULL CHECK (cost > 0),
    expected_at       timestamptz,
    comment           text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'created' CHECK (status IN
                      ('created', 'deal', 'picked_up', 'delivered', 'cancelled', 'in_moderation', 'returned', 'lost')),
    created_by        bigint REFERENCES staff (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    delivered_at      timestamptz,
    CONSTRAINT orders_number_key UNIQUE (number),
    CONSTRAINT orders_waybill_key UNIQUE (waybill),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE UNIQUE INDEX orders_external_ref_key ON orders (external_ref) WHERE external_ref IS NOT NULL;
-- The list: newest first, alone or narrowed by status, client or courier; keyset on (created_at, id).
CREATE INDEX orders_created_idx ON orders (created_at, id);
CREATE INDEX orders_status_created_idx ON orders (status, created_at, id);
CREATE INDEX orders_client_created_idx ON orders (client_id, created_at, id);
CREATE INDEX orders_courier_created_idx ON orders (courier_id, created_at, id) WHERE courier_id IS NOT NULL;
CREATE INDEX orders_delivered_idx ON orders (delivered_at, id) WHERE delivered_at IS NOT NULL;
-- Sorting by delivery cost (finance's usual view), alone or within a status, without reading the table.
CREATE INDEX orders_cost_idx ON orders (cost, id);
CREATE INDEX orders_status_cost_idx ON orders (status, cost, id);

-- Every status change, never edited: who, when, from, to, why.
CREATE TABLE order_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    staff_id    bigint REFERENCES staff (id),
    from_status text,
    to_status   text NOT NULL,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

CREATE FUNCTION order_status_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'order_status_history is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
-- Rows go only with their order (ON DELETE CASCADE: test and benchmark data); no UPDATE ever.
CREATE TRIGGER order_status_history_no_update BEFORE UPDATE ON order_status_history
    FOR EACH ROW EXECUTE FUNCTION order_status_history_append_only();

-- The tariff: the cost of an order is the price of the lightest band that holds its weight.
CREATE TABLE tariff_bands (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    max_grams integer NOT NULL UNIQUE CHECK (max_grams > 0),
    price     bigint NOT NULL CHECK (price > 0)
);
INSERT INTO tariff_bands (max_grams, price) VALUES
    (1000, 6000), (2000, 7500), (5000, 9500), (10000, 13000), (20000, 18000), (30000, 24000), (70000, 45000);

-- Which columns the order list shows each staff member, in their order. Kept in the database so the
-- choice follows the person across sessions and devices.
CREATE TABLE staff_list_columns (
    staff_id   bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    list       text NOT NULL,
    columns    text[] NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, list)
);

-- Files: documents the portal generates (exports, PDFs, import reports) and attachments on records.
-- The bytes live in blob storage under blob_key; this row says whose file it is, what it belongs
-- to, how far its job has got, and when it may be removed.
CREATE TABLE files (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_staff_id bigint REFERENCES staff (id),
    kind           text NOT NULL CHECK (kind ~ '^[a-z_]{2,40}$'),
    record_type    text NOT NULL DEFAULT '',
    record_id      text NOT NULL DEFAULT '',
    name           text NOT NULL DEFAULT '',
    content_type   text NOT NULL DEFAULT 'application/octet-stream',
    size           bigint NOT NULL DEFAULT 0,
    blob_key       text NOT NULL DEFAULT '',
    thumb_key      text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT 'done' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    percent        integer NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    message        text NOT NULL DEFAULT '',
    result         jsonb,
    job_id         bigint,
    -- The owner has been told the job ended (the toast shows once, on whatever page they are).
    notified       boolean NOT NULL DEFAULT false,
    expires_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
CREATE INDEX files_owner_idx ON files (owner_staff_id, id DESC);
CREATE INDEX files_unnotified_idx ON files (owner_staff_id) WHERE NOT notified AND state IN ('done', 'failed');
CREATE INDEX files_record_idx ON files (record_type, record_id, id) WHERE record_type <> '';
CREATE INDEX files_expires_idx ON files (expires_at) WHERE expires_at IS NOT NULL;

-- Permissions: everyone who serves customers or money reads orders; support enters and moves them.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'support_agent', 'orders', 'read'),
    ('p', 'support_agent', 'orders', 'edit'),
    ('p', 'support_lead', 'orders', 'read'),
    ('p', 'support_lead', 'orders', 'edit'),
    ('p', 'finance', 'orders', 'read')
ON CONFLICT DO NOTHING;
