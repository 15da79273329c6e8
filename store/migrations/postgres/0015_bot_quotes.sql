-- PostgreSQL's twin of migrations/0015_bot_quotes.sql: a /withdraw the bot
-- quoted, waiting for the user's Confirm, for whichever node the tap
-- reaches.
CREATE TABLE bot_quotes (
    key        TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    request    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bot_quotes_created ON bot_quotes(created_at);
