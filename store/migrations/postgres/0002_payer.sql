-- Payer: what each Highload v3 batch carries, and sweeps to cold storage.

-- value: nanoton the batch's external sends out of the hot wallet (withdrawals,
-- TON attached to jetton transfers, sweep), counted against the balance while
-- the batch is in flight. sweep: of which to cold storage.
ALTER TABLE batches ADD COLUMN value BIGINT NOT NULL DEFAULT 0 CHECK (value >= 0);
ALTER TABLE batches ADD COLUMN sweep BIGINT NOT NULL DEFAULT 0 CHECK (sweep >= 0);
ALTER TABLE batches ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX batches_status ON batches(status, id);

-- Every batch a withdrawal rode in: one is re-issued under a new query id when
-- its batch expired unprocessed or its message was skipped, so a withdrawal
-- may have several rows; at most one of them is 'sent'.
CREATE TABLE batch_items (
    batch_id      BIGINT NOT NULL REFERENCES batches(id),
    withdrawal_id BIGINT NOT NULL REFERENCES withdrawals(id),
    outcome       TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'sent', 'skipped', 'expired')),
    PRIMARY KEY (batch_id, withdrawal_id)
);
CREATE INDEX batch_items_withdrawal ON batch_items(withdrawal_id);
CREATE UNIQUE INDEX batch_items_sent_once ON batch_items(withdrawal_id) WHERE outcome = 'sent';
