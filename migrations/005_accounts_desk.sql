-- Accounts desk (DOMAIN.md §5, §6, §7): blocks, consent, deletion, business clients' API keys,
-- news, and the notification outbox every desk writes to in the same transaction as its cause.

-- Consent to advertising and news, per channel. Service notices need none.
ALTER TABLE accounts
    ADD COLUMN consent_email      boolean NOT NULL DEFAULT false,
    ADD COLUMN consent_sms        boolean NOT NULL DEFAULT false,
    ADD COLUMN consent_updated_at timestamptz;
-- Duplicate detection groups by these within a kind; phone has only a trigram index so far.
CREATE INDEX accounts_kind_phone_idx ON accounts (kind, phone) WHERE status <> 'deleted';
-- Bulk notices walk one kind's consenting accounts in id order.
CREATE INDEX accounts_consent_idx ON accounts (kind, id) WHERE status = 'active' AND (consent_email OR consent_sms);

-- A block stops a whole account or some of its functions, for a reason, until lifted by staff or
-- by its end date (the blocks_lift job). Rows are never deleted: they are the block history.
CREATE TABLE account_blocks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id),
    -- Empty means the whole account.
    functions     text[] NOT NULL DEFAULT '{}'
                  CHECK (functions <@ ARRAY['login', 'place_orders', 'accept_orders', 'payouts', 'api']::text[]),
    reason        text NOT NULL CHECK (reason IN
                  ('agreement_breach', 'law', 'system_threat', 'duplicate', 'false_data', 'complaint_decision')),
    -- The complaint whose decision this carries out (its number or link).
    complaint_ref text NOT NULL DEFAULT '' CHECK (reason <> 'complaint_decision' OR complaint_ref <> ''),
    note          text NOT NULL DEFAULT '',
    starts_at     timestamptz NOT NULL DEFAULT now(),
    ends_at       timestamptz CHECK (ends_at IS NULL OR ends_at > starts_at),
    created_by    bigint REFERENCES staff (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Lifting: by a staff member (lifted_by) with a note, or by the job at ends_at (lifted_by NULL).
    lifted_at     timestamptz,
    lifted_by     bigint REFERENCES staff (id),
    lift_note     text NOT NULL DEFAULT '',
    CHECK (lifted_at IS NOT NULL OR (lifted_by IS NULL AND lift_note = ''))
);
CREATE INDEX account_blocks_account_idx ON account_blocks (account_id, id DESC);
CREATE INDEX account_blocks_active_idx ON account_blocks (account_id) WHERE lifted_at IS NULL;
CREATE INDEX account_blocks_due_idx ON account_blocks (ends_at) WHERE lifted_at IS NULL AND ends_at IS NOT NULL;

-- Deletion: the account row stays (orders and the ledger point at it) with its personal data
-- replaced by a pseudonym; this row says who deleted it, when, why, and whether finance allowed a
-- balance to remain.
CREATE TABLE account_deletions (
    account_id   bigint PRIMARY KEY REFERENCES accounts (id),
    deleted_by   bigint REFERENCES staff (id),
    deleted_at   timestamptz NOT NULL DEFAULT now(),
    note         text NOT NULL DEFAULT '',
    -- The balance at deletion (minor units) and the finance override that allowed a positive one.
    balance      bigint NOT NULL DEFAULT 0,
    override_id  bigint
);
-- A finance officer's permission to delete an account whose balance is still positive.
CREATE TABLE account_delete_overrides (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id),
    granted_by  bigint NOT NULL REFERENCES staff (id),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    note        text NOT NULL CHECK (note <> ''),
    used_at     timestamptz
);
CREATE INDEX account_delete_overrides_account_idx ON account_delete_overrides (account_id, id DESC);

-- Business clients' API keys. The secret is shown once; only its SHA-256 is kept, with a visible
-- prefix to find it by. The counter is a fixed one-minute window per key.
CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    name         text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^pdk_[0-9a-f]{12}$'),
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['orders:read', 'complaints:write']::text[]),
    rate_per_min integer NOT NULL DEFAULT 120 CHECK (rate_per_min BETWEEN 1 AND 100000),
    created_by   bigint REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   bigint REFERENCES staff (id),
    window_start timestamptz NOT NULL DEFAULT 'epoch',
    window_count integer NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_account_idx ON api_keys (account_id, id DESC);

