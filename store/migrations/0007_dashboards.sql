-- Dashboards inside the Mini App: merchant owners, the audit log, blocked
-- users and how an admin resolved an unmatched deposit.

-- Telegram users who run a merchant's dashboard. Not a foreign key to users:
-- an owner may be named before they first open the Mini App.
CREATE TABLE merchant_owners (
    merchant_id INTEGER NOT NULL REFERENCES merchants(id),
    user_id     INTEGER NOT NULL CHECK (user_id > 0),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, user_id)
) STRICT;
CREATE INDEX merchant_owners_user ON merchant_owners(user_id);

-- Every change an admin, a merchant owner or the operator (CLI) made: who,
-- what, when, before -> after. Written in the same transaction as the
-- change; never updated or deleted.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER NOT NULL, -- Telegram user id; 0 for the operator's CLI
    actor       TEXT NOT NULL,    -- '@name (id)' as known then
    role        TEXT NOT NULL CHECK (role IN ('admin', 'owner', 'operator')),
    merchant_id INTEGER REFERENCES merchants(id),
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    before      TEXT NOT NULL DEFAULT '',
    after       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_merchant ON audit_log(merchant_id, id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- An admin blocked the user: no withdrawals, no Mini App (deposits are still
-- credited: money that arrives is never lost).
ALTER TABLE users ADD COLUMN blocked_at INTEGER;
ALTER TABLE users ADD COLUMN blocked_reason TEXT NOT NULL DEFAULT '';

-- How an unmatched (or dust) deposit left the unmatched account: assigned
-- to a user or merchant, or refunded by hand. One row per chain event (the
-- primary key): a second resolution is refused, a replay finds this one.
CREATE TABLE unmatched_resolutions (
    event_id    INTEGER PRIMARY KEY REFERENCES chain_events(id),
    kind        TEXT NOT NULL CHECK (kind IN ('assigned', 'refunded')),
    user_id     INTEGER,
    merchant_id INTEGER REFERENCES merchants(id),
    refund_tx   TEXT NOT NULL DEFAULT '',
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    admin_id    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK ((kind = 'assigned') = (user_id IS NOT NULL OR merchant_id IS NOT NULL))
) STRICT;

-- A webhook event an owner sent by hand (a redelivery or a test event): one
-- attempt, outside the merchant's ordered queue.
ALTER TABLE outbox ADD COLUMN redelivered_at INTEGER;

-- A merchant's deliveries and an invoice's payments, listed in the dashboard.
CREATE INDEX outbox_merchant ON outbox(merchant_id, id) WHERE merchant_id IS NOT NULL;
CREATE INDEX chain_events_invoice ON chain_events(invoice_id) WHERE invoice_id IS NOT NULL;
-- The admin's 30-day chart: transfers in by block time.
CREATE INDEX chain_events_time ON chain_events(kind, utime, asset, amount); -- covering: the sums read no table rows
