-- Complaints desk (DOMAIN.md §4): complaints with their demands, an append-only event history the
-- deadlines are recomputed from, evidence and letters, decision actions, the notices of each
-- complaint, and the once-only SLA alerts.

CREATE SEQUENCE complaint_numbers;

CREATE TABLE complaints (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- What staff and the complainant quote: C-2027-000123.
    number                 text NOT NULL UNIQUE,
    -- draft: e-mail intake left it for an agent to complete; the clock already runs.
    state                  text NOT NULL CHECK (state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting',
                                                         'decided', 'notified', 'closed', 'withdrawn')),
    source                 text NOT NULL CHECK (source IN ('staff', 'email', 'api')),
    complainant_name       text NOT NULL DEFAULT '',
    complainant_birth_date date,
    complainant_login      text NOT NULL DEFAULT '', -- phone or e-mail the complainant signs in with
    complainant_account_id bigint REFERENCES accounts (id),
    complainant_phones     text NOT NULL DEFAULT '',
    complainant_emails     text NOT NULL DEFAULT '',
    complainant_lang       text NOT NULL DEFAULT 'uk' CHECK (complainant_lang IN ('en', 'ru', 'uk')),
    respondent_login       text NOT NULL DEFAULT '',
    respondent_account_id  bigint REFERENCES accounts (id),
    order_ref              text NOT NULL DEFAULT '',
    action_at              timestamptz,
    action_place           text NOT NULL DEFAULT '',
    action_details         text NOT NULL DEFAULT '',
    grounds                text NOT NULL DEFAULT '',
    -- Third parties whose property interests the decision touches: one e-mail a line.
    third_parties          text NOT NULL DEFAULT '',
    received_at            timestamptz NOT NULL,
    -- A cache of complaints.Recompute over the events, for the queues' indexes.
    decision_due           timestamptz NOT NULL,
    notice_due             timestamptz,
    extended               boolean NOT NULL DEFAULT false,
    reply_due              timestamptz,
    decided_at             timestamptz,
    notified_at            timestamptz,
    outcome                text CHECK (outcome IN ('upheld', 'rejected')),
    reasoning              text NOT NULL DEFAULT '',
    assignee_id            bigint REFERENCES staff (id),
    decided_by             bigint REFERENCES staff (id),
    -- An open complaint with the same parties and order, found at intake.
    duplicate_of           bigint REFERENCES complaints (id),
    -- E-mail intake: the message's id, so a message is turned into one complaint however often read.
    mail_message_id        text UNIQUE,
    mail_from              text NOT NULL DEFAULT '',
    mail_subject           text NOT NULL DEFAULT '',
    mail_body              text NOT NULL DEFAULT '',
    created_by             bigint REFERENCES staff (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK ((state IN ('decided', 'notified', 'closed')) = (decided_at IS NOT NULL AND outcome IS NOT NULL)),
    CHECK (decided_at IS NULL OR notice_due IS NOT NULL)
);
-- Queues: open complaints by deadline, per assignee and unassigned; the sweep reads the first two.
CREATE INDEX complaints_open_due_idx ON complaints (decision_due, id)
    WHERE state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting');
CREATE INDEX complaints_assignee_due_idx ON complaints (assignee_id, decision_due, id)
    WHERE state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting');
CREATE INDEX complaints_unassigned_due_idx ON complaints (decision_due, id)
    WHERE assignee_id IS NULL AND state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting');
CREATE INDEX complaints_waiting_due_idx ON complaints (decision_due, id) WHERE state = 'waiting';
CREATE INDEX complaints_notice_due_idx ON complaints (notice_due, id) WHERE state = 'decided';
-- Duplicate check: open complaints between the same accounts.
CREATE INDEX complaints_parties_idx ON complaints (complainant_account_id, respondent_account_id, order_ref)
    WHERE state IN ('draft', 'received', 'acknowledged', 'in_review', 'waiting');
-- SLA board: by week of receipt and of decision.
CREATE INDEX complaints_received_idx ON complaints (received_at);
CREATE INDEX complaints_decided_idx ON complaints (decided_at) WHERE decided_at IS NOT NULL;

-- The demands; a partial withdrawal marks the chosen ones withdrawn.
CREATE TABLE complaint_demands (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    text         text NOT NULL CHECK (text <> ''),
    withdrawn_at timestamptz
);
CREATE INDEX complaint_demands_complaint_idx ON complaint_demands (complaint_id, id);

-- Every change, with who and when. Deadlines are recomputed from the received, extended, decided
-- and notified rows, so they are append-only.
CREATE TABLE complaint_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    kind         text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    staff_id     bigint REFERENCES staff (id),
    days         integer NOT NULL DEFAULT 0,
    note         text NOT NULL DEFAULT '',
    data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, id);
CREATE FUNCTION complaint_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'complaint_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER complaint_events_no_update BEFORE UPDATE OR DELETE ON complaint_events
    FOR EACH ROW EXECUTE FUNCTION complaint_events_append_only();

