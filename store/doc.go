// Package store owns tonpay's data and money rules: the schema and
// migrations, the double-entry ledger, invoices, withdrawals, linked wallets,
// chain cursors and the outbox. It imports nothing of ours.
//
// # Engines
//
// The store runs on SQLite (a file, DB_PATH: the default) or on PostgreSQL
// (DATABASE_URL=postgres://...), behind one API: Open takes either, and
// nothing above the store knows which is below (engine.go). The queries are
// one set of portable SQL strings written with ? placeholders, rewritten to
// $n for PostgreSQL in the driver layer; each engine has its own migrations
// under the same names (migrations/, migrations/postgres/). Errors that mean
// the same are read in one place (isConstraint, isContention): a unique,
// CHECK or foreign key violation is a constraint violation on both; a
// serialization failure or deadlock (PostgreSQL) and a busy database
// (SQLite) are contention, and contention that outlasts the retries is
// ErrBusy.
//
// # What keeps money exact, and on what it relies
//
// On SQLite one writer connection runs every write transaction after the
// other. On PostgreSQL many run at once, each SERIALIZABLE: one that loses
// to a concurrent one (SQLSTATE 40001 or 40P01) is rolled back and run
// again from the start (DB.write: bounded attempts, jittered backoff), so
// every effect behaves as if the writes ran one after the other, as on
// SQLite. The functions given to write are safe to run again: they touch
// nothing outside the transaction and set what they return afresh on each
// run. Beneath that, each rule is also held by the database itself:
//
//   - No user or merchant balance below zero: the debit is a conditional
//     UPDATE balances ... WHERE nonneg = 0 OR balance + amount >= 0
//     (addBalance), which takes the row's lock; the CHECK (nonneg = 0 OR
//     balance >= 0) on balances is the backstop.
//   - Every transfer balances and is posted once: the sum of its legs is
//     checked before any row is written; transfers.key is UNIQUE, and a
//     replay with the same key finds the first (ErrDuplicate) or differs
//     (ErrConflict). Entries and transfers are append-only: triggers refuse
//     UPDATE and DELETE on both engines (and TRUNCATE on PostgreSQL).
//   - Idempotency keys (withdrawals UNIQUE (account, idem_key), invoices'
//     external ids, Stars charge ids, proof nonces, subscription updates):
//     UNIQUE constraints. A write that looks a key up before inserting it
//     and races a concurrent insert of the same key gets a serialization
//     failure on PostgreSQL (not a unique violation), runs again and finds
//     the row.
//   - Each chain transaction is booked exactly once: chain_events UNIQUE
//     (account, lt), in the same transaction as its transfer and the
//     account's cursor; the cursor only moves forward (its upsert is
//     conditional on a greater lt).
//   - One payout per withdrawal: a withdrawal moves between statuses by
//     conditional UPDATEs (WHERE status = the expected one), and the partial
//     UNIQUE index batch_items_sent_once lets at most one batch item of a
//     withdrawal be 'sent'.
//   - Limits read in the write that they limit (daily caps, queued
//     withdrawals, open invoices): serializable on PostgreSQL, the single
//     writer on SQLite.
//
// Reads run on a separate read-only pool and see committed data.
package store
