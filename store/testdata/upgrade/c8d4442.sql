-- A database written by tonpay as of commit c8d4442 (see gen_c8d4442.go.txt).
CREATE TABLE schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;
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
, blocked_at INTEGER, blocked_reason TEXT NOT NULL DEFAULT '') STRICT;
CREATE TABLE wallets (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    address    TEXT NOT NULL, -- raw form 0:hex
    public_key TEXT NOT NULL DEFAULT '',
    linked_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE merchants (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE, -- sha256 of the API token; the token itself is never stored
    webhook_url    TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL DEFAULT '',
    webhook_disabled INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    nonneg     INTEGER NOT NULL CHECK (nonneg IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;
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
CREATE TABLE balances (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    asset      TEXT NOT NULL REFERENCES assets(symbol),
    balance    INTEGER NOT NULL,
    nonneg     INTEGER NOT NULL,
    PRIMARY KEY (account_id, asset),
    CHECK (nonneg = 0 OR balance >= 0)
) STRICT;
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
    updated_at   INTEGER NOT NULL, payer_user_id INTEGER REFERENCES users(id),
    CHECK ((user_id IS NULL) <> (merchant_id IS NULL))
) STRICT;
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
CREATE TABLE chain_cursors (
    account    TEXT PRIMARY KEY,
    lt         INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
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
    updated_at  INTEGER NOT NULL, value INTEGER NOT NULL DEFAULT 0 CHECK (value >= 0), sweep INTEGER NOT NULL DEFAULT 0 CHECK (sweep >= 0), note TEXT NOT NULL DEFAULT '',
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
    updated_at  INTEGER NOT NULL, jetton_dest TEXT NOT NULL DEFAULT '', left_at INTEGER,
    UNIQUE (account, idem_key)
) STRICT;
CREATE TABLE proof_nonces (
    nonce      TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL
) STRICT;
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
, redelivered_at INTEGER) STRICT;
CREATE TABLE batch_items (
    batch_id      INTEGER NOT NULL REFERENCES batches(id),
    withdrawal_id INTEGER NOT NULL REFERENCES withdrawals(id),
    outcome       TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'sent', 'skipped', 'expired')),
    PRIMARY KEY (batch_id, withdrawal_id)
) STRICT;
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
CREATE TABLE payout_pause (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    reason     TEXT NOT NULL,
    cause      TEXT NOT NULL, -- 'drift' (lifted when the drift is back to zero) or 'admin'
    episode    TEXT NOT NULL DEFAULT '', -- the drift that caused it (asset=figure,...)
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE drift_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    episode    TEXT NOT NULL,
    block      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE drift_acks (
    episode    TEXT PRIMARY KEY,
    admin_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE star_payments (
    charge_id       TEXT PRIMARY KEY CHECK (charge_id <> ''), -- telegram_payment_charge_id
    user_id         INTEGER NOT NULL,
    package         TEXT NOT NULL DEFAULT '', -- '' when the payload was not ours
    amount          INTEGER NOT NULL CHECK (amount > 0), -- whole Stars
    credits         INTEGER NOT NULL CHECK (credits >= 0),
    period          INTEGER NOT NULL DEFAULT 0, -- subscription period in seconds; 0 for a one-off purchase
    payload         TEXT NOT NULL,
    recurring       INTEGER NOT NULL DEFAULT 0, -- a subscription payment (first or renewal)
    first_recurring INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER, -- subscription_expiration_date (ms)
    source          TEXT NOT NULL, -- 'update' (successful_payment) or 'reconciler' (getStarTransactions)
    status          TEXT NOT NULL CHECK (status IN ('paid', 'refunded')),
    transfer_id     INTEGER NOT NULL REFERENCES transfers(id),
    refund_transfer_id INTEGER REFERENCES transfers(id),
    clawed          INTEGER NOT NULL DEFAULT 0, -- credits the refund took back
    shortfall       INTEGER NOT NULL DEFAULT 0, -- credits it could not (already spent)
    refunded_by     TEXT NOT NULL DEFAULT '', -- 'admin:<id>', 'telegram' (refunded_payment), 'reconciler'
    refunded_at     INTEGER,
    missing_at      INTEGER, -- flagged: Telegram's transaction list does not have it
    created_at      INTEGER NOT NULL
) STRICT;
CREATE TABLE star_subscriptions (
    user_id     INTEGER NOT NULL,
    package     TEXT NOT NULL,
    charge_id   TEXT NOT NULL,
    last_charge TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    credits     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL, -- the paid period ends (ms); renewed before it unless canceled
    canceled    INTEGER NOT NULL DEFAULT 0,
    payments    INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, package)
) STRICT;
CREATE TABLE merchant_owners (
    merchant_id INTEGER NOT NULL REFERENCES merchants(id),
    user_id     INTEGER NOT NULL CHECK (user_id > 0),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, user_id)
) STRICT;
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
INSERT INTO "schema_migrations" VALUES ('0001_init.sql', 1780315200000);
INSERT INTO "schema_migrations" VALUES ('0002_payer.sql', 1780315200000);
INSERT INTO "schema_migrations" VALUES ('0003_invoice_payer.sql', 1780315200000);
INSERT INTO "schema_migrations" VALUES ('0004_books.sql', 1780315200000);
INSERT INTO "schema_migrations" VALUES ('0006_stars.sql', 1780315200000);
INSERT INTO "schema_migrations" VALUES ('0007_dashboards.sql', 1780315200000);
INSERT INTO "assets" VALUES ('TON', 9, NULL);
INSERT INTO "assets" VALUES ('USDT', 6, '0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe');
INSERT INTO "assets" VALUES ('CREDITS', 0, NULL);
INSERT INTO "users" VALUES (1001, '', 'Ann', 'en', 'BQ5DPAAJ', 0, 1780315200000, 1780315200000, NULL, '');
INSERT INTO "users" VALUES (1002, '', 'Boris', 'ru', 'M84GT5UW', 0, 1780315200000, 1780315200000, NULL, '');
INSERT INTO "merchants" VALUES (1, 'Coffee shop', 'af271eddf02a043af5be0153c94cb3aa547b9aa7c374a5d79d556957f86b2203', 'http://127.0.0.1:39069/hooks', 'whsec_ddede20e18ad5bef34cb3e9071ca2fa291f1fa2cd0de5671', 0, 1780315560000);
INSERT INTO "accounts" VALUES (1, 'user:1001', 1, 1780315260000);
INSERT INTO "accounts" VALUES (2, 'chain:hot', 0, 1780315260000);
INSERT INTO "accounts" VALUES (3, 'user:1002', 1, 1780315320000);
INSERT INTO "accounts" VALUES (4, 'unmatched', 0, 1780315380000);
INSERT INTO "accounts" VALUES (5, 'sales', 0, 1780315440000);
INSERT INTO "accounts" VALUES (6, 'issued:credits', 0, 1780315440000);
INSERT INTO "accounts" VALUES (7, 'hold:withdrawals', 0, 1780315500000);
INSERT INTO "accounts" VALUES (8, 'merchant:1', 1, 1780315680000);
INSERT INTO "transfers" VALUES (1, 'chain:0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12:10', 'chain', 'credited', '000000000000000000000000000000000000000000000000000000000000000a', 1780315260000);
INSERT INTO "transfers" VALUES (2, 'chain:0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12:11', 'chain', 'credited', '000000000000000000000000000000000000000000000000000000000000000b', 1780315320000);
INSERT INTO "transfers" VALUES (3, 'chain:0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12:12', 'chain', 'unmatched', '000000000000000000000000000000000000000000000000000000000000000c', 1780315380000);
INSERT INTO "transfers" VALUES (4, 'purchase:1001:buy-1', 'purchase', 'package starter', 'starter', 1780315440000);
INSERT INTO "transfers" VALUES (5, 'withdrawal:1', 'withdrawal', 'withdrawal to 0QBVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVaVg', '1', 1780315500000);
INSERT INTO "transfers" VALUES (6, 'chain:0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12:13', 'chain', 'credited', '000000000000000000000000000000000000000000000000000000000000000d', 1780315680000);
INSERT INTO "transfers" VALUES (7, 'withdrawal:2', 'withdrawal', 'withdrawal to 0QBVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVaVg', '2', 1780315860000);
INSERT INTO "entries" VALUES (1, 1, 1, 'TON', 5000000000, 1780315260000);
INSERT INTO "entries" VALUES (2, 1, 2, 'TON', -5000000000, 1780315260000);
INSERT INTO "entries" VALUES (3, 2, 3, 'TON', 3000000000, 1780315320000);
INSERT INTO "entries" VALUES (4, 2, 2, 'TON', -3000000000, 1780315320000);
INSERT INTO "entries" VALUES (5, 3, 4, 'TON', 700000000, 1780315380000);
INSERT INTO "entries" VALUES (6, 3, 2, 'TON', -700000000, 1780315380000);
INSERT INTO "entries" VALUES (7, 4, 1, 'TON', -1500000000, 1780315440000);
INSERT INTO "entries" VALUES (8, 4, 5, 'TON', 1500000000, 1780315440000);
INSERT INTO "entries" VALUES (9, 4, 6, 'CREDITS', -100, 1780315440000);
INSERT INTO "entries" VALUES (10, 4, 1, 'CREDITS', 100, 1780315440000);
INSERT INTO "entries" VALUES (11, 5, 1, 'TON', -1010000000, 1780315500000);
INSERT INTO "entries" VALUES (12, 5, 7, 'TON', 1010000000, 1780315500000);
INSERT INTO "entries" VALUES (13, 6, 8, 'TON', 2000000000, 1780315680000);
INSERT INTO "entries" VALUES (14, 6, 2, 'TON', -2000000000, 1780315680000);
INSERT INTO "entries" VALUES (15, 7, 8, 'TON', -510000000, 1780315860000);
INSERT INTO "entries" VALUES (16, 7, 7, 'TON', 510000000, 1780315860000);
INSERT INTO "balances" VALUES (1, 'TON', 2490000000, 1);
INSERT INTO "balances" VALUES (2, 'TON', -10700000000, 0);
INSERT INTO "balances" VALUES (3, 'TON', 3000000000, 1);
INSERT INTO "balances" VALUES (4, 'TON', 700000000, 0);
INSERT INTO "balances" VALUES (5, 'TON', 1500000000, 0);
INSERT INTO "balances" VALUES (6, 'CREDITS', -100, 0);
INSERT INTO "balances" VALUES (1, 'CREDITS', 100, 1);
INSERT INTO "balances" VALUES (7, 'TON', 1520000000, 0);
INSERT INTO "balances" VALUES (8, 'TON', 1490000000, 1);
INSERT INTO "invoices" VALUES ('inv_bfd126b336ab4991f413', 1002, NULL, 'TON', 1000000000, 0, 'CHBUYVH2', 0, 'created', 0, 0, 'top-up', '', NULL, '', 1780315500000, 1780316700000, NULL, 1780315500000, NULL);
INSERT INTO "invoices" VALUES ('inv_a30172b6cb7e9ae882b0', NULL, 1, 'TON', 2000000000, 2000000000, '49GNZUWN', 0, 'paid', 0, 0, 'Two flat whites', '', 'order-1', '', 1780315620000, 1780316820000, 1780315680000, 1780315680000, NULL);
INSERT INTO "invoices" VALUES ('inv_8b6236a4646b38e4bf41', NULL, 1, 'TON', 1500000000, 0, 'RG3QY58R', 0, 'created', 0, 0, '', '', 'order-2', '', 1780315740000, 1780316940000, NULL, 1780315740000, NULL);
INSERT INTO "chain_events" VALUES (1, '0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12', 10, '000000000000000000000000000000000000000000000000000000000000000a', 1780315260000, 'credited', 'TON', 5000000000, '0:7777777777777777777777777777777777777777777777777777777777777777', 'BQ5DPAAJ', NULL, 1001, NULL, 1, 'personal comment', 1780315260000);
INSERT INTO "chain_events" VALUES (2, '0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12', 11, '000000000000000000000000000000000000000000000000000000000000000b', 1780315320000, 'credited', 'TON', 3000000000, '0:7777777777777777777777777777777777777777777777777777777777777777', 'M84GT5UW', NULL, 1002, NULL, 2, 'personal comment', 1780315320000);
INSERT INTO "chain_events" VALUES (3, '0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12', 12, '000000000000000000000000000000000000000000000000000000000000000c', 1780315380000, 'unmatched', 'TON', 700000000, '0:7777777777777777777777777777777777777777777777777777777777777777', 'NOBODY', NULL, NULL, NULL, 3, 'unknown comment', 1780315380000);
INSERT INTO "chain_events" VALUES (4, '0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12', 13, '000000000000000000000000000000000000000000000000000000000000000d', 1780315680000, 'credited', 'TON', 2000000000, '0:7777777777777777777777777777777777777777777777777777777777777777', '49GNZUWN', 'inv_a30172b6cb7e9ae882b0', NULL, 1, 6, 'invoice', 1780315680000);
INSERT INTO "chain_cursors" VALUES ('0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12', 13, '000000000000000000000000000000000000000000000000000000000000000d', 1780315680000);
INSERT INTO "withdrawals" VALUES (1, 'user:1001', 1001, NULL, 'w-1', 'TON', 1000000000, 10000000, 'TON', '0QBVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVaVg', '', 'queued', NULL, '', '', 1780315500000, 1780315500000, '', NULL);
INSERT INTO "withdrawals" VALUES (2, 'merchant:1', NULL, 1, 'spend-1', 'TON', 500000000, 10000000, 'TON', '0QBVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVaVg', '', 'queued', NULL, '', '', 1780315860000, 1780315860000, '', NULL);
INSERT INTO "outbox" VALUES (1, 'bot', 'deposit.credited', '{"user_id":1001,"asset":"TON","amount":"5000000000","balance":"5000000000","tx_hash":"000000000000000000000000000000000000000000000000000000000000000a","chain_event_id":1}', 1001, NULL, 0, 1780315260000, NULL, NULL, '', 1780315260000, NULL);
INSERT INTO "outbox" VALUES (2, 'bot', 'deposit.credited', '{"user_id":1002,"asset":"TON","amount":"3000000000","balance":"3000000000","tx_hash":"000000000000000000000000000000000000000000000000000000000000000b","chain_event_id":2}', 1002, NULL, 0, 1780315320000, NULL, NULL, '', 1780315320000, NULL);
INSERT INTO "outbox" VALUES (3, 'webhook', 'invoice.paid', '{"invoice_id":"inv_a30172b6cb7e9ae882b0","external_id":"order-1","status":"paid","asset":"TON","amount":"2000000000","paid":"2000000000","tx_hash":"000000000000000000000000000000000000000000000000000000000000000d"}', NULL, 1, 1, 1780315680000, 1780315800000, NULL, '', 1780315680000, NULL);
INSERT INTO "reconciliations" VALUES ('TON', 100, 1780315920, 10700000000, 10700000000, 0, NULL, 1780315920000);
INSERT INTO "reconciliations" VALUES ('USDT', 100, 1780315920, 0, 0, 0, NULL, 1780315920000);
INSERT INTO "drift_state" VALUES (1, '', 100, 1780315920000);
INSERT INTO "audit_log" VALUES (1, 0, 'operator (CLI)', 'operator', 1, 'merchant.add', 'merchant Coffee shop', '', 'created', 1780315560000);
CREATE INDEX wallets_address ON wallets(address);
CREATE INDEX entries_account ON entries(account_id, id);
CREATE INDEX entries_transfer ON entries(transfer_id);
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER transfers_append_only_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;
CREATE TRIGGER transfers_append_only_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are append-only'); END;
CREATE UNIQUE INDEX invoices_external ON invoices(merchant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX invoices_open ON invoices(status, expires_at);
CREATE INDEX invoices_memo_less ON invoices(asset, amount) WHERE memo_less = 1;
CREATE INDEX chain_events_kind ON chain_events(kind, id);
CREATE INDEX withdrawals_status ON withdrawals(status, id);
CREATE INDEX withdrawals_batch ON withdrawals(batch_id);
CREATE INDEX outbox_pending ON outbox(topic, next_attempt_at) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE INDEX batches_status ON batches(status, id);
CREATE INDEX batch_items_withdrawal ON batch_items(withdrawal_id);
CREATE UNIQUE INDEX batch_items_sent_once ON batch_items(withdrawal_id) WHERE outcome = 'sent';
CREATE INDEX star_payments_user ON star_payments(user_id, created_at);
CREATE INDEX merchant_owners_user ON merchant_owners(user_id);
CREATE INDEX audit_log_merchant ON audit_log(merchant_id, id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE INDEX outbox_merchant ON outbox(merchant_id, id) WHERE merchant_id IS NOT NULL;
CREATE INDEX chain_events_invoice ON chain_events(invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX chain_events_time ON chain_events(kind, utime, asset, amount);
