-- Every chain booking carries its real kind: "chain_" and the chain event's
-- kind (chain_credited, chain_batch...; store.ChainTransferKind). Databases
-- written before booked them all as kind "chain" with the event's kind in
-- the description; this rewrites their kind from that description, so every
-- row reads the same way and a query by kind needs no second spelling.
--
-- The ledger is append-only: a trigger refuses any UPDATE of transfers. As
-- 0008_gram.sql does for entries, the trigger is dropped, the kinds are
-- rewritten (only the kind: key, description, ref, amounts and balances stay
-- as they are), and the trigger is created again, all in the migration's one
-- transaction: no other writer runs in between, and a failure leaves the
-- trigger in place.
DROP TRIGGER transfers_append_only_update;
UPDATE transfers SET kind = 'chain_' || description WHERE kind = 'chain' AND description <> '';
CREATE TRIGGER transfers_append_only_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;
