package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// DB is tonpay's database: a writer pool beside a read pool. On SQLite
// (the default) the writer is exactly one connection; on PostgreSQL
// (engine.go) writers run at once, each write serializable.
type DB struct {
	w    *sql.DB // SQLite: exactly one connection, SQLite has one writer anyway
	r    *sql.DB // readers (WAL lets them run beside the writer)
	now  func() time.Time
	path string // the SQLite file; "" on PostgreSQL
	pg   bool   // the engine is PostgreSQL

	// On PostgreSQL: the channel other nodes' changes arrive on, this
	// node's name in it, and how to stop listening (changes_pg.go).
	channel       string
	node          string
	stopListening context.CancelFunc
	listenIdle    time.Duration // listenIdleCheck unless a test shortens it

	// beforeMigrate, when set, copies a database that holds data before a
	// pending migration changes it (WithMigrationBackup).
	beforeMigrate *migrationBackup

	failpoint func(step string) error
	onQuery   func(query string) // WithQueryHook (queryhook.go)

	log *slog.Logger // slog.Default() unless WithLogger

	stmts  sync.Map // query -> *sql.Stmt prepared on the writer
	nstmts atomic.Int64
	reads  sync.Map // query -> *sql.Stmt on the read pool (hot reads)

	known sync.Map // symbol -> Asset: the recorded assets (Assets, the registry)

	deriver atomic.Pointer[DepositDeriver] // how deposit addresses are derived (deposit_wallets.go)

	gen atomic.Uint64 // Generation

	mu        sync.Mutex
	listeners map[int]func(Change)
	nextL     int
}

// Option configures Open.
type Option func(*DB)

// WithClock makes the store read time from now (tests fix the clock).
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// WithLogger gives the store a logger for what it does on its own (on
// PostgreSQL: the connection it hears the other nodes on). slog.Default()
// without it.
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// WithFailpoint makes the store call fn at named steps inside its
// transactions; an error from fn aborts the transaction there. Crash tests
// use it to stop a write at every step.
func WithFailpoint(fn func(step string) error) Option { return func(db *DB) { db.failpoint = fn } }

func (db *DB) fail(step string) error {
	if db.failpoint == nil {
		return nil
	}
	return db.failpoint(step)
}

// Open opens the database and applies pending migrations: the PostgreSQL
// database a postgres:// URL names (IsPostgresURL), else the SQLite file at
// path, created if needed.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if IsPostgresURL(path) {
		w, r, err := openPostgres(ctx, path, queryHookOf(opts))
		if err != nil {
			return nil, err
		}
		db, err := setUp(ctx, &DB{w: w, r: r, now: time.Now, pg: true, listeners: map[int]func(Change){}}, opts)
		if err != nil {
			return nil, err
		}
		if err := db.startListening(ctx, path); err != nil {
			db.Close()
			return nil, fmt.Errorf("open database: listen for other nodes' changes: %w", err)
		}
		return db, nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// The file holds every balance and every merchant's webhook secret: it
	// is the owner's only (0600), made so before SQLite opens it, whatever
	// the umask; SQLite gives its -wal and -shm the file's mode.
	if err := privateFile(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	q := url.Values{}
	// busy_timeout first so every later pragma already waits for a lock.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	dsn := "file:" + path + "?" + q.Encode()

	hook := queryHookOf(opts)
	w, err := openSQLite(dsn+"&_txlock=immediate", hook)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := openSQLite(dsn+"&_pragma=query_only(1)", hook)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	// database/sql hands a freed connection to a RANDOM waiter, so a pool
	// smaller than the concurrency gives some requests long waits; readers
	// are cheap (WAL), so allow as many as a busy API has requests.
	r.SetMaxOpenConns(64)
	r.SetMaxIdleConns(64)
	db, err := setUp(ctx, &DB{w: w, r: r, now: time.Now, path: path, listeners: map[int]func(Change){}}, opts)
	if err != nil {
		return nil, err
	}
	// The journals exist now (WAL): owner only as well, even when an older
	// version made them readable by others.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := tighten(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			db.Close()
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	return db, nil
}

