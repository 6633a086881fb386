-- A statement's outcomes at a glance (issue 15): the count and amounts of each kind, and the
-- range of its results' ids, kept by the load that wrote them (they never change afterwards; only
-- resolutions do, which are counted from the open exceptions' index). The period's page showed
-- them by grouping every result of the statement on every view: a quarter of a second for a
-- million. NULL for statements loaded before.
ALTER TABLE recon_statements ADD COLUMN summary jsonb;
