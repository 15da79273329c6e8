-- The lease of the node that follows the chain, pays, sweeps and delivers
-- webhooks (one row). A node takes it when it has expired, with the epoch
-- one higher; every write of that work checks, in its own transaction, that
-- the lease is still its own at its epoch (fencing): a node that was paused
-- past its lease can neither book nor send.
CREATE TABLE leader_lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    epoch      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, -- ms
    updated_at INTEGER NOT NULL
) STRICT;
