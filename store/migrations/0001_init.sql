-- tonpay schema. Amounts are INTEGER smallest units; times are unix milliseconds.

CREATE TABLE assets (
    symbol   TEXT PRIMARY KEY CHECK (symbol <> ''),
    decimals INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 18),
    master   TEXT -- jetton master (raw address); NULL for TON and off-chain assets
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY, -- Telegram user id
    username      TEXT NOT NULL DEFAULT '',
    first_name    TEXT NOT NULL DEFAULT '',
    language_code TEXT NOT NULL DEFAULT '',
    comment       TEXT NOT NULL UNIQUE, -- permanent personal deposit comment
    bot_blocked   INTEGER NOT NULL DEFAULT 0, -- the user blocked the bot (403)
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE wallets (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    address    TEXT NOT NULL, -- raw form 0:hex
    public_key TEXT NOT NULL DEFAULT '',
    linked_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX wallets_address ON wallets(address);

CREATE TABLE merchants (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE, -- sha256 of the API token; the token itself is never stored
    webhook_url    TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '',
    webhook_disabled INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
) STRICT;

-- Ledger. An account is a named bucket ("user:42", "merchant:3", "chain:hot",
-- "fees", "unmatched", ...). nonneg accounts (users, merchants) can never go
-- below zero: the CHECK on balances is the last line behind the store's checks.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    nonneg     INTEGER NOT NULL CHECK (nonneg IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

-- A transfer is one balanced movement; its idempotency key makes a replay post once.
CREATE TABLE transfers (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    ref         TEXT NOT NULL DEFAULT '', -- what caused it: chain event, withdrawal, invoice...
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE entries (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    asset       TEXT NOT NULL REFERENCES assets(symbol),
    amount      INTEGER NOT NULL CHECK (amount <> 0),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX entries_account ON entries(account_id, id);
CREATE INDEX entries_transfer ON entries(transfer_id);

CREATE TABLE balances (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    asset      TEXT NOT NULL REFERENCES assets(symbol),
    balance    INTEGER NOT NULL,
    nonneg     INTEGER NOT NULL,
    PRIMARY KEY (account_id, asset),
    CHECK (nonneg = 0 OR balance >= 0)
) STRICT;

CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER transfers_append_only_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;
CREATE TRIGGER transfers_append_only_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;

-- Invoices: a request to pay an amount, matched by comment (or, memo-less, by a unique amount).
CREATE TABLE invoices (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER REFERENCES users(id),
    merchant_id  INTEGER REFERENCES merchants(id),
    asset        TEXT NOT NULL REFERENCES assets(symbol),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    paid_amount  INTEGER NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
    comment      TEXT UNIQUE, -- NULL for memo-less invoices
    memo_less    INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL CHECK (status IN ('created', 'pending', 'paid', 'expired', 'error')),
    late         INTEGER NOT NULL DEFAULT 0, -- paid after it expired
    duplicate    INTEGER NOT NULL DEFAULT 0, -- paid again after it was paid
    description  TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL DEFAULT '',
    external_id  TEXT,
    ext_msg_hash TEXT NOT NULL DEFAULT '', -- TEP-467 normalized hash the wallet reported
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    paid_at      INTEGER,
    updated_at   INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (merchant_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX invoices_external ON invoices(merchant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX invoices_open ON invoices(status, expires_at);
CREATE INDEX invoices_memo_less ON invoices(asset, amount) WHERE memo_less = 1;

-- Every transaction the scanner saw on a watched account, credited or not.
CREATE TABLE chain_events (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL, -- watched account (raw)
    lt          INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    utime       INTEGER NOT NULL,
    kind        TEXT NOT NULL, -- credited, unmatched, dust, bounced, aborted, outgoing, fake_jetton, ...
    asset       TEXT,
    amount      INTEGER NOT NULL DEFAULT 0,
    sender      TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT '',
    invoice_id  TEXT REFERENCES invoices(id),
    user_id     INTEGER REFERENCES users(id),
    merchant_id INTEGER REFERENCES merchants(id),
    transfer_id INTEGER REFERENCES transfers(id),
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (account, lt)
) STRICT;
CREATE INDEX chain_events_kind ON chain_events(kind, id);

CREATE TABLE chain_cursors (
    account    TEXT PRIMARY KEY,
    lt         INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Withdrawals and the Highload v3 batches that pay them.
CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    query_id    INTEGER NOT NULL CHECK (query_id >= 0 AND query_id < 8388608 AND (query_id & 1023) <> 1023),
    created_at_chain INTEGER NOT NULL, -- created_at signed into the message (unix seconds)
    expires_at  INTEGER NOT NULL,      -- unix seconds after which the contract refuses it
    boc         BLOB,
    msg_hash    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('building', 'sent', 'confirmed', 'expired', 'failed')),
    send_count  INTEGER NOT NULL DEFAULT 0,
    tx_hash     TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (query_id, created_at_chain)
) STRICT;

CREATE TABLE withdrawals (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL, -- ledger account debited: user:<id> or merchant:<id>
    user_id     INTEGER REFERENCES users(id),
    merchant_id INTEGER REFERENCES merchants(id),
    idem_key    TEXT NOT NULL,
    asset       TEXT NOT NULL REFERENCES assets(symbol),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    fee         INTEGER NOT NULL CHECK (fee >= 0),
    fee_asset   TEXT NOT NULL REFERENCES assets(symbol),
    destination TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('requested', 'awaiting_approval', 'queued', 'sent', 'confirmed', 'failed', 'refunded', 'rejected')),
    batch_id    INTEGER REFERENCES batches(id),
    tx_hash     TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account, idem_key)
) STRICT;
CREATE INDEX withdrawals_status ON withdrawals(status, id);
CREATE INDEX withdrawals_batch ON withdrawals(batch_id);

-- ton_proof payload nonces, stored when used so a proof cannot be replayed.
CREATE TABLE proof_nonces (
    nonce      TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL
) STRICT;

-- Outbox: events written in the same transaction as the effect they announce;
-- a consumer (topic) marks one done only after delivering it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    topic           TEXT NOT NULL, -- 'bot' (Telegram notifier) or 'webhook'
    type            TEXT NOT NULL, -- deposit.credited, invoice.paid, withdrawal.confirmed, ...
    payload         TEXT NOT NULL, -- JSON
    user_id         INTEGER,
    merchant_id     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    done_at         INTEGER,
    failed_at       INTEGER, -- given up (e.g. the user blocked the bot)
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_pending ON outbox(topic, next_attempt_at) WHERE done_at IS NULL AND failed_at IS NULL;
