-- Log-in hardening and two-factor log-in (issue 13).

-- A session carries the epoch its staff member had when it began: a password change, a reset, a
-- deactivation or a two-factor reset moves the epoch on, and every session that carries an older
-- one ends at its next request.
ALTER TABLE staff ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;

-- TOTP (RFC 6238): the secret sealed with AES-GCM under a key derived from the session secret (so a
-- copy of the database alone does not give the codes); enabled once a first code confirms it. The
-- last accepted time step makes a code good for one use.
ALTER TABLE staff
    ADD COLUMN totp_secret     bytea,
    ADD COLUMN totp_enabled_at timestamptz,
    ADD COLUMN totp_last_step  bigint NOT NULL DEFAULT 0;

-- One-time recovery codes, ten per enrolment, kept as argon2id hashes; a used one stays, marked.
CREATE TABLE staff_recovery_codes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id  bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    used_at   timestamptz
);
CREATE INDEX staff_recovery_codes_staff_idx ON staff_recovery_codes (staff_id);

-- A group may require its members to log in with two factors (and to confirm sensitive actions
-- with a fresh code). Off for every existing group.
ALTER TABLE staff_groups ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;

-- Failed log-ins by address and by address + e-mail (hashed), for throttling that answers known and
-- unknown e-mails alike and that nobody can use to lock a colleague out from elsewhere. The
-- per-account lockout (staff.failed_logins, locked_until) is no longer used.
CREATE TABLE login_failures (
    key text NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);
