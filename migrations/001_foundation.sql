-- Foundation: staff, employee groups, field rules, Casbin policy, the audit log, the accounts registry.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE staff (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name                 text NOT NULL CHECK (name <> ''),
    lang                 text NOT NULL DEFAULT 'uk' CHECK (lang IN ('en', 'ru', 'uk')),
    password_hash        text NOT NULL,
    active               boolean NOT NULL DEFAULT true,
    must_change_password boolean NOT NULL DEFAULT false,
    failed_logins        integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- An employee group maps to one Casbin role and carries field-visibility rules.
CREATE TABLE staff_groups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    role        text NOT NULL CHECK (role IN ('admin', 'support_agent', 'support_lead', 'finance', 'editor')),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_group_members (
    group_id bigint NOT NULL REFERENCES staff_groups (id) ON DELETE CASCADE,
    staff_id bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, staff_id)
);
CREATE INDEX staff_group_members_staff_idx ON staff_group_members (staff_id);

CREATE TABLE field_rules (
    group_id bigint NOT NULL REFERENCES staff_groups (id) ON DELETE CASCADE,
    record   text NOT NULL,
    field    text NOT NULL,
    mode     text NOT NULL CHECK (mode IN ('hidden', 'masked', 'read', 'edit')),
    PRIMARY KEY (group_id, record, field)
);

-- Casbin policy lines (p: role, object, action). Changes notify every process to reload.
CREATE TABLE casbin_rule (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ptype text NOT NULL,
    v0    text NOT NULL DEFAULT '',
    v1    text NOT NULL DEFAULT '',
    v2    text NOT NULL DEFAULT '',
    v3    text NOT NULL DEFAULT '',
    v4    text NOT NULL DEFAULT '',
    v5    text NOT NULL DEFAULT '',
    UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);

CREATE FUNCTION casbin_rule_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('postdesk_policy', '');
    RETURN NULL;
END $$;
CREATE TRIGGER casbin_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON casbin_rule
    FOR EACH STATEMENT EXECUTE FUNCTION casbin_rule_notify();
CREATE TRIGGER field_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON field_rules
    FOR EACH STATEMENT EXECUTE FUNCTION casbin_rule_notify();

-- The audit log is append-only: written in the same transaction as the change it records.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint,
    actor_email text NOT NULL DEFAULT '',
    action      text NOT NULL,
    record_type text NOT NULL DEFAULT '',
    record_id   text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    ip          text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id DESC);
CREATE INDEX audit_log_record_idx ON audit_log (record_type, record_id, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The platform's clients and couriers. Card numbers are never stored whole: last 4 digits and a token.
CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('client', 'courier')),
    business    boolean NOT NULL DEFAULT false,
    name        text NOT NULL CHECK (name <> ''),
    phone       text NOT NULL CHECK (phone ~ '^\+[0-9]{10,15}$'),
    email       text CHECK (email = lower(email)),
    birth_date  date,
    passport    text,
    card_last4  text CHECK (card_last4 ~ '^[0-9]{4}$'),
    card_token  text,
    card_holder text,
    lang        text NOT NULL DEFAULT 'uk' CHECK (lang IN ('en', 'ru', 'uk')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'deleted')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_kind_idx ON accounts (kind, id DESC);
CREATE INDEX accounts_phone_trgm_idx ON accounts USING gin (phone gin_trgm_ops);
CREATE INDEX accounts_email_idx ON accounts (email text_pattern_ops);
CREATE INDEX accounts_name_trgm_idx ON accounts USING gin (lower(name) gin_trgm_ops);
CREATE INDEX accounts_passport_idx ON accounts (passport) WHERE passport IS NOT NULL;
CREATE INDEX accounts_card_token_idx ON accounts (card_token) WHERE card_token IS NOT NULL;

-- Runtime settings that administrators or finance change without a deploy.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Fiber's PostgreSQL storage: staff sessions and log-in rate-limit counters (e = expiry, Unix seconds).
CREATE TABLE sessions (
    k varchar(64) PRIMARY KEY NOT NULL DEFAULT '',
    v bytea NOT NULL,
    e bigint NOT NULL DEFAULT 0
);
CREATE INDEX sessions_e_idx ON sessions (e);
CREATE TABLE rate_limits (
    k varchar(64) PRIMARY KEY NOT NULL DEFAULT '',
    v bytea NOT NULL,
    e bigint NOT NULL DEFAULT 0
);
CREATE INDEX rate_limits_e_idx ON rate_limits (e);
