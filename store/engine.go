package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The store runs on one of two engines: SQLite (a file: DB_PATH, the
// default) or PostgreSQL (DATABASE_URL=postgres://...). Both are reached
// through database/sql with ONE set of query strings: portable SQL written
// with ? placeholders, which this file rewrites to PostgreSQL's $n once per
// query. What truly differs lives here: how each is opened, its
// migrations, its write transactions and the meaning of its errors.

// Engine names the database engine below a DB.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// IsPostgresURL reports whether dsn names a PostgreSQL database
// (postgres:// or postgresql://) rather than a SQLite file.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Engine is the engine below db.
func (db *DB) Engine() Engine {
	if db.pg {
		return Postgres
	}
	return SQLite
}

// Pool sizes on PostgreSQL: writers run at once there (serializable, see
// write), readers as many as a busy API has requests. Several nodes share
// the server's max_connections (100 by default).
const (
	pgWriters = 8
	pgReaders = 16
)

// openPostgres opens the writer and reader pools of the PostgreSQL database
// at dsn (their statements reported to hook when it is set: WithQueryHook).
// Readers run read-only transactions (default_transaction_read_only),
// as SQLite's readers run with query_only.
func openPostgres(ctx context.Context, dsn string, hook func(string)) (w, r *sql.DB, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open database: DATABASE_URL: %w", err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "tonpay"
	rcfg := cfg.Copy()
	rcfg.RuntimeParams["default_transaction_read_only"] = "on"
	w = sql.OpenDB(hooked(&pgConnector{c: stdlib.GetConnector(*cfg)}, hook))
	r = sql.OpenDB(hooked(&pgConnector{c: stdlib.GetConnector(*rcfg)}, hook))
	w.SetMaxOpenConns(pgWriters)
	w.SetMaxIdleConns(pgWriters)
	r.SetMaxOpenConns(pgReaders)
	r.SetMaxIdleConns(pgReaders)
	for _, p := range []*sql.DB{w, r} {
		p.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	if err := checkPostgresVersion(ctx, w); err != nil {
		w.Close()
		r.Close()
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	return w, r, nil
}

// pgConnector hands out pgx connections whose queries are rewritten from
// ? to $n placeholders and whose bool arguments become 0/1 (the schema
// keeps SQLite's integer flags).
type pgConnector struct{ c driver.Connector }

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.c.Driver() }

type pgConn struct{ *stdlib.Conn }

var (
	_ driver.ExecerContext      = (*pgConn)(nil)
	_ driver.QueryerContext     = (*pgConn)(nil)
	_ driver.ConnPrepareContext = (*pgConn)(nil)
	_ driver.ConnBeginTx        = (*pgConn)(nil)
	_ driver.NamedValueChecker  = (*pgConn)(nil)
	_ driver.SessionResetter    = (*pgConn)(nil)
	_ driver.Pinger             = (*pgConn)(nil)
)

func (c *pgConn) Prepare(q string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(q)) }

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(q))
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(q), args)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(q), args)
}

func (c *pgConn) CheckNamedValue(v *driver.NamedValue) error {
	if b, ok := v.Value.(bool); ok {
		v.Value = int64(0)
		if b {
			v.Value = int64(1)
		}
	}
	return c.Conn.CheckNamedValue(v)
}

var rebound sync.Map // query -> its $n form

// rebind rewrites the ? and ?NNN placeholders of q to PostgreSQL's $n,
// numbering as SQLite does (a bare ? is one more than the largest number so
// far). Placeholders inside string literals, quoted identifiers and
// comments are left alone.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	if r, ok := rebound.Load(q); ok {
		return r.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled: an escaped quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			k := n + 1
			if j > i+1 {
				k, _ = strconv.Atoi(q[i+1 : j])
			}
			n = max(n, k)
			b.WriteString("$" + strconv.Itoa(k))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	r := b.String()
	rebound.Store(q, r)
	return r
}

// The meaning of an engine's error, decided in this one place.

// errCode is the PostgreSQL SQLSTATE of err, "" when it has none.
func errCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgConstraint maps SQLite's extended constraint codes to the SQLSTATE
// of the same violation.
var pgConstraint = map[int]string{
	sqlite3.SQLITE_CONSTRAINT_UNIQUE:     "23505",
	sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: "23505",
	sqlite3.SQLITE_CONSTRAINT_CHECK:      "23514",
	sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: "23503",
	sqlite3.SQLITE_CONSTRAINT_NOTNULL:    "23502",
	sqlite3.SQLITE_CONSTRAINT_TRIGGER:    "23001", // the append-only triggers
}

// isConstraint reports whether err is a constraint violation (a unique
// key, a CHECK, a foreign key, NOT NULL or an append-only trigger) of the
// given kind, named by SQLite's extended code (0 = any constraint), on
// either engine.
func isConstraint(err error, code int) bool {
	if c := errCode(err); c != "" {
		if code == 0 {
			return strings.HasPrefix(c, "23")
		}
		return c == pgConstraint[code]
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	if code == 0 {
		return se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	return se.Code() == code
}

// isUnique reports whether err is a unique (or primary) key violation.
func isUnique(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) || isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// isContention reports whether err says the transaction lost to a
// concurrent one and may simply run again: a serialization failure or a
// deadlock on PostgreSQL, a busy or locked database on SQLite.
func isContention(err error) bool {
	switch errCode(err) {
	case "40001", "40P01":
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// engineError gives err, which a write returned, its store meaning:
// contention that outlasted the retries is ErrBusy (still carrying the
// engine's error).
func engineError(err error) error {
	if err != nil && isContention(err) && !errors.Is(err, ErrBusy) {
		return fmt.Errorf("%w: %w", ErrBusy, err)
	}
	return err
}

// Retries of a serializable write that lost to a concurrent one: up to
// about ten seconds of jittered waits (most of them 100-200 ms), so a write
// outlasts a burst of writers on the same rows before it says ErrBusy (30
// attempts were once used up by eight writers on a loaded machine).
const (
	writeAttempts = 60
	retryBase     = 2 * time.Millisecond
	retryMax      = 200 * time.Millisecond
)

// retryWait is the jittered backoff before the attempt-th retry.
func retryWait(attempt int) time.Duration {
	d := retryBase << min(attempt, 7)
	d = min(d, retryMax)
	return d/2 + rand.N(d/2+1)
}

// lockMigrations holds a PostgreSQL advisory lock (one per schema) until
// unlock is called, so that nodes starting at once migrate in turn.
func (db *DB) lockMigrations(ctx context.Context) (unlock func(), err error) {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	const key = `hashtext('tonpay migrations ' || current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+key+`)`)
		conn.Close()
	}, nil
}

// OpenRaw opens the database at dsn (as Open takes it) below the store:
// no migrations, no money rules, the same placeholder rewrite. Tools that
// copy or inspect a database, and tests that prove the database itself
// refuses a change, use it.
func OpenRaw(dsn string) (*sql.DB, error) {
	if IsPostgresURL(dsn) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(&pgConnector{c: stdlib.GetConnector(*cfg)}), nil
	}
	return sql.Open("sqlite", "file:"+dsn)
}
