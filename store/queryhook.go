package store

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"modernc.org/sqlite"
)

// WithQueryHook makes the store call fn with each statement it sends to the
// engine, as it sends it (queries, execs, and "BEGIN", "COMMIT" and
// "ROLLBACK" of transactions), on both pools. Each call is a round trip
// on a networked database; tests count them. Preparing a statement (once
// per pooled connection) is not counted. Without the option the engines'
// connections are used as they are.
func WithQueryHook(fn func(query string)) Option { return func(db *DB) { db.onQuery = fn } }

// queryHookOf is the hook opts set, before the pools are opened.
func queryHookOf(opts []Option) func(string) {
	var probe DB
	for _, o := range opts {
		o(&probe)
	}
	return probe.onQuery
}

// openSQLite opens a pool of the SQLite database dsn, its statements
// reported to hook when it is set.
func openSQLite(dsn string, hook func(string)) (*sql.DB, error) {
	if hook == nil {
		return sql.Open("sqlite", dsn)
	}
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(hooked(c, hook)), nil
}

// hooked is c with its connections' statements reported to hook (c itself
// when hook is nil).
func hooked(c driver.Connector, hook func(string)) driver.Connector {
	if hook == nil {
		return c
	}
	return &hookConnector{c: c, hook: hook}
}

type hookConnector struct {
	c    driver.Connector
	hook func(string)
}

func (h *hookConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := h.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &hookConn{c: c, hook: h.hook}, nil
}

func (h *hookConnector) Driver() driver.Driver { return h.c.Driver() }

// hookConn reports what it runs; every optional interface database/sql
// looks for is passed through to the engine's connection (both engines'
// connections implement them all).
type hookConn struct {
	c    driver.Conn
	hook func(string)
}

var (
	_ driver.ExecerContext      = (*hookConn)(nil)
	_ driver.QueryerContext     = (*hookConn)(nil)
	_ driver.ConnPrepareContext = (*hookConn)(nil)
	_ driver.ConnBeginTx        = (*hookConn)(nil)
	_ driver.NamedValueChecker  = (*hookConn)(nil)
	_ driver.SessionResetter    = (*hookConn)(nil)
	_ driver.Validator          = (*hookConn)(nil)
	_ driver.Pinger             = (*hookConn)(nil)
)

func (h *hookConn) Prepare(q string) (driver.Stmt, error) {
	return h.PrepareContext(context.Background(), q)
}

func (h *hookConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	s, err := h.c.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &hookStmt{s: s, q: q, hook: h.hook, conn: h}, nil
}

func (h *hookConn) Close() error { return h.c.Close() }

func (h *hookConn) Begin() (driver.Tx, error) {
	return h.BeginTx(context.Background(), driver.TxOptions{})
}

func (h *hookConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	h.hook("BEGIN")
	tx, err := h.c.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return hookTx{tx: tx, hook: h.hook}, nil
}

func (h *hookConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	h.hook(q)
	return h.c.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (h *hookConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	h.hook(q)
	return h.c.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (h *hookConn) CheckNamedValue(v *driver.NamedValue) error {
	if c, ok := h.c.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

func (h *hookConn) ResetSession(ctx context.Context) error {
	if r, ok := h.c.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (h *hookConn) IsValid() bool {
	if v, ok := h.c.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (h *hookConn) Ping(ctx context.Context) error {
	if p, ok := h.c.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

type hookTx struct {
	tx   driver.Tx
	hook func(string)
}

func (t hookTx) Commit() error   { t.hook("COMMIT"); return t.tx.Commit() }
func (t hookTx) Rollback() error { t.hook("ROLLBACK"); return t.tx.Rollback() }

type hookStmt struct {
	s    driver.Stmt
	q    string
	hook func(string)
	conn *hookConn
}

var (
	_ driver.StmtExecContext  = (*hookStmt)(nil)
	_ driver.StmtQueryContext = (*hookStmt)(nil)
)

func (s *hookStmt) Close() error  { return s.s.Close() }
func (s *hookStmt) NumInput() int { return s.s.NumInput() }

func (s *hookStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.hook(s.q)
	return s.s.Exec(args) //nolint:staticcheck // the driver's own fallback
}

func (s *hookStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.hook(s.q)
	return s.s.Query(args) //nolint:staticcheck // the driver's own fallback
}

func (s *hookStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.hook(s.q)
	return s.s.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *hookStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.hook(s.q)
	return s.s.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *hookStmt) CheckNamedValue(v *driver.NamedValue) error {
	// database/sql asks the statement only when it has a checker: the
	// engine's statement's, else its connection's (as without the hook).
	if c, ok := s.s.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(v)
	}
	return s.conn.CheckNamedValue(v)
}
