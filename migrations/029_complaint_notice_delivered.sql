-- Annex E (issue 14, item 15): the decision notice counts as given when it was delivered, not when
-- its outbox rows were written. complaints.notified_at now holds the delivery: the moment the last
-- of the decision's e-mails reached 'sent' (the complainant's must be among them; a party with no
-- address, a 'skipped' row, cannot hold it up). A row resent from the notifications page stands in
-- for the one it resends. The delivery is recorded by a trigger on the outbox, in the transaction
-- that marks the row sent, whichever process sends it: a 'notice_delivered' event (the clock is
-- recomputed from events) and notified_at, which the SLA rollup of 006 reads unchanged.

CREATE INDEX complaint_notices_notification_idx ON complaint_notices (notification_id);

-- When the complaint's decision notice was delivered, or NULL while it is not (yet).
CREATE FUNCTION complaint_decision_delivered_at(p_complaint bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT max(n.sent_at)
    FROM complaint_notices cn JOIN notifications n ON n.id = cn.notification_id
    WHERE cn.complaint_id = p_complaint AND cn.purpose = 'decision'
      AND NOT EXISTS (SELECT 1 FROM complaint_notices r JOIN notifications rn ON rn.id = r.notification_id
                      WHERE r.complaint_id = cn.complaint_id AND rn.resend_of = n.id)
    HAVING bool_and(n.status IN ('sent', 'skipped'))
       AND bool_or(cn.role = 'complainant' AND n.status = 'sent')
$$;

CREATE FUNCTION complaint_notice_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
    delivered timestamptz;
BEGIN
    -- A resent complaint notice stays the complaint's: the copy is linked like the original.
    IF NEW.resend_of IS NOT NULL AND OLD.resend_of IS DISTINCT FROM NEW.resend_of THEN
        INSERT INTO complaint_notices (complaint_id, notification_id, purpose, role, letter_id)
        SELECT complaint_id, NEW.id, purpose, role, letter_id FROM complaint_notices WHERE notification_id = NEW.resend_of
        ON CONFLICT DO NOTHING;
    END IF;
    IF NEW.status = 'sent' AND OLD.status IS DISTINCT FROM 'sent' THEN
        FOR cid IN SELECT complaint_id FROM complaint_notices WHERE notification_id = NEW.id AND purpose = 'decision' LOOP
            -- The complaint's lock orders two deliveries of its notices: the second sees the first.
            PERFORM 1 FROM complaints WHERE id = cid AND notified_at IS NULL FOR NO KEY UPDATE;
            IF NOT FOUND THEN
                CONTINUE;
            END IF;
            delivered := complaint_decision_delivered_at(cid);
            IF delivered IS NOT NULL THEN
                INSERT INTO complaint_events (complaint_id, kind, at, note, data)
                VALUES (cid, 'notice_delivered', delivered, '', jsonb_build_object('notification_id', NEW.id));
                UPDATE complaints SET notified_at = delivered, updated_at = now() WHERE id = cid;
            END IF;
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER complaint_notice_delivery AFTER UPDATE OF status, resend_of ON notifications
    FOR EACH ROW WHEN (NEW.template LIKE 'complaint\_%')
    EXECUTE FUNCTION complaint_notice_delivery();

-- The notice clock runs from the decision until the delivery, whether the letter is still to be
-- made ('decided'), its e-mails are on their way or failed ('notified'), or the complaint was
-- closed meanwhile; the sweep reads it here.
CREATE INDEX complaints_notice_open_idx ON complaints (notice_due, id)
    WHERE notice_due IS NOT NULL AND notified_at IS NULL;

-- Complaints notified before this migration: notified_at said when the letter was queued. Recount
-- them by their delivery, and the board's notice totals with them (the rollup adds them back as
-- notified_at is set again).
UPDATE complaint_sla_hours SET notified = 0, notices_on_time = 0 WHERE notified <> 0 OR notices_on_time <> 0;
UPDATE complaints SET notified_at = NULL WHERE notified_at IS NOT NULL;
INSERT INTO complaint_events (complaint_id, kind, at, note)
SELECT id, 'notice_delivered', complaint_decision_delivered_at(id), 'migration 029'
FROM complaints WHERE state IN ('notified', 'closed') AND complaint_decision_delivered_at(id) IS NOT NULL;
UPDATE complaints c SET notified_at = e.at
FROM complaint_events e WHERE e.complaint_id = c.id AND e.kind = 'notice_delivered';