-- News: Markdown kept as written and the sanitised HTML rendered from it when saved.
CREATE TABLE news (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           text NOT NULL CHECK (title <> '' AND length(title) <= 200),
    body_md         text NOT NULL DEFAULT '',
    body_html       text NOT NULL DEFAULT '',
    audience        text NOT NULL CHECK (audience IN ('clients', 'couriers', 'everyone', 'staff')),
    state           text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'scheduled', 'published', 'archived')),
    publish_at      timestamptz,
    published_at    timestamptz,
    pinned          boolean NOT NULL DEFAULT false,
    -- Send a notice to consenting users of the audience when published.
    notify          boolean NOT NULL DEFAULT false,
    -- Fan-out progress: recipients found and notices written to the outbox so far.
    notice_total    integer NOT NULL DEFAULT 0,
    notice_enqueued integer NOT NULL DEFAULT 0,
    notice_done_at  timestamptz,
    created_by      bigint REFERENCES staff (id),
    updated_by      bigint REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'scheduled' OR publish_at IS NOT NULL),
    CHECK (state NOT IN ('published', 'archived') OR published_at IS NOT NULL)
);
CREATE INDEX news_feed_idx ON news (pinned DESC, published_at DESC) WHERE state = 'published';
CREATE INDEX news_state_idx ON news (state, id DESC);

CREATE TABLE news_images (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    news_id      bigint NOT NULL REFERENCES news (id),
    name         text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    data         bytea NOT NULL CHECK (length(data) <= 5242880),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX news_images_news_idx ON news_images (news_id);

-- The notification outbox: one row per recipient and channel, written in the same transaction as
-- its cause and delivered by the notify_send job. Rendering happens at send time from template,
-- data and language, so 100,000 rows are written with one INSERT ... SELECT.
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      bigint REFERENCES accounts (id),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    address         text NOT NULL,
    template        text NOT NULL CHECK (template ~ '^[a-z0-9_.]{1,60}$'),
    data            jsonb NOT NULL DEFAULT '{}',
    lang            text NOT NULL CHECK (lang IN ('en', 'ru', 'uk')),
    kind            text NOT NULL CHECK (kind IN ('service', 'advertising')),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'retry', 'sent', 'failed', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 50),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    provider_id     text NOT NULL DEFAULT '',
    last_error      text NOT NULL DEFAULT '',
    -- What caused it ("block:12", "news:5", "order:PD00000001"), for staff and for progress.
    cause           text NOT NULL DEFAULT '',
    news_id         bigint REFERENCES news (id),
    resend_of       bigint REFERENCES notifications (id),
    created_by      bigint REFERENCES staff (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX notifications_account_idx ON notifications (account_id, id DESC);
CREATE INDEX notifications_status_idx ON notifications (status, id DESC);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status IN ('pending', 'retry', 'sending');
CREATE INDEX notifications_news_idx ON notifications (news_id, status) WHERE news_id IS NOT NULL;

CREATE TABLE notification_attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint NOT NULL REFERENCES notifications (id),
    at              timestamptz NOT NULL DEFAULT now(),
    ok              boolean NOT NULL,
    temporary       boolean NOT NULL DEFAULT false,
    provider_id     text NOT NULL DEFAULT '',
    error           text NOT NULL DEFAULT '',
    ms              integer NOT NULL DEFAULT 0
);
CREATE INDEX notification_attempts_notification_idx ON notification_attempts (notification_id, id);

-- What the built-in mail catcher and SMS sink received when no real provider is configured
-- (the default in make run), so the whole flow is visible in the portal.
CREATE TABLE caught_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
    sender      text NOT NULL DEFAULT '',
    recipients  text[] NOT NULL DEFAULT '{}',
    subject     text NOT NULL DEFAULT '',
    body        text NOT NULL DEFAULT '',
    raw         bytea,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Permissions. Administrators hold '*' already.
INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'support_lead', 'accounts', 'block'),
    ('p', 'finance', 'accounts', 'delete_override'),
    ('p', 'support_lead', 'apikeys', 'read'),
    ('p', 'support_agent', 'news', 'read'),
    ('p', 'finance', 'news', 'read'),
    ('p', 'editor', 'news', 'read'),
    ('p', 'editor', 'news', 'edit'),
    ('p', 'support_agent', 'notifications', 'read'),
    ('p', 'finance', 'notifications', 'read'),
    ('p', 'support_lead', 'notifications', 'resend')
ON CONFLICT DO NOTHING;
