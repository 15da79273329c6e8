// Package store owns tonpay's data and money rules: the SQLite schema and
// migrations, the double-entry ledger, invoices, withdrawals, linked wallets,
// chain cursors and the outbox. It imports nothing of ours.
package store
