package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tonpay/tonpay/store"
)

// migrateToPostgres copies the SQLite database at DB_PATH into the empty
// PostgreSQL database at DATABASE_URL and verifies the copy.
func migrateToPostgres(ctx context.Context, cfg *Config, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		return errors.New("set DATABASE_URL to the empty PostgreSQL database to copy into (and DB_PATH to the SQLite file, if not data/tonpay.db)")
	}
	if _, err := os.Stat(cfg.DBPath); err != nil {
		return fmt.Errorf("database %s: %v (set DB_PATH as the service has it)", cfg.DBPath, unwrapPath(err))
	}
	start := time.Now()
	rep, err := store.CopyToPostgres(ctx, cfg.DBPath, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range rep.Rows {
		rows += n
	}
	fmt.Fprintf(stdout, "copied %s into %s in %s: schema %s, %d rows in %d tables (%d transfers, %d entries); verified: the same rows, %d balances equal, the ledger's invariants hold\n",
		cfg.DBPath, cfg.DatabaseName(), time.Since(start).Round(time.Millisecond), rep.Schema, rows, len(rep.Rows), rep.Transfers, rep.Entries, rep.Balances)
	fmt.Fprintln(stdout, "keep DATABASE_URL set from now on; the SQLite file is unchanged (keep it as the copy's source until you trust the new database)")
	return nil
}
