-- Reconciliation periods hold (issue 12, defects 7 and 10).

-- A posting dated inside a closed period is refused, wherever it comes from (ledger_post or any
-- other insert): its correction goes into the open period. One probe of the periods' range index
-- per transfer (enable_seqscan off: the function's plan is cached, see ARCHITECTURE.md).
CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_period bigint;
BEGIN
    SELECT id INTO v_period FROM recon_periods
    WHERE tstzrange(starts_at, ends_at) @> NEW.created_at AND state = 'closed';
    IF v_period IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: reconciliation period % is closed; post the correction into the open period', v_period
            USING ERRCODE = 'PD001';
    END IF;
    RETURN NEW;
END $$;
ALTER FUNCTION ledger_refuse_closed_period() SET enable_seqscan = off;
CREATE TRIGGER ledger_transfers_closed_period BEFORE INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();

-- A correcting transfer resolves one exception only.
CREATE UNIQUE INDEX recon_results_correcting_idx ON recon_results (correcting_transfer) WHERE correcting_transfer IS NOT NULL;
