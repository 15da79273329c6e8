-- Bot API 10.2 subscription updates: a user canceled a Stars subscription,
-- its renewal payment failed, or it was restored. payment_failed marks a
-- subscription whose renewal Telegram could not charge: no credits after
-- expires_at unless a renewal is paid after all.
ALTER TABLE star_subscriptions ADD COLUMN payment_failed INTEGER NOT NULL DEFAULT 0;

-- Every subscription update as it came, once: a redelivered update (the
-- same update_id, user, payload and state) is refused by the UNIQUE key and
-- books nothing twice. package is '' when the payload was not ours;
-- outcome says what it did.
CREATE TABLE star_subscription_updates (
    id         INTEGER PRIMARY KEY,
    update_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('canceled', 'payment_failed', 'restored')),
    package    TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL CHECK (outcome IN ('changed', 'same', 'unknown')),
    created_at INTEGER NOT NULL,
    UNIQUE (update_id, user_id, payload, state)
) STRICT;
CREATE INDEX star_subscription_updates_user ON star_subscription_updates(user_id, package);
