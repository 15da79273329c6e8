-- PostgreSQL's twin of migrations/0014_leader_lease.sql: the lease of the
-- node that follows the chain, pays, sweeps and delivers webhooks. Every
-- write of that work reads this row in its own serializable transaction
-- (fencing): a takeover, which writes it, and a fenced write cannot both
-- commit.
CREATE TABLE leader_lease (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
