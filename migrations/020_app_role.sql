-- Defect 8: the portal connects as an app role that does not own the ledger tables (and is not a
-- superuser, so it cannot set session_replication_role and switch the ledger's triggers off).
-- Balances change only through ledger_post, which runs as its owner (the role that runs the
-- migrations); the trigger functions that write or check ledger tables on the app's behalf run as
-- the owner too. The grants themselves name the app role, so they are made in Go after every
-- migration run (db.GrantApp): all tables except INSERT/UPDATE/DELETE/TRUNCATE on ledger_balances,
-- ledger_entries, ledger_holds and ledger_transfers.
ALTER FUNCTION ledger_post(text, text, bytea, text, bigint[], bigint[], boolean, bigint, text, bigint, bigint, bigint)
    SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION ledger_accounts_add_balances() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION ledger_transfer_balanced() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION ledger_refuse_closed_period() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION ledger_replay(text, boolean, text) SET search_path = public, pg_temp;
