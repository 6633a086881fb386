-- An account's standing, which complaint decisions lower (DOMAIN.md §4: rating cut, balance-limit
-- cut). rating: points out of 100, a clean record being 100. balance_limit: the most money, in
-- minor units, the account may have engaged in open orders at once (a client's held costs, a
-- courier's deposits); NULL is no limit. admin/finance/settle refuses a placement or a deal that
-- would go over it.
ALTER TABLE accounts
    ADD COLUMN rating smallint NOT NULL DEFAULT 100 CHECK (rating BETWEEN 0 AND 100),
    ADD COLUMN balance_limit bigint CHECK (balance_limit >= 0);
