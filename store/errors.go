package store

import (
	"database/sql"
	"errors"
)

// Sentinel errors. Callers test them with errors.Is; the HTTP and bot layers
// map them to user-facing codes in one place each.
var (
	ErrNotFound          = errors.New("not found")
	ErrInsufficientFunds = errors.New("insufficient funds")
	ErrDuplicate         = errors.New("duplicate")
	ErrUnbalanced        = errors.New("transfer does not balance")
	ErrInvalid           = errors.New("invalid")
	ErrConflict          = errors.New("conflict")
	ErrUnknownAsset      = errors.New("unknown asset")
	ErrBlocked           = errors.New("blocked by an administrator")
	// ErrBusy: the write lost to concurrent ones more often than the store
	// retries it (PostgreSQL's serialization failures and deadlocks,
	// SQLite's busy database); nothing was written, it may be tried again.
	ErrBusy = errors.New("the database is busy")
)

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
