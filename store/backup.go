package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// BackupTimeLayout dates backup file names (UTC): tonpay-20260714T101500Z.db.
const BackupTimeLayout = "20060102T150405Z"

// BackupReport is what VerifyBackup found in a copy of the database.
type BackupReport struct {
	Path string
	Size int64 // bytes

	// Integrity is "ok", or what PRAGMA integrity_check reported (its first
	// lines).
	Integrity string
	Schema    string   // the last migration applied in the copy
	Pending   []string // migrations of this build the copy lacks: they run when it is opened
	Unknown   []string // migrations in the copy this build does not know: a newer tonpay made it

	Transfers int64
	Entries   int64
	// Problems are the ledger's broken invariants (Audit): entries that do
	// not sum to zero per asset, cached balances that differ from their
	// entries, negative user or merchant balances.
	Problems []string
}

// Err is nil when the copy is sound: integrity ok, a schema this build
// knows, and a ledger whose invariants hold.
func (r BackupReport) Err() error {
	var errs []error
	if r.Integrity != "ok" {
		errs = append(errs, fmt.Errorf("integrity_check: %s", r.Integrity))
	}
	if len(r.Unknown) > 0 {
		errs = append(errs, fmt.Errorf("migrations unknown to this tonpay (a newer version made it): %s", strings.Join(r.Unknown, ", ")))
	}
	if len(r.Problems) > 0 {
		errs = append(errs, fmt.Errorf("ledger: %s", strings.Join(r.Problems, "; ")))
	}
	return errors.Join(errs...)
}

// KnownMigrations lists the migrations this build applies, in order.
func KnownMigrations() []string {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "migrations/")
	}
	return names
}

// MigrationState compares the migrations applied to a database with the
// ones this build knows.
func MigrationState(applied []string) (pending, unknown []string) {
	known := KnownMigrations()
	for _, k := range known {
		if !slices.Contains(applied, k) {
			pending = append(pending, k)
		}
	}
	for _, a := range applied {
		if !slices.Contains(known, a) {
			unknown = append(unknown, a)
		}
	}
	return pending, unknown
}

// Backup copies this database to path and verifies the copy; see BackupFile.
func (db *DB) Backup(ctx context.Context, path string) (BackupReport, error) {
	if db.pg {
		return BackupReport{}, errors.New("backup copies a SQLite file: back PostgreSQL up with its own tools (pg_dump, point-in-time recovery)")
	}
	return BackupFile(ctx, db.path, path)
}

// BackupFile copies the SQLite database at src to dst while other
// connections, in this process or another, keep writing to it, then
// verifies the copy (VerifyBackup). VACUUM INTO reads one snapshot in a read
// transaction (WAL lets the writer go on meanwhile): the copy holds every
// transaction committed before it began and nothing of one committed after.
// The copy is written to a temporary file beside dst, synced, and only then
// given its name, so dst is either complete or absent; it is readable by its
// owner only (it holds every balance and every merchant's secrets). dst must
// not exist. The error is about making the copy; what the copy holds is
// judged by the report's Err.
func BackupFile(ctx context.Context, src, dst string) (BackupReport, error) {
	if _, err := os.Stat(src); err != nil {
		return BackupReport{}, fmt.Errorf("database: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return BackupReport{}, fmt.Errorf("%s already exists", dst)
	}
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp") // mode 0600
	if err != nil {
		return BackupReport{}, fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // after the link below, only the temporary name goes

	// A connection of its own: mode=ro still lets VACUUM INTO write its
	// target, and keeps the source safe from this code.
	conn, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return BackupReport{}, fmt.Errorf("backup: %w", err)
	}
	conn.SetMaxOpenConns(1)
	_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, tmpName)
	conn.Close()
	if err != nil {
		return BackupReport{}, fmt.Errorf("backup: vacuum into %s: %w", tmpName, err)
	}
	if err := syncFile(tmpName); err != nil {
		return BackupReport{}, fmt.Errorf("backup: %w", err)
	}
	report, err := VerifyBackup(ctx, tmpName)
	if err != nil {
		return BackupReport{}, fmt.Errorf("backup: verify: %w", err)
	}
	// A hard link never replaces a file that appeared meanwhile.
	if err := os.Link(tmpName, dst); err != nil {
		return BackupReport{}, fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return BackupReport{}, fmt.Errorf("backup: %w", err)
	}
	report.Path = dst
	return report, nil
}

