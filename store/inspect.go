package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// OpenReadOnly opens an existing database to look at it (tonpay doctor,
// tonpay reconcile): no migration runs and nothing can be written. path is
// a SQLite file or a PostgreSQL URL (IsPostgresURL), whose connections then
// all run read-only transactions. It fails when path holds no tonpay
// database.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if IsPostgresURL(path) {
		return openPostgresReadOnly(ctx, path)
	}
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

// MinPostgres is the oldest PostgreSQL major version the store runs on:
// its migrations use jsonpath (jsonb_path_query_first), new in PostgreSQL
// 12.
const MinPostgres = 12

// checkPostgresVersion refuses a server older than MinPostgres, saying so
// rather than failing halfway through a migration.
func checkPostgresVersion(ctx context.Context, pool *sql.DB) error {
	var num int
	var version string
	if err := pool.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_version')`).Scan(&num, &version); err != nil {
		return err
	}
	if num/10000 < MinPostgres {
		return fmt.Errorf("PostgreSQL %s is too old: tonpay needs PostgreSQL %d or newer", version, MinPostgres)
	}
	return nil
}

// openPostgresReadOnly is OpenReadOnly on PostgreSQL: one small pool of
// read-only connections serves as both of the DB's.
func openPostgresReadOnly(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "tonpay (read-only)"
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	pool := sql.OpenDB(&pgConnector{c: stdlib.GetConnector(*cfg)})
	pool.SetMaxOpenConns(2)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{w: pool, r: pool, now: time.Now, pg: true, listeners: map[int]func(Change){}}
	var n int
	if err := pool.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		pool.Close()
		return nil, fmt.Errorf("not a tonpay database: %w", err)
	}
	return db, nil
}

// PostgresServer is what a PostgreSQL server says about itself and its
// replication (tonpay doctor).
type PostgresServer struct {
	Version    string // server_version, as it says it ("15.18 (Debian 15.18-0+deb12u1)")
	VersionNum int    // server_version_num: 150018
	Database   string // current_database()
	User       string // current_user
	Size       int64  // pg_database_size, bytes
	Standby    bool   // pg_is_in_recovery(): a read-only standby
	// On a standby: when the last transaction replayed was committed on
	// the primary (ok false before any was replayed).
	ReplayedAt   time.Time
	ReplayedAtOK bool
	// On a primary: the standbys streaming from it (pg_stat_replication).
	Standbys []Standby
	// WAL archiving (the ground of point-in-time recovery): archive_mode,
	// and pg_stat_archiver's last archived and last failed segment.
	ArchiveMode     string
	Archived        int64
	LastArchived    time.Time // zero when none yet
	Failed          int64
	LastFailed      time.Time // zero when none
	LastFailedWAL   string
	LastArchivedWAL string
}

// Standby is one row of pg_stat_replication. Visible is false when the
// connecting role may not see its figures (they need pg_read_all_stats).
type Standby struct {
	Name      string // application_name
	Client    string // client_addr
	State     string // streaming, catchup, ...
	SyncState string // async, sync, quorum, potential
	Visible   bool
	// The lags PostgreSQL measured (NULL, so not OK, when idle: nothing to
	// replay), and the bytes of WAL not yet replayed.
	WriteLag, ReplayLag     time.Duration
	WriteLagOK, ReplayLagOK bool
	ReplayBytes             int64
}

// PostgresServer asks the server about itself (only on PostgreSQL).
func (db *DB) PostgresServer(ctx context.Context) (PostgresServer, error) {
	var s PostgresServer
	if !db.pg {
		return s, errors.New("not a PostgreSQL database")
	}
	var num string
	if err := db.r.QueryRowContext(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num'),
		current_database(), current_user, pg_database_size(current_database()), pg_is_in_recovery(), current_setting('archive_mode')`).
		Scan(&s.Version, &num, &s.Database, &s.User, &s.Size, &s.Standby, &s.ArchiveMode); err != nil {
		return s, err
	}
	fmt.Sscan(num, &s.VersionNum)
	var failedWAL, archivedWAL sql.NullString
	var archivedAt, failedAt sql.NullFloat64
	if err := db.r.QueryRowContext(ctx, `SELECT archived_count, last_archived_wal, extract(epoch FROM last_archived_time)::float8,
		failed_count, last_failed_wal, extract(epoch FROM last_failed_time)::float8 FROM pg_stat_archiver`).
		Scan(&s.Archived, &archivedWAL, &archivedAt, &s.Failed, &failedWAL, &failedAt); err != nil {
		return s, fmt.Errorf("pg_stat_archiver: %w", err)
	}
	s.LastArchivedWAL, s.LastFailedWAL = archivedWAL.String, failedWAL.String
	if archivedAt.Valid {
		s.LastArchived = time.UnixMilli(int64(archivedAt.Float64 * 1000))
	}
	if failedAt.Valid {
		s.LastFailed = time.UnixMilli(int64(failedAt.Float64 * 1000))
	}
	if s.Standby {
		var at sql.NullFloat64
		if err := db.r.QueryRowContext(ctx, `SELECT extract(epoch FROM pg_last_xact_replay_timestamp())::float8`).Scan(&at); err != nil {
			return s, err
		}
		if at.Valid {
			s.ReplayedAt, s.ReplayedAtOK = time.UnixMilli(int64(at.Float64*1000)), true
		}
		return s, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'), state IS NOT NULL,
		coalesce(state, ''), coalesce(sync_state, ''),
		extract(epoch FROM write_lag)::float8, extract(epoch FROM replay_lag)::float8,
		coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint
		FROM pg_stat_replication ORDER BY application_name`)
	if err != nil {
		return s, fmt.Errorf("pg_stat_replication: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st Standby
		var w, r sql.NullFloat64
		if err := rows.Scan(&st.Name, &st.Client, &st.Visible, &st.State, &st.SyncState, &w, &r, &st.ReplayBytes); err != nil {
			return s, err
		}
		st.WriteLag, st.WriteLagOK = time.Duration(w.Float64*float64(time.Second)), w.Valid
		st.ReplayLag, st.ReplayLagOK = time.Duration(r.Float64*float64(time.Second)), r.Valid
		s.Standbys = append(s.Standbys, st)
	}
	return s, rows.Err()
}
