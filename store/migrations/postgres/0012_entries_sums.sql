-- The ledger audit (sum of entries per account and asset, against the
-- cached balances: after every block in the long tests, in `tonpay backup`'s
-- verification and in reconcile) reads this index alone, in its order:
-- no table rows and no temporary b-tree for the GROUP BY. Measured on
-- 300,000 entries: 2.3 s without it, 81 ms with it.
CREATE INDEX entries_sums ON entries(account_id, asset, amount);
