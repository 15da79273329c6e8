package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// bookingStep is the i-th transfer the booking goroutine posts: a deposit
// of i nanoton to one of seven users and, every fifth step, a fee of 1
// nanoton taken from that user. Replaying the first n steps gives the
// balances any consistent copy holding n transfers must show.
func bookingStep(i int) []store.Transfer {
	user := store.UserAccount(int64(i%7 + 1))
	out := []store.Transfer{deposit(fmt.Sprintf("d%07d", i), user, store.TON.Symbol, store.Amount(i))}
	if i%5 == 0 {
		out = append(out, store.Transfer{Key: fmt.Sprintf("f%07d", i), Kind: store.TransferFee, Postings: []store.Posting{
			{Account: user, Asset: store.TON.Symbol, Amount: -1}, {Account: store.AccountFees, Asset: store.TON.Symbol, Amount: 1}}})
	}
	return out
}

// TestBackupWhileTransfersAreBooked copies the database again and again
// while a goroutine books transfers through the store as fast as it can:
// every copy verifies, opens as a database whose Audit is clean, holds
// exactly a prefix of the transfers (none torn, none missing before the
// last), and its balances are exactly the replay of that prefix.
func TestBackupWhileTransfersAreBooked(t *testing.T) {
	storetest.SQLiteOnly(t, "tonpay backup copies the SQLite file; PostgreSQL is backed up by its own tools")
	ctx := context.Background()
	db := storetest.Open(t)
	var posted atomic.Int64 // transfers committed
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			for _, tr := range bookingStep(i) {
				if _, err := db.Post(ctx, tr); err != nil {
					done <- err
					return
				}
				posted.Add(1)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })

	for posted.Load() < 300 {
		time.Sleep(time.Millisecond)
	}
	dir := t.TempDir()
	var counts []int64
	during := 0 // copies during which transfers were committed
	for n := 0; n < 6; n++ {
		before := posted.Load()
		path := filepath.Join(dir, fmt.Sprintf("copy-%d.db", n))
		report, err := db.Backup(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		after := posted.Load()
		if err := report.Err(); err != nil {
			t.Fatalf("copy %d: %v", n, err)
		}
		if report.Schema != store.KnownMigrations()[len(store.KnownMigrations())-1] || len(report.Pending) > 0 {
			t.Fatalf("copy %d: schema %q, pending %v", n, report.Schema, report.Pending)
		}
		// The writer counts a transfer after its commit returns: when the
		// copy ended, at most one more than after had committed.
		if report.Transfers < before || report.Transfers > after+1 {
			t.Fatalf("copy %d holds %d transfers; %d were committed before it began and %d when it ended", n, report.Transfers, before, after)
		}
		if after > before {
			during++
		}
		counts = append(counts, report.Transfers)
		if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
			t.Fatalf("copy mode %v, want 0600", info.Mode().Perm())
		}
		checkReplay(t, path, report.Transfers)
	}
	if during == 0 {
		t.Fatal("no copy was taken while transfers were being committed")
	}
	if !slices.IsSorted(counts) || counts[0] == counts[len(counts)-1] {
		t.Fatalf("copies hold %v transfers: the booking did not go on", counts)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	t.Logf("%d copies holding %v transfers, %d taken while transfers committed", len(counts), counts, during)
}

// checkReplay opens the copy at path as a database and compares it with
// the first n transfers of bookingStep.
func checkReplay(t *testing.T, path string, n int64) {
	t.Helper()
	ctx := context.Background()
	want := map[string]store.Amount{}
	var keys []string
	for i := 1; int64(len(keys)) < n; i++ {
		for _, tr := range bookingStep(i) {
			if int64(len(keys)) == n {
				break
			}
			keys = append(keys, tr.Key)
			for _, p := range tr.Postings {
				want[p.Account] += p.Amount
			}
		}
	}
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := raw.Query(`SELECT key FROM transfers ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		got = append(got, k)
	}
	rows.Close()
	raw.Close()
	if !slices.Equal(got, keys) {
		t.Fatalf("%s: transfers are not the first %d booked", path, n)
	}

	// It opens as tonpay's database, with a clean ledger and exact sums.
	c := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	storetest.Audit(t, c)
	for account, amt := range want {
		if b, err := c.Balance(ctx, account, store.TON.Symbol); err != nil || b != amt {
			t.Fatalf("%s: %s holds %d (%v), want %d", path, account, b, err, amt)
		}
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	storetest.SQLiteOnly(t, "tonpay backup copies the SQLite file; PostgreSQL is backed up by its own tools")
	ctx := context.Background()
	db := storetest.Open(t)
	path := filepath.Join(t.TempDir(), "b.db")
	os.WriteFile(path, []byte("precious"), 0o600)
	if _, err := db.Backup(ctx, path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("overwrote %s: %v", path, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("the existing file changed")
	}
}

// TestVerifyBackupFindsProblems: a copy whose cached balance was changed
// behind the ledger, or whose bytes are damaged, does not verify.
func TestVerifyBackupFindsProblems(t *testing.T) {
	storetest.SQLiteOnly(t, "tonpay backup copies the SQLite file; PostgreSQL is backed up by its own tools")
	ctx := context.Background()
	db := storetest.Open(t)
	for i := 1; i <= 50; i++ {
		for _, tr := range bookingStep(i) {
			if _, err := db.Post(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "b.db")
	report, err := db.Backup(ctx, path)
	if err != nil || report.Err() != nil {
		t.Fatalf("clean copy: %v %v", err, report.Err())
	}

	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE balances SET balance = balance + 1 WHERE account_id = (SELECT id FROM accounts WHERE name = 'user:3')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	report, err = store.VerifyBackup(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if report.Err() == nil || !strings.Contains(report.Err().Error(), "user:3 GRAM: cached") {
		t.Fatalf("a tampered balance verified: %+v", report)
	}

	// Damage a page of an index in a second copy.
	path2 := filepath.Join(dir, "b2.db")
	if _, err := db.Backup(ctx, path2); err != nil {
		t.Fatal(err)
	}
	raw, _ = rawOpen(t, path2)
	var page, size int64
	raw.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'entries_account'`).Scan(&page)
	raw.QueryRow(`PRAGMA page_size`).Scan(&size)
	raw.Close()
	f, err := os.OpenFile(path2, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte(strings.Repeat("\xff", 64)), (page-1)*size+8)
	f.Close()
	report, err = store.VerifyBackup(ctx, path2)
	if err == nil && report.Integrity == "ok" {
		t.Fatalf("a damaged copy verified: %+v", report)
	}
}

