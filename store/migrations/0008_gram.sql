-- The native coin is Gram, asset code GRAM, since the ticker change of
-- 2026-06-30 (formerly Toncoin, TON: the same coin, the same 9 decimals, no
-- swap). Every row that stores the coin's code as TON says GRAM after this
-- migration, so balances, history, open invoices, queued withdrawals and the
-- reconciliation keep their meaning under the new code. It runs in one
-- transaction (store.migrate): on any error nothing is changed.
--
-- A database that recorded a jetton under the code GRAM (the previous
-- version allowed it; a community jetton uses that ticker) cannot take the
-- rename: the guard below stops the migration with a line saying so, before
-- anything changes.
CREATE TEMP TABLE gram_guard (
    n INTEGER CONSTRAINT "this database recorded a jetton under the code GRAM, the code of the native coin Gram from this version on: it cannot be upgraded in place; keep the previous tonpay for it" CHECK (n = 0)
);
INSERT INTO gram_guard SELECT count(*) FROM assets WHERE symbol = 'GRAM';
DROP TABLE gram_guard;

-- The asset first, so every row below may point at it (foreign keys stay on).
INSERT INTO assets(symbol, decimals, master) SELECT 'GRAM', decimals, master FROM assets WHERE symbol = 'TON';

-- The ledger is append-only: triggers refuse any UPDATE of entries (and
-- transfers). This migration drops the entries' update trigger, rewrites
-- the asset code of the entries (only the code: amounts, accounts and
-- transfers stay as they are, so every transfer still balances), and
-- creates the trigger again, all inside this transaction: no other writer
-- can run in between, and a failure leaves the trigger in place. The
-- transfers table holds no asset code and is not touched.
DROP TRIGGER entries_append_only_update;
UPDATE entries SET asset = 'GRAM' WHERE asset = 'TON';
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

-- Cached balances (the primary key (account_id, asset) cannot collide: no
-- GRAM row existed, see the guard).
UPDATE balances SET asset = 'GRAM' WHERE asset = 'TON';

-- Invoices (open ones stay payable: the payment matcher compares the code
-- the chain layer books, GRAM, with the invoice's), withdrawals (queued
-- ones are paid as GRAM; the fee is always in the native coin), every
-- transaction the scanner saw, and the last reconciliation per asset.
UPDATE invoices SET asset = 'GRAM' WHERE asset = 'TON';
UPDATE withdrawals SET asset = 'GRAM' WHERE asset = 'TON';
UPDATE withdrawals SET fee_asset = 'GRAM' WHERE fee_asset = 'TON';
UPDATE chain_events SET asset = 'GRAM' WHERE asset = 'TON';
UPDATE reconciliations SET asset = 'GRAM' WHERE asset = 'TON';

-- Drift episodes are "ASSET=drift" items joined by commas in asset order
-- (store.Reconcile): the same drift after the upgrade must be the same
-- episode, or an acknowledged drift would pause payouts again. Rewrite the
-- TON item and sort the items by asset code again (GRAM sorts elsewhere
-- than TON).
UPDATE drift_state SET episode = (
    WITH RECURSIVE parts(item, rest) AS (
        SELECT '', drift_state.episode || ','
        UNION ALL
        SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM parts WHERE rest <> ''
    )
    SELECT group_concat(CASE WHEN item GLOB 'TON=*' THEN 'GRAM' || substr(item, 4) ELSE item END, ','
        ORDER BY CASE WHEN item GLOB 'TON=*' THEN 'GRAM' ELSE substr(item, 1, instr(item, '=') - 1) END)
    FROM parts WHERE item <> ''
) WHERE episode GLOB 'TON=*' OR episode GLOB '*,TON=*';
UPDATE drift_acks SET episode = (
    WITH RECURSIVE parts(item, rest) AS (
        SELECT '', drift_acks.episode || ','
        UNION ALL
        SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM parts WHERE rest <> ''
    )
    SELECT group_concat(CASE WHEN item GLOB 'TON=*' THEN 'GRAM' || substr(item, 4) ELSE item END, ','
        ORDER BY CASE WHEN item GLOB 'TON=*' THEN 'GRAM' ELSE substr(item, 1, instr(item, '=') - 1) END)
    FROM parts WHERE item <> ''
) WHERE episode GLOB 'TON=*' OR episode GLOB '*,TON=*';
UPDATE payout_pause SET episode = (
    WITH RECURSIVE parts(item, rest) AS (
        SELECT '', payout_pause.episode || ','
        UNION ALL
        SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM parts WHERE rest <> ''
    )
    SELECT group_concat(CASE WHEN item GLOB 'TON=*' THEN 'GRAM' || substr(item, 4) ELSE item END, ','
        ORDER BY CASE WHEN item GLOB 'TON=*' THEN 'GRAM' ELSE substr(item, 1, instr(item, '=') - 1) END)
    FROM parts WHERE item <> ''
) WHERE episode GLOB 'TON=*' OR episode GLOB '*,TON=*';
-- A drift pause's reason is shown to admins as the present state: name the
-- coin as it is named now ("...: TON 0.5 (chain ..., ledger ...); USDT ...").
UPDATE payout_pause SET reason = replace(replace(reason, ': TON ', ': GRAM '), '; TON ', '; GRAM ') WHERE cause = 'drift';

-- Nothing points at TON any more (a foreign key would refuse this).
DELETE FROM assets WHERE symbol = 'TON';

-- Not rewritten, on purpose:
--  * outbox payloads: an event is the record of what was announced when it
--    happened. A webhook event made before the upgrade keeps "asset":"TON";
--    its body takes the codes from the payload (miniapp/merchant, Webhooks
--    .body), so a redelivery of an old event is byte-identical to the body
--    first signed and sent, and events made from now on say GRAM. Merchants
--    read TON as an alias of GRAM (the OpenAPI document says so). The bot's
--    notices read TON as GRAM when they render a pending old event.
--  * the audit log (append-only, and before/after are history as written),
--    transfer descriptions, chain event notes, withdrawal errors and batch
--    notes: free text of their time.
