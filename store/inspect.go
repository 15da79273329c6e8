package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// OpenReadOnly opens an existing database to look at it (tonpay doctor):
// no migration runs and nothing can be written. It fails when path holds no
// tonpay database.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		r.Close()
		return nil, err
	}
	w.SetMaxOpenConns(1)
	db := &DB{w: w, r: r, now: time.Now, path: path, listeners: map[int]func(Change){}}
	var n int
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("not a tonpay database: %w", err)
	}
	return db, nil
}

// CheckWritable tells whether the database at path takes a write lock
// within wait, without writing anything: BEGIN IMMEDIATE, then ROLLBACK. A
// read-only file or directory, or another process holding the write lock
// longer than wait, makes it fail.
func CheckWritable(ctx context.Context, path string, wait time.Duration) error {
	conn, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=rw&_pragma=busy_timeout(%d)", path, wait.Milliseconds()))
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := conn.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, `ROLLBACK`)
	return err
}
