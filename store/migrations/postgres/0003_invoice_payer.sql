-- The Mini App user who reported paying a merchant invoice (POST
-- /api/invoices/{id}/boc): their event stream hears the invoice's changes.
-- Informational only: it never decides who is credited.
ALTER TABLE invoices ADD COLUMN payer_user_id BIGINT REFERENCES users(id);
