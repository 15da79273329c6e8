package store

import (
	"context"
	"database/sql"
	"errors"
)

// Cursor is the last transaction of a watched account that was fully
// processed: the scanner resumes after it.
type Cursor struct {
	Account string
	LT      uint64
	Hash    string // hex
}

// Cursor returns the stored cursor of an account; ErrNotFound when the
// account was never scanned.
func (db *DB) Cursor(ctx context.Context, account string) (Cursor, error) {
	c := Cursor{Account: account}
	var lt int64
	err := db.r.QueryRowContext(ctx, `SELECT lt, hash FROM chain_cursors WHERE account = ?`, account).Scan(&lt, &c.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	c.LT = uint64(lt)
	return c, err
}

// SetCursor stores a cursor on its own (used when a scan starts from the
// chain's present rather than its past).
func (db *DB) SetCursor(ctx context.Context, c Cursor) error {
	return db.write(ctx, func(tx *Tx) error { return tx.setCursor(ctx, c) })
}

func (tx *Tx) setCursor(ctx context.Context, c Cursor) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO chain_cursors(account, lt, hash, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(account) DO UPDATE SET lt = excluded.lt, hash = excluded.hash, updated_at = excluded.updated_at`,
		c.Account, int64(c.LT), c.Hash, ms(tx.now))
	return err
}
