-- Telegram Stars (XTR): packages and subscriptions paid inside Telegram.
-- A payment is booked once per telegram_payment_charge_id (the primary
-- key): a redelivered successful_payment, or the reconciler finding it in
-- getStarTransactions, changes nothing the second time.
CREATE TABLE star_payments (
    charge_id       TEXT PRIMARY KEY CHECK (charge_id <> ''), -- telegram_payment_charge_id
    user_id         BIGINT NOT NULL,
    package         TEXT NOT NULL DEFAULT '', -- '' when the payload was not ours
    amount          BIGINT NOT NULL CHECK (amount > 0), -- whole Stars
    credits         BIGINT NOT NULL CHECK (credits >= 0),
    period          BIGINT NOT NULL DEFAULT 0, -- subscription period in seconds; 0 for a one-off purchase
    payload         TEXT NOT NULL,
    recurring       BIGINT NOT NULL DEFAULT 0, -- a subscription payment (first or renewal)
    first_recurring BIGINT NOT NULL DEFAULT 0,
    expires_at      BIGINT, -- subscription_expiration_date (ms)
    source          TEXT NOT NULL, -- 'update' (successful_payment) or 'reconciler' (getStarTransactions)
    status          TEXT NOT NULL CHECK (status IN ('paid', 'refunded')),
    transfer_id     BIGINT NOT NULL REFERENCES transfers(id),
    refund_transfer_id BIGINT REFERENCES transfers(id),
    clawed          BIGINT NOT NULL DEFAULT 0, -- credits the refund took back
    shortfall       BIGINT NOT NULL DEFAULT 0, -- credits it could not (already spent)
    refunded_by     TEXT NOT NULL DEFAULT '', -- 'admin:<id>', 'telegram' (refunded_payment), 'reconciler'
    refunded_at     BIGINT,
    missing_at      BIGINT, -- flagged: Telegram's transaction list does not have it
    created_at      BIGINT NOT NULL,
    -- SQLite's implicit rowid, which the queries order by (insertion order)
    rowid           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX star_payments_user ON star_payments(user_id, created_at);

-- A user's subscription to a monthly package. charge_id is the first
-- payment's: editUserStarSubscription names the subscription by it.
CREATE TABLE star_subscriptions (
    user_id     BIGINT NOT NULL,
    package     TEXT NOT NULL,
    charge_id   TEXT NOT NULL,
    last_charge TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    credits     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL, -- the paid period ends (ms); renewed before it unless canceled
    canceled    BIGINT NOT NULL DEFAULT 0,
    payments    BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, package)
);
