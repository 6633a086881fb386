-- A load writes a million results at once into tables whose statistics then say nothing of them
-- until autovacuum comes round (a minute or more): meanwhile the planner sorts a whole statement to
-- show its first hundred results. The load asks for fresh statistics when it has committed; only
-- the tables' owner may ANALYZE, so the portal's role does it through this function.
CREATE FUNCTION recon_analyze() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    ANALYZE recon_lines;
    ANALYZE recon_results;
END $$;