// setUp applies opts to a freshly opened db, migrates it and loads what it
// keeps in memory; on error db is closed.
func setUp(ctx context.Context, db *DB, opts []Option) (*DB, error) {
	for _, o := range opts {
		o(db)
	}
	if db.log == nil {
		db.log = slog.Default()
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.loadKnown(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// privateFile creates the file at path with mode 0600 when it does not
// exist, and takes away what group and others may do with one that does.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		f.Close()
		return os.Chmod(path, 0o600) // a umask could only take bits away; be exact
	case errors.Is(err, fs.ErrExist):
		// Another user's file (an operator's copy) stays as it is.
		if err := tighten(path); err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
		return nil
	}
	return err
}

// tighten removes group and other permissions from the file at path.
func tighten(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return os.Chmod(path, m&^0o077)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.stopListening != nil {
		db.stopListening()
	}
	db.stmts.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
	db.reads.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
	return errors.Join(db.r.Close(), db.w.Close())
}

// Now is the store's clock.
func (db *DB) Now() time.Time { return db.now() }

// Migrations lists applied migration names, oldest first.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// migrate applies each embedded migration not yet recorded, in name order,
// each in its own transaction together with its record. Each engine has
// its own files under the same names (migrations/ for SQLite,
// migrations/postgres/ for PostgreSQL), so schema_migrations reads the same
// on both.
func (db *DB) migrate(ctx context.Context) error {
	dir, table := "migrations/", `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`
	if db.pg {
		dir, table = "migrations/postgres/", `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`
		// Nodes starting together migrate one after another.
		unlock, err := db.lockMigrations(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer unlock()
	}
	if _, err := db.w.ExecContext(ctx, table); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, dir+"*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if db.beforeMigrate != nil && !db.pg {
		if err := db.backupBeforeMigrate(ctx); err != nil {
			return err
		}
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, dir)
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = db.write(ctx, func(tx *Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, base).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil { // several statements: not cached
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)`, base, ms(tx.now))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	return nil
}

// Tx is a write transaction carrying the time it started, so every row it
// writes shares one "now" and tests can fix the clock.
type Tx struct {
	*sql.Tx
	db      *DB
	now     time.Time
	changes []Change
	missed  []string // queries to prepare once the writer connection is free
	// lastEvent is the id of the outbox event emit added last.
	lastEvent int64
}

// maxStmts bounds the statement cache; every query a Tx runs is a constant,
// so the bound is never reached in practice.
const maxStmts = 256

// stmt returns q bound to the transaction from a statement prepared on the
// writer connection, or nil when q is not prepared yet. Parsing SQL was most
// of a deposit's cost before this cache. A statement can only be prepared
// when the single writer connection is free, so a miss is remembered and
// prepared after the commit (write).
//
// On PostgreSQL pgx caches the statements of each connection itself.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.pg {
		return nil
	}
	if s, ok := tx.db.stmts.Load(q); ok {
		return tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	tx.missed = append(tx.missed, q)
	return nil
}

// ExecContext runs q in the transaction, prepared when it can be.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := tx.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

// QueryRowContext runs q in the transaction, prepared when it can be.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := tx.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}

// QueryContext runs q in the transaction, prepared when it can be.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

// read is the read pool's prepared statement for q, one of a fixed set of
// hot queries (the API reads them on every call; parsing SQL each time
// cost more than running it). database/sql prepares it on each pool
// connection as needed.
func (db *DB) read(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := db.reads.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if old, loaded := db.reads.LoadOrStore(q, s); loaded {
		s.Close()
		return old.(*sql.Stmt), nil
	}
	return s, nil
}

// write runs fn in one write transaction and, after it commits, tells the
// listeners what changed.
//
// On SQLite the one writer connection serializes every write. On
// PostgreSQL each write runs SERIALIZABLE, beside others: one that loses to
// a concurrent write (serialization failure, deadlock) is rolled back and
// runs again from the start, a bounded number of times with a jittered
// backoff. So fn must be safe to run again: no effect outside tx, and any
// result it hands out set afresh on each run (every caller's fn resets what
// it returns at its start or sets it only on its success path).
func (db *DB) write(ctx context.Context, fn func(*Tx) error) error {
	if !db.pg {
		return engineError(db.attempt(ctx, nil, fn))
	}
	opts := &sql.TxOptions{Isolation: sql.LevelSerializable}
	for i := 0; ; i++ {
		err := db.attempt(ctx, opts, fn)
		if err == nil || !isContention(err) || i+1 >= writeAttempts {
			return engineError(err)
		}
		t := time.NewTimer(retryWait(i))
		select {
		case <-ctx.Done():
			t.Stop()
			return engineError(err)
		case <-t.C:
		}
	}
}

// attempt is one run of fn in a write transaction.
func (db *DB) attempt(ctx context.Context, opts *sql.TxOptions, fn func(*Tx) error) error {
	stx, err := db.w.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: stx, db: db, now: db.now()}
	defer db.prepare(tx)
	defer stx.Rollback()
	if err := tx.fence(ctx); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.notifyChanges(ctx); err != nil {
		return err
	}
	err = stx.Commit()
	// Before publish and before write returns, so that whoever wrote, or
	// heard of the write, reads the new generation. A commit that failed
	// counts too: on PostgreSQL one whose connection was lost may have
	// committed.
	db.gen.Add(1)
	if err != nil {
		return err
	}
	db.publish(tx.changes)
	return nil
}

// Generation counts the changes to the database this process knows of:
// every commit of its own (moved before the write returns and before its
// changes are published), every change another node notified and every
// re-read after the notices were lost (PostgreSQL, changes_pg.go), and a
// new deposit deriver. A value read before a read began and unchanged
// after it proves nothing this process knows of changed since. Writes
// this process cannot hear (another process on the same SQLite file, such
// as the command-line tool) do not move it.
func (db *DB) Generation() uint64 { return db.gen.Load() }

// prepare caches the statements tx could not find, now that the writer
// connection is free again.
func (db *DB) prepare(tx *Tx) {
	for _, q := range tx.missed {
		if db.nstmts.Load() >= maxStmts {
			return
		}
		if _, ok := db.stmts.Load(q); ok {
			continue
		}
		s, err := db.w.PrepareContext(context.Background(), q)
		if err != nil {
			continue // it will run unprepared
		}
		if _, loaded := db.stmts.LoadOrStore(q, s); loaded {
			s.Close()
		} else {
			db.nstmts.Add(1)
		}
	}
}

// scanRows reads every row of a query with scan, closing rows; err is the
// query's own error, passed through.
func scanRows[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
