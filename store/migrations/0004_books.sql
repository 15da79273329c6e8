-- The books equal the chain: jetton payouts are delivered only when the
-- destination's jetton wallet accepted them; reconciliation of the ledger
-- with the chain after every block; payouts paused on drift.

-- jetton_dest: the destination's jetton wallet our jetton wallet sent the
-- internal_transfer to (only its excesses confirm delivery). left_at: chain
-- time (unix seconds) the jettons left our jetton wallet.
ALTER TABLE withdrawals ADD COLUMN jetton_dest TEXT NOT NULL DEFAULT '';
ALTER TABLE withdrawals ADD COLUMN left_at INTEGER;

-- The last comparison of the ledger with the chain, per asset.
CREATE TABLE reconciliations (
    asset      TEXT PRIMARY KEY REFERENCES assets(symbol),
    block      INTEGER NOT NULL, -- masterchain seqno
    block_time INTEGER NOT NULL, -- its generation time (unix seconds)
    chain      INTEGER NOT NULL, -- what the watched account holds on chain
    ledger     INTEGER NOT NULL, -- what the ledger says it holds
    drift      INTEGER NOT NULL, -- chain - ledger
    since      INTEGER,          -- when the present drift appeared (ms), NULL when none
    updated_at INTEGER NOT NULL
) STRICT;

-- Payouts paused until an admin resumes them (one row at most).
CREATE TABLE payout_pause (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    reason     TEXT NOT NULL,
    cause      TEXT NOT NULL, -- 'drift' (lifted when the drift is back to zero) or 'admin'
    episode    TEXT NOT NULL DEFAULT '', -- the drift that caused it (asset=figure,...)
    created_at INTEGER NOT NULL
) STRICT;

-- The present drift (asset=figure,... or '' when the books equal the chain),
-- so that admins hear of each drift once, across restarts.
CREATE TABLE drift_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    episode    TEXT NOT NULL,
    block      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Drift episodes an admin resumed payouts through: the same drift does not pause again.
CREATE TABLE drift_acks (
    episode    TEXT PRIMARY KEY,
    admin_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
