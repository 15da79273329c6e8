-- The books equal the chain: jetton payouts are delivered only when the
-- destination's jetton wallet accepted them; reconciliation of the ledger
-- with the chain after every block; payouts paused on drift.

-- jetton_dest: the destination's jetton wallet our jetton wallet sent the
-- internal_transfer to (only its excesses confirm delivery). left_at: chain
-- time (unix seconds) the jettons left our jetton wallet.
ALTER TABLE withdrawals ADD COLUMN jetton_dest TEXT NOT NULL DEFAULT '';
ALTER TABLE withdrawals ADD COLUMN left_at BIGINT;

-- The last comparison of the ledger with the chain, per asset.
CREATE TABLE reconciliations (
    asset      TEXT PRIMARY KEY REFERENCES assets(symbol),
    block      BIGINT NOT NULL, -- masterchain seqno
    block_time BIGINT NOT NULL, -- its generation time (unix seconds)
    chain      BIGINT NOT NULL, -- what the watched account holds on chain
    ledger     BIGINT NOT NULL, -- what the ledger says it holds
    drift      BIGINT NOT NULL, -- chain - ledger
    since      BIGINT,          -- when the present drift appeared (ms), NULL when none
    updated_at BIGINT NOT NULL
);

-- Payouts paused until an admin resumes them (one row at most).
CREATE TABLE payout_pause (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    reason     TEXT NOT NULL,
    cause      TEXT NOT NULL, -- 'drift' (lifted when the drift is back to zero) or 'admin'
    episode    TEXT NOT NULL DEFAULT '', -- the drift that caused it (asset=figure,...)
    created_at BIGINT NOT NULL
);

-- The present drift (asset=figure,... or '' when the books equal the chain),
-- so that admins hear of each drift once, across restarts.
CREATE TABLE drift_state (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    episode    TEXT NOT NULL,
    block      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Drift episodes an admin resumed payouts through: the same drift does not pause again.
CREATE TABLE drift_acks (
    episode    TEXT PRIMARY KEY,
    admin_id   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