-- Evidence (staff uploads, e-mail attachments) and generated decision letters.
CREATE TABLE complaint_files (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    kind         text NOT NULL CHECK (kind IN ('evidence', 'letter')),
    name         text NOT NULL CHECK (name <> ''),
    content_type text NOT NULL,
    data         bytea NOT NULL CHECK (length(data) <= 20971520),
    created_by   bigint REFERENCES staff (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaint_files_complaint_idx ON complaint_files (complaint_id, id);

-- What an upheld decision does, and the record of the owning desk that did it.
CREATE TABLE complaint_actions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    kind         text NOT NULL CHECK (kind IN ('refund', 'compensation', 'penalty', 'block', 'block_functions',
                                               'rating_cut', 'balance_limit_cut', 'deactivation')),
    account_id   bigint NOT NULL REFERENCES accounts (id),
    amount       bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
    functions    text[] NOT NULL DEFAULT '{}',
    -- ledger transfer id, block id, or 'recorded' when no desk owns the measure yet.
    result       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX complaint_actions_complaint_idx ON complaint_actions (complaint_id);

-- The notices a complaint sent, per recipient; their status is the outbox row's.
CREATE TABLE complaint_notices (
    complaint_id    bigint NOT NULL REFERENCES complaints (id),
    notification_id bigint NOT NULL REFERENCES notifications (id),
    purpose         text NOT NULL CHECK (purpose IN ('acknowledgement', 'explanation', 'decision')),
    role            text NOT NULL CHECK (role IN ('complainant', 'respondent', 'third_party')),
    letter_id       bigint REFERENCES complaint_files (id),
    PRIMARY KEY (complaint_id, notification_id)
);

-- Each SLA warning or escalation once: the key includes the deadline, so an extension earns new
-- warnings for the new deadline; two sweeps racing insert the same key and one of them wins.
CREATE TABLE complaint_sla_alerts (
    complaint_id bigint NOT NULL REFERENCES complaints (id),
    clock        text NOT NULL CHECK (clock IN ('decision', 'notice')),
    deadline     timestamptz NOT NULL,
    level        text NOT NULL CHECK (level IN ('d3', 'd1', 'breach')),
    sent_at      timestamptz NOT NULL DEFAULT now(),
    staff_id     bigint REFERENCES staff (id),
    PRIMARY KEY (complaint_id, clock, deadline, level)
);

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'support_agent', 'complaints', 'read'),
    ('p', 'support_agent', 'complaints', 'write'),
    ('p', 'support_agent', 'complaints', 'decide'),
    ('p', 'support_lead', 'complaints', 'assign'),
    ('p', 'support_lead', 'complaints', 'extend'),
    ('p', 'support_lead', 'complaints', 'board')
ON CONFLICT DO NOTHING;

-- The SLA board reads hourly totals instead of scanning complaints: received by hour of receipt;
-- decisions, on-time decisions, days to decision and notices by hour of decision. Hours in UTC,
-- so weeks in any whole-hour platform zone (Kyiv with DST, Almaty) are exact sums of hours.
CREATE TABLE complaint_sla_hours (
    hour            timestamptz PRIMARY KEY,
    received        integer NOT NULL DEFAULT 0,
    decided         integer NOT NULL DEFAULT 0,
    on_time         integer NOT NULL DEFAULT 0,
    decision_secs   bigint NOT NULL DEFAULT 0,
    notified        integer NOT NULL DEFAULT 0,
    notices_on_time integer NOT NULL DEFAULT 0
);
-- Late decisions by assignee and hour of decision, for "breaches by agent".
CREATE TABLE complaint_sla_breaches (
    hour        timestamptz NOT NULL,
    assignee_id bigint NOT NULL DEFAULT 0, -- 0: unassigned
    breaches    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, assignee_id)
);

CREATE FUNCTION complaints_sla_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO complaint_sla_hours AS h (hour, received) VALUES (date_trunc('hour', NEW.received_at, 'UTC'), 1)
        ON CONFLICT (hour) DO UPDATE SET received = h.received + 1;
    END IF;
    IF NEW.decided_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.decided_at IS NULL) THEN
        INSERT INTO complaint_sla_hours AS h (hour, decided, on_time, decision_secs)
        VALUES (date_trunc('hour', NEW.decided_at, 'UTC'), 1, (NEW.decided_at < NEW.decision_due)::int,
                extract(epoch FROM NEW.decided_at - NEW.received_at)::bigint)
        ON CONFLICT (hour) DO UPDATE SET decided = h.decided + 1, on_time = h.on_time + excluded.on_time,
            decision_secs = h.decision_secs + excluded.decision_secs;
        IF NEW.decided_at >= NEW.decision_due THEN
            INSERT INTO complaint_sla_breaches AS b (hour, assignee_id, breaches)
            VALUES (date_trunc('hour', NEW.decided_at, 'UTC'), coalesce(NEW.assignee_id, 0), 1)
            ON CONFLICT (hour, assignee_id) DO UPDATE SET breaches = b.breaches + 1;
        END IF;
    END IF;
    IF NEW.notified_at IS NOT NULL AND NEW.decided_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.notified_at IS NULL) THEN
        INSERT INTO complaint_sla_hours AS h (hour, notified, notices_on_time)
        VALUES (date_trunc('hour', NEW.decided_at, 'UTC'), 1, (NEW.notified_at <= NEW.notice_due)::int)
        ON CONFLICT (hour) DO UPDATE SET notified = h.notified + 1, notices_on_time = h.notices_on_time + excluded.notices_on_time;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER complaints_sla_rollup AFTER INSERT OR UPDATE OF decided_at, notified_at ON complaints
    FOR EACH ROW EXECUTE FUNCTION complaints_sla_rollup();
