-- A deposit wallet per owner (a user, the operator, or a merchant invoice
-- that asked for an address of its own): a standard wallet contract whose key
-- is derived from the hot wallet's seed and the owner alone ("user:<id>",
-- "operator:0", "invoice:<n>"), so the same seed re-derives every address
-- (nothing new to back up). Whatever arrives there is its owner's, no
-- comment needed. The row is made the first time the address is shown; the
-- follower watches every row.
CREATE TABLE deposit_wallets (
    id         INTEGER PRIMARY KEY,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'operator', 'invoice')),
    owner_id   INTEGER NOT NULL,
    address    TEXT NOT NULL UNIQUE, -- raw 0:hex
    invoice_id TEXT UNIQUE REFERENCES invoices(id), -- owner_kind 'invoice'
    created_at INTEGER NOT NULL,
    UNIQUE (owner_kind, owner_id),
    CHECK ((owner_kind = 'invoice') = (invoice_id IS NOT NULL))
) STRICT;

-- The deposit wallet's own jetton wallet of each configured jetton, as the
-- jetton's master names it (get_wallet_address): only a transfer that lands
-- there is a deposit of that jetton.
CREATE TABLE deposit_jetton_wallets (
    wallet_id INTEGER NOT NULL REFERENCES deposit_wallets(id),
    asset     TEXT NOT NULL REFERENCES assets(symbol),
    address   TEXT NOT NULL UNIQUE, -- raw 0:hex
    PRIMARY KEY (wallet_id, asset)
) STRICT;

-- What the chain said each deposit wallet holds, at the last block it
-- changed: reconciliation adds these to the hot wallet's figure without
-- reading every address every block.
CREATE TABLE deposit_holdings (
    wallet_id INTEGER NOT NULL REFERENCES deposit_wallets(id),
    asset     TEXT NOT NULL REFERENCES assets(symbol),
    chain     INTEGER NOT NULL,
    block     INTEGER NOT NULL,
    PRIMARY KEY (wallet_id, asset)
) STRICT;

-- The hot wallet's own figure (reconciliations.chain is now every wallet's).
ALTER TABLE reconciliations ADD COLUMN hot INTEGER;
UPDATE reconciliations SET hot = chain;

-- The last masterchain block the follower finished: it resumes after it,
-- block by block.
CREATE TABLE follower_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    block      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- A batch may carry gas to deposit wallets whose jettons wait for it (the
-- hot wallet's messages to them: in transit until they land).
ALTER TABLE batches ADD COLUMN gas INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN gas_messages INTEGER NOT NULL DEFAULT 0;