// VerifyBackup opens the copy at path read-only and checks it: PRAGMA
// integrity_check, its migrations against this build's, and the ledger's
// invariants (Audit). The error says it could not be checked at all (not a
// database, unreadable); a copy with problems is described by the report.
func VerifyBackup(ctx context.Context, path string) (BackupReport, error) {
	r := BackupReport{Path: path}
	info, err := os.Stat(path)
	if err != nil {
		return r, err
	}
	r.Size = info.Size()
	// mode=ro: verifying never changes the copy (a restored copy must be
	// the bytes that were verified).
	pool, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return r, err
	}
	defer pool.Close()
	if r.Integrity, err = integrity(ctx, pool); err != nil {
		return r, err
	}
	applied, err := appliedMigrations(ctx, pool)
	if err != nil {
		return r, fmt.Errorf("migrations: %w", err)
	}
	if len(applied) > 0 {
		r.Schema = applied[len(applied)-1]
	}
	r.Pending, r.Unknown = MigrationState(applied)
	if err := pool.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM transfers), (SELECT count(*) FROM entries)`).Scan(&r.Transfers, &r.Entries); err != nil {
		return r, fmt.Errorf("ledger: %w", err)
	}
	if r.Problems, err = audit(ctx, pool); err != nil {
		return r, fmt.Errorf("ledger: %w", err)
	}
	return r, nil
}

// Integrity runs PRAGMA integrity_check on the database: "ok", or the
// first problems it found.
func (db *DB) Integrity(ctx context.Context) (string, error) { return integrity(ctx, db.r) }

func integrity(ctx context.Context, pool *sql.DB) (string, error) {
	rows, err := pool.QueryContext(ctx, `PRAGMA integrity_check(20)`)
	lines, err := scanRows(rows, err, scanString)
	if err != nil {
		return "", fmt.Errorf("integrity_check: %w", err)
	}
	return strings.Join(lines, "; "), nil
}

func appliedMigrations(ctx context.Context, pool *sql.DB) ([]string, error) {
	rows, err := pool.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	return scanRows(rows, err, scanString)
}

func scanString(s interface{ Scan(...any) error }) (string, error) {
	var v string
	return v, s.Scan(&v)
}

// migrationBackup is WithMigrationBackup's setting.
type migrationBackup struct {
	dir  string
	done func(BackupReport)
}

// WithMigrationBackup makes Open copy a database that already holds data
// before it applies a pending migration: into dir (the database's own
// directory when dir is ""), named with the schema it holds and the time,
// like tonpay-schema-0004_books-20260714T101500Z.db, verified, and reported
// to done. A copy that cannot be made, or whose integrity check fails,
// stops Open before anything is migrated.
func WithMigrationBackup(dir string, done func(BackupReport)) Option {
	return func(db *DB) { db.beforeMigrate = &migrationBackup{dir: dir, done: done} }
}

// backupBeforeMigrate makes WithMigrationBackup's copy when a migration is
// pending on a database with at least one applied.
func (db *DB) backupBeforeMigrate(ctx context.Context) error {
	applied, err := appliedMigrations(ctx, db.w)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, _ := MigrationState(applied)
	if len(applied) == 0 || len(pending) == 0 {
		return nil // a new database, or nothing to do
	}
	dir := db.beforeMigrate.dir
	if dir == "" {
		dir = filepath.Dir(db.path)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("copy before migrating: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(db.path), filepath.Ext(db.path))
	schema := strings.TrimSuffix(applied[len(applied)-1], ".sql")
	dst := filepath.Join(dir, fmt.Sprintf("%s-schema-%s-%s.db", base, schema, time.Now().UTC().Format(BackupTimeLayout)))
	report, err := BackupFile(ctx, db.path, dst)
	if err != nil {
		return fmt.Errorf("copy before migrating to %s: %w", pending[0], err)
	}
	if report.Integrity != "ok" {
		return fmt.Errorf("copy before migrating to %s: %s: integrity_check: %s; nothing was migrated", pending[0], dst, report.Integrity)
	}
	if db.beforeMigrate.done != nil {
		db.beforeMigrate.done(report)
	}
	return nil
}

// syncFile flushes a file (or a directory's entries) to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
