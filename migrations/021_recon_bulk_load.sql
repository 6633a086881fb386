-- Statements load in bulk (issue 15): a job writes a statement's lines, and then its results, with
-- one COPY each — a million rows apiece for a month of the gateway. Migration 007's guard of closed
-- periods ran a query for every one of those rows (recon_refuse_closed: about 5 µs a row, a third
-- of a load). An insert is now checked once per statement, against the distinct statements its
-- rows belong to (the statement's transition table); updates and deletes keep the row guard.
DROP TRIGGER recon_lines_closed ON recon_lines;
CREATE TRIGGER recon_lines_closed BEFORE UPDATE OR DELETE ON recon_lines
    FOR EACH ROW EXECUTE FUNCTION recon_refuse_closed();
DROP TRIGGER recon_results_closed ON recon_results;
CREATE TRIGGER recon_results_closed BEFORE UPDATE OR DELETE ON recon_results
    FOR EACH ROW EXECUTE FUNCTION recon_refuse_closed();

CREATE FUNCTION recon_refuse_closed_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT statement_id FROM new_rows) n
               JOIN recon_statements s ON s.id = n.statement_id
               JOIN recon_periods p ON p.id = s.period_id
               WHERE p.state = 'closed') THEN
        RAISE EXCEPTION 'reconciliation period is closed: INSERT refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER recon_lines_closed_insert AFTER INSERT ON recon_lines REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION recon_refuse_closed_insert();
CREATE TRIGGER recon_results_closed_insert AFTER INSERT ON recon_results REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION recon_refuse_closed_insert();
