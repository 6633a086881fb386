-- The state an order's money rules need (admin/finance/settle): the order, locked, with its money
-- row, both parties' ledger accounts, the platform's revenue account, its holds' states, the
-- courier's promo balance, today's commission rate and the parties' balance limits, in one call.
-- A function, so that its plan is made once per connection and never scans a table whole: a plan
-- made while order_money and ledger_holds were nearly empty (a new deployment, or right after
-- they were analysed empty) would otherwise be cached with sequential scans and read the whole
-- tables for every event ever after.
CREATE FUNCTION settle_order_state(p_order bigint) RETURNS TABLE (
    id bigint, number text, status text, client_id bigint, courier_id bigint, cost bigint, declared_value bigint,
    weight_grams integer, commission_bp bigint, no_promo boolean, client_hold_id bigint, deposit_hold_id bigint,
    promo_hold_id bigint, client_avail bigint, client_held bigint, courier_avail bigint, courier_deposit bigint,
    courier_promo bigint, revenue bigint, client_hold_state text, deposit_hold_state text, deposit_hold_amount bigint,
    promo_hold_state text, promo_hold_amount bigint, promo_balance bigint, rate integer, client_limit bigint,
    courier_limit bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT o.id, o.number, o.status, o.client_id, o.courier_id, o.cost, o.declared_value, o.weight_grams,
        m.commission_bp::bigint, m.no_promo, m.client_hold_id, m.deposit_hold_id, m.promo_hold_id,
        ca.avail, ca.held, ka.avail, ka.deposit, ka.promo, rev.id,
        (SELECT h.state FROM ledger_holds h WHERE h.id = m.client_hold_id),
        (SELECT h.state FROM ledger_holds h WHERE h.id = m.deposit_hold_id),
        (SELECT h.amount FROM ledger_holds h WHERE h.id = m.deposit_hold_id),
        (SELECT h.state FROM ledger_holds h WHERE h.id = m.promo_hold_id),
        (SELECT h.amount FROM ledger_holds h WHERE h.id = m.promo_hold_id),
        (SELECT sum(b.balance)::bigint FROM ledger_balances b WHERE b.ledger_account_id = ka.promo),
        (SELECT (s.value)::int FROM settings s WHERE s.key = 'commission_bp'),
        (SELECT a.balance_limit FROM accounts a WHERE a.id = o.client_id),
        (SELECT a.balance_limit FROM accounts a WHERE a.id = o.courier_id)
    FROM orders o
    LEFT JOIN order_money m ON m.order_id = o.id
    LEFT JOIN LATERAL (
        SELECT max(la.id) FILTER (WHERE la.kind = 'user_available') AS avail, max(la.id) FILTER (WHERE la.kind = 'user_held') AS held
        FROM ledger_accounts la WHERE la.owner_account_id = o.client_id) ca ON true
    LEFT JOIN LATERAL (
        SELECT max(la.id) FILTER (WHERE la.kind = 'user_available') AS avail, max(la.id) FILTER (WHERE la.kind = 'courier_deposit') AS deposit,
            max(la.id) FILTER (WHERE la.kind = 'promo') AS promo
        FROM ledger_accounts la WHERE la.owner_account_id = o.courier_id) ka ON true
    CROSS JOIN (SELECT la.id FROM ledger_accounts la WHERE la.owner_account_id IS NULL AND la.kind = 'platform_revenue') rev
    WHERE o.id = p_order
    FOR UPDATE OF o;
END $$;
