-- Per-user limits read these on every request: a user's withdrawals of an
-- asset in the last 24 hours (and those not yet sent), and their open
-- invoices.
CREATE INDEX withdrawals_account_time ON withdrawals(account, asset, created_at);
CREATE INDEX invoices_user_open ON invoices(user_id, status, expires_at) WHERE user_id IS NOT NULL;
