package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
	"github.com/tonpay/tonpay/store"
)

// ErrBackupBad is backup's answer when the copy was made but does not
// verify: exit code 1, the copy kept for inspection.
var ErrBackupBad = errors.New("the copy does not verify")

// ErrBackupPostgres is backup's answer on PostgreSQL: nothing was copied.
// A copy of the file is SQLite's backup; PostgreSQL's are its own base
// backups and WAL archive, which restore to any moment (point-in-time
// recovery), or a managed service's.
var ErrBackupPostgres = errors.New("no copy made: with DATABASE_URL the database's own backups are what counts: " +
	"base backups (pg_basebackup, pgBackRest or Barman) with WAL archiving (archive_mode=on) for point-in-time recovery, " +
	"or a managed PostgreSQL's point-in-time recovery; tonpay doctor checks the archiving and the live ledger's invariants " +
	"(README.md, Past one machine)")

// Backup is `tonpay backup FILE`: a consistent copy of the database,
// made while the service may be running, then verified. FILE may be a
// directory: the copy is named tonpay-<UTC time>.db inside it.
//
// On PostgreSQL (DATABASE_URL) it makes no copy and says so (ErrBackupPostgres):
// the database's own backups are what counts there.
func Backup(ctx context.Context, e Env, dst string, stdout io.Writer) error {
	if e.Postgres {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(e.DBPath); err != nil {
		return fmt.Errorf("database %s: %v (set DB_PATH as the service has it)", e.DBPath, unwrapPath(err))
	}
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		name := backupName(e.DBPath, time.Now())
		path := filepath.Join(dst, name)
		for i := 2; ; i++ { // two copies within a second
			if _, err := os.Lstat(path); err != nil {
				break
			}
			path = filepath.Join(dst, fmt.Sprintf("%s-%d.db", strings.TrimSuffix(name, ".db"), i))
		}
		dst = path
	}
	start := time.Now()
	report, err := store.BackupFile(ctx, e.DBPath, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s in %s\n%s\n", report.Path, doctor.HumanBytes(report.Size), time.Since(start).Round(time.Millisecond), describeBackup(report))
	if err := report.Err(); err != nil {
		return fmt.Errorf("%w: %s; it is kept at %s for inspection", ErrBackupBad, strings.ReplaceAll(err.Error(), "\n", "; "), report.Path)
	}
	return nil
}

// describeBackup says what a verified copy holds, in one line.
func describeBackup(r store.BackupReport) string {
	schema := r.Schema + " (current)"
	if len(r.Pending) > 0 {
		schema = fmt.Sprintf("%s (%d migration(s) behind this tonpay: they run when the copy is opened)", r.Schema, len(r.Pending))
	}
	ledger := "entries sum to zero per asset, cached balances equal their entries"
	if len(r.Problems) > 0 {
		ledger = fmt.Sprintf("%d problem(s): %s", len(r.Problems), strings.Join(r.Problems, "; "))
	}
	return fmt.Sprintf("integrity %s; schema %s; ledger: %d transfers, %d entries; %s", r.Integrity, schema, r.Transfers, r.Entries, ledger)
}

// backupName names a scheduled backup of the database at dbPath taken at t:
// tonpay-20260714T101500Z.db.
func backupName(dbPath string, t time.Time) string {
	return backupBase(dbPath) + "-" + t.UTC().Format(store.BackupTimeLayout) + ".db"
}

func backupBase(dbPath string) string {
	return strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
}
