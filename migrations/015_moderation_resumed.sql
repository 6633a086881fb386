-- A moderation case may end with "resumed": nothing is owed and the order goes back where it was
-- (a case opened by mistake, a late complaint not upheld). admin/lifecycle's table of outcomes.
ALTER TABLE moderation_cases DROP CONSTRAINT moderation_cases_outcome_check;
ALTER TABLE moderation_cases ADD CONSTRAINT moderation_cases_outcome_check CHECK (outcome IN ('delivered_late',
    'force_majeure', 'lost', 'returned', 'client_fault', 'courier_fault', 'weight_accepted', 'weight_refused', 'resumed'));
