-- Annex E (issue 14, item 15): the complainant is told of an extension, and both parties of a
-- withdrawal, each in their language; the complaint remembers those notices like the others.
ALTER TABLE complaint_notices DROP CONSTRAINT complaint_notices_purpose_check;
ALTER TABLE complaint_notices ADD CONSTRAINT complaint_notices_purpose_check
    CHECK (purpose IN ('acknowledgement', 'explanation', 'decision', 'extension', 'withdrawal'));
