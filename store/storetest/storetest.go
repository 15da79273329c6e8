// Package storetest is the tests' one way to get a store: a fresh database
// with the usual assets, whose ledger is audited when the test ends. The
// database is a SQLite file, or, in a package's PostgreSQL run (Main,
// postgres.go), a fresh schema of the PostgreSQL server named by
// TONPAY_TEST_POSTGRES, so the same tests run on both engines.
//
// The audit (store.DB.Audit) checks the ledger's invariants: the entries of
// every asset sum to zero, every cached balance equals the sum of its
// entries, and no user or merchant balance is negative. A test that breaks
// them on purpose opens its store with Config.NoAudit.
package storetest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// USDTMaster is the jetton master of the USDT asset Open registers.
const USDTMaster = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"

// USDT is the jetton asset Open registers beside the native coin.
var USDT = store.Asset{Symbol: "USDT", Decimals: 6, Master: USDTMaster}

// Credits is the off-chain asset Open registers (Stars purchases).
var Credits = store.Asset{Symbol: "CREDITS"}

// Assets are the assets Open registers: the native coin, USDT and CREDITS.
func Assets() []store.Asset { return []store.Asset{store.TON, USDT, Credits} }

// Config says how Open makes a store; the zero value is Open's.
type Config struct {
	// Path is the database file; a fresh file in t.TempDir() when empty.
	// A test that reopens a store passes the path of its first one. In a
	// PostgreSQL run the path names a schema (the same path, the same
	// schema).
	Path string
	// Assets are synced after opening; Assets() when nil, none when empty
	// but not nil.
	Assets []store.Asset
	// Options are passed to store.Open.
	Options []store.Option
	// NoAudit skips the audit at cleanup, for a test that breaks the
	// ledger on purpose.
	NoAudit bool
}

// Open returns a fresh store with the native coin, USDT and CREDITS; it is
// audited and closed when the test ends.
func Open(t testing.TB, opts ...store.Option) *store.DB {
	t.Helper()
	return OpenWith(t, Config{Options: opts})
}

// Path is a fresh database file name in the test's temporary directory.
func Path(t testing.TB) string { return filepath.Join(t.TempDir(), "tonpay.db") }

// OpenWith is Open as c says.
func OpenWith(t testing.TB, c Config) *store.DB {
	t.Helper()
	ctx := context.Background()
	if c.Path == "" {
		c.Path = Path(t)
	}
	if OnPostgres() {
		c.Path = schemaURL(t, c.Path)
	}
	db, err := store.Open(ctx, c.Path, c.Options...)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the audit, then the close.
	t.Cleanup(func() { db.Close() })
	if !c.NoAudit {
		t.Cleanup(func() { audit(t, db, c.Path) })
	}
	assets := c.Assets
	if assets == nil {
		assets = Assets()
	}
	if len(assets) > 0 {
		if err := db.SyncAssets(ctx, assets); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// Audit fails the test when the ledger's invariants do not hold.
func Audit(t testing.TB, db *store.DB) {
	t.Helper()
	problems, err := db.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("ledger invariants broken:\n%s", strings.Join(problems, "\n"))
	}
}

// audit is Audit at cleanup: a store the test closed itself is reopened.
func audit(t testing.TB, db *store.DB, path string) {
	t.Helper()
	if t.Failed() {
		return // the first failure is the one to read
	}
	problems, err := db.Audit(context.Background())
	if err != nil && strings.Contains(err.Error(), "database is closed") {
		var again *store.DB
		again, err = store.Open(context.Background(), path)
		if err == nil {
			problems, err = again.Audit(context.Background())
			err = errors.Join(err, again.Close())
		}
	}
	if err != nil {
		t.Errorf("ledger audit at cleanup: %v", err)
		return
	}
	if len(problems) > 0 {
		t.Errorf("ledger invariants broken at cleanup:\n%s", strings.Join(problems, "\n"))
	}
}
