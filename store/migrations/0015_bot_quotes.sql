-- A /withdraw the bot quoted, waiting for the user's Confirm, kept in the
-- database so that the node a tap reaches finds it whichever node quoted it
-- (by webhook Telegram posts to any node; polling moves with the leader).
-- The key is the command's chat and message id.
CREATE TABLE bot_quotes (
    key        TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    request    TEXT NOT NULL, -- the WithdrawRequest, JSON
    created_at INTEGER NOT NULL -- ms
) STRICT;
CREATE INDEX bot_quotes_created ON bot_quotes(created_at);