// TestCopyBeforeMigrating: an existing database one migration behind this
// build is copied (named with its schema and the time, verified) before the
// migration runs; a new database and an up-to-date one are not copied.
func TestCopyBeforeMigrating(t *testing.T) {
	storetest.SQLiteOnly(t, "tonpay backup copies the SQLite file; PostgreSQL is backed up by its own tools")
	ctx := context.Background()
	known := store.KnownMigrations()
	if len(known) < 2 {
		t.Skip("needs two migrations")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tonpay.db")
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, name := range known[:len(known)-1] {
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, name)
	}
	// A deposit of 5 GRAM booked by the previous version.
	for _, q := range []string{
		`INSERT INTO assets VALUES ('GRAM', 9, NULL)`,
		`INSERT INTO accounts(id, name, nonneg, created_at) VALUES (1, 'chain:hot', 0, 0), (2, 'user:1', 1, 0)`,
		`INSERT INTO transfers(id, key, kind, created_at) VALUES (1, 'dep-1', 'deposit', 0)`,
		`INSERT INTO entries(transfer_id, account_id, asset, amount, created_at) VALUES (1, 1, 'GRAM', -5000000000, 0), (1, 2, 'GRAM', 5000000000, 0)`,
		`INSERT INTO balances VALUES (1, 'GRAM', -5000000000, 0), (2, 'GRAM', 5000000000, 1)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	backups := filepath.Join(dir, "backups")
	var copies []store.BackupReport
	opt := store.WithMigrationBackup(backups, func(r store.BackupReport) { copies = append(copies, r) })
	db := storetest.OpenWith(t, storetest.Config{Path: path, Options: []store.Option{opt}, Assets: []store.Asset{}})
	if got, _ := db.Migrations(ctx); !slices.Equal(got, known) {
		t.Fatalf("migrated to %v", got)
	}
	db.Close()
	if len(copies) != 1 {
		t.Fatalf("%d copies, want 1", len(copies))
	}
	c := copies[0]
	prev := strings.TrimSuffix(known[len(known)-2], ".sql")
	if name := filepath.Base(c.Path); filepath.Dir(c.Path) != backups || !strings.HasPrefix(name, "tonpay-schema-"+prev+"-") {
		t.Fatalf("copy at %s, want %s/tonpay-schema-%s-<time>.db", c.Path, backups, prev)
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(c.Path), "tonpay-schema-"+prev+"-"), ".db")
	if at, err := time.Parse(store.BackupTimeLayout, stamp); err != nil || time.Since(at) > time.Minute {
		t.Fatalf("copy's time %q: %v", stamp, err)
	}
	// The copy holds the database as it was: the old schema and the deposit.
	again, err := store.VerifyBackup(ctx, c.Path)
	if err != nil || again.Err() != nil {
		t.Fatalf("copy: %v %v", err, again.Err())
	}
	if again.Schema != known[len(known)-2] || !slices.Equal(again.Pending, known[len(known)-1:]) || again.Transfers != 1 {
		t.Fatalf("copy: %+v", again)
	}

	// Up to date: opening again copies nothing; nor does a new database.
	db = storetest.OpenWith(t, storetest.Config{Path: path, Options: []store.Option{opt}, Assets: []store.Asset{}})
	if b, _ := db.Balance(ctx, "user:1", store.TON.Symbol); b != 5_000_000_000 {
		t.Fatalf("migrated balance %d", b)
	}
	db.Close()
	fresh := storetest.OpenWith(t, storetest.Config{Path: filepath.Join(dir, "fresh.db"), Options: []store.Option{opt}, Assets: []store.Asset{}})
	fresh.Close()
	if len(copies) != 1 {
		t.Fatalf("%d copies after opening current and new databases, want still 1", len(copies))
	}
}
