package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// checkCopy opens a backup as tonpay's database and checks what a restore
// would rely on: the ledger audits clean, and what users were credited
// equals, to the nanoton, the credited chain events recorded with them.
// It returns the total credited.
func checkCopy(t *testing.T, path string, users []int64) store.Amount {
	t.Helper()
	ctx := context.Background()
	db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	storetest.Audit(t, db)
	events, err := creditedEvents(db)
	if err != nil {
		t.Fatal(err)
	}
	perUser := map[int64]store.Amount{}
	var credited store.Amount
	for _, e := range events {
		perUser[e.UserID] += e.Amount
		credited += e.Amount
	}
	for _, u := range users {
		if b, _ := db.Balance(ctx, store.UserAccount(u), store.TON.Symbol); b != perUser[u] {
			t.Fatalf("%s: user %d holds %d, credited events say %d", path, u, b, perUser[u])
		}
	}
	return credited
}

// TestBackupWhileTheServiceBooksDeposits runs the whole service on the
// offline chain while wallets keep paying users' comments, and takes
// backups with `tonpay backup` meanwhile: each exits 0, reports a verified
// copy, and opens as a database whose ledger audits clean and whose user
// balances equal their credited deposits exactly. The last, taken once
// everything was booked, holds exactly what the chain delivered.
func TestBackupWhileTheServiceBooksDeposits(t *testing.T) {
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(50 * time.Millisecond)

	dir := t.TempDir()
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"BOT_TOKEN":           "123456:BACKUP",
		"TELEGRAM_API_URL":    fakeBotAPI(t).URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           freeAddr(t),
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"LOG_LEVEL":           "warn",
	}
	svc := startService(t, env)
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	users := []int64{101, 102, 103}
	var comments []string
	for _, id := range users {
		u, err := db.UpsertUser(ctx, store.User{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		comments = append(comments, u.Comment)
	}

	// Three wallets pay the users' comments, each as fast as blocks come.
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 3 {
		w, err := chain.NewWallet(wallet.V4R2, 1_000_000_000_000)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(15 * time.Millisecond):
				}
				amt := uint64(100_000_000 + n*1000 + i)
				if err := w.Send(hot, amt, comments[(n+i)%len(comments)], false); err != nil {
					t.Error(err)
					return
				}
				sent.Add(int64(amt))
			}
		}()
	}
	waitFor(t, 15*time.Second, func() bool { return checkCredited(db) > 0 })

	backups := filepath.Join(dir, "backups")
	os.Mkdir(backups, 0o700)
	var last store.Amount
	for i := range 4 {
		code, out, stderr := tonpay(t, dir, env, "backup", backups)
		if code != 0 {
			t.Fatalf("backup %d: exit %d\n%s%s", i, code, out, stderr)
		}
		if !strings.Contains(out, "integrity ok") || !strings.Contains(out, "(current)") || !strings.Contains(out, "sums to zero") && !strings.Contains(out, "sum to zero") {
			t.Fatalf("backup %d: %s", i, out)
		}
		path := strings.SplitN(out, ":", 2)[0]
		credited := checkCopy(t, path, users)
		if credited < last {
			t.Fatalf("backup %d holds less (%d) than the one before (%d)", i, credited, last)
		}
		last = credited
		time.Sleep(300 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	// Everything sent gets booked; a copy then holds exactly that.
	waitFor(t, 20*time.Second, func() bool { return checkCredited(db) == store.Amount(sent.Load()) })
	final := filepath.Join(dir, "final.db")
	if code, out, stderr := tonpay(t, dir, env, "backup", final); code != 0 {
		t.Fatalf("final backup: exit %d\n%s%s", code, out, stderr)
	}
	if got := checkCopy(t, final, users); got != store.Amount(sent.Load()) {
		t.Fatalf("the final copy credits %d, the wallets sent %d", got, sent.Load())
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, svc.log())
	}
	t.Logf("copies credited up to %d nanoton while deposits were booked; %d in the end", last, sent.Load())
}

// creditedEvents lists every credited chain event, page by page.
func creditedEvents(db *store.DB) ([]store.ChainEvent, error) {
	var out []store.ChainEvent
	var before int64
	for {
		page, err := db.ChainEvents(context.Background(), before, 500, store.KindCredited)
		if err != nil || len(page) == 0 {
			return out, err
		}
		out = append(out, page...)
		before = page[len(page)-1].ID
	}
}

// checkCredited is the total of credited deposits in the live database.
func checkCredited(db *store.DB) store.Amount {
	events, _ := creditedEvents(db)
	var s store.Amount
	for _, e := range events {
		s += e.Amount
	}
	return s
}

func TestBackupCommandErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DB_PATH": filepath.Join(dir, "tonpay.db")}
	if code, _, stderr := tonpay(t, dir, env, "backup"); code != 2 || !strings.Contains(stderr, "backup takes the file") {
		t.Fatalf("no file: %d %q", code, stderr)
	}
	code, _, stderr := tonpay(t, dir, env, "backup", filepath.Join(dir, "copy.db"))
	if code != 1 || !strings.Contains(oneLine(t, stderr), "DB_PATH") {
		t.Fatalf("no database: %d %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("backup without a database created files: %v", entries)
	}
	if code, _, stderr := tonpay(t, dir, env, "migrate"); code != 0 {
		t.Fatal(stderr)
	}
	os.WriteFile(filepath.Join(dir, "copy.db"), []byte("mine"), 0o600)
	code, _, stderr = tonpay(t, dir, env, "backup", filepath.Join(dir, "copy.db"))
	if code != 1 || !strings.Contains(oneLine(t, stderr), "already exists") {
		t.Fatalf("existing file: %d %q", code, stderr)
	}
}

// TestBackupOnPostgresMakesNoCopy: with DATABASE_URL tonpay backup copies
// nothing (not even the SQLite file DB_PATH still names) and says what
// backs PostgreSQL up instead; exit 1, so that a cron job does not take it
// for a backup.
func TestBackupOnPostgresMakesNoCopy(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DB_PATH": filepath.Join(dir, "tonpay.db")}
	if code, _, stderr := tonpay(t, dir, env, "migrate"); code != 0 {
		t.Fatal(stderr)
	}
	env["DATABASE_URL"] = "postgres://tonpay:secret@" + freeAddr(t) + "/tonpay"
	backups := filepath.Join(dir, "backups")
	os.Mkdir(backups, 0o700)
	code, out, stderr := tonpay(t, dir, env, "backup", backups)
	line := oneLine(t, stderr)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	for _, want := range []string{"tonpay backup: no copy made", "the database's own backups", "pg_basebackup", "WAL archiving",
		"point-in-time recovery", "tonpay doctor"} {
		if !strings.Contains(line, want) {
			t.Fatalf("the refusal does not say %q: %q", want, line)
		}
	}
	if entries, _ := os.ReadDir(backups); len(entries) != 0 {
		t.Fatalf("backup on PostgreSQL made files: %v", entries)
	}
}

// TestServeBacksUpOnSchedule: with BACKUP_DIR, BACKUP_EVERY and BACKUP_KEEP
// the running service backs up at start and then on schedule, keeping
// BACKUP_KEEP verified copies.
func TestServeBacksUpOnSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)
	dir := t.TempDir()
	env := map[string]string{
		"BOT_TOKEN":           "123456:BACKUP",
		"TELEGRAM_API_URL":    fakeBotAPI(t).URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           freeAddr(t),
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(tonrig.Seed(), " "),
		"BACKUP_DIR":          filepath.Join(dir, "backups"),
		"BACKUP_EVERY":        "1s",
		"BACKUP_KEEP":         "2",
		"LOG_LEVEL":           "warn",
	}
	svc := startService(t, env)
	list := func() []string {
		m, _ := filepath.Glob(filepath.Join(env["BACKUP_DIR"], "tonpay-*.db"))
		return m
	}
	waitFor(t, 10*time.Second, func() bool { return len(list()) == 2 })
	first := list()
	waitFor(t, 10*time.Second, func() bool { l := list(); return len(l) == 2 && l[0] != first[0] && l[0] != first[1] })
	for _, p := range list() {
		if r, err := store.VerifyBackup(ctx, p); err != nil || r.Err() != nil {
			t.Fatalf("%s: %v %v", p, err, r.Err())
		}
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, svc.log())
	}
}

// TestMigrateCopiesTheDatabaseFirst: `tonpay migrate` on a database one
// migration behind copies it into BACKUP_DIR before migrating, and says so.
func TestMigrateCopiesTheDatabaseFirst(t *testing.T) {
	known := store.KnownMigrations()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "tonpay.db")
	raw, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	raw.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`)
	for _, name := range known[:len(known)-1] {
		body, err := os.ReadFile(filepath.Join("..", "..", "store", "migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatal(err)
		}
		raw.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, name)
	}
	raw.Close()
	env := map[string]string{"DB_PATH": dbPath, "BACKUP_DIR": filepath.Join(dir, "backups")}
	code, out, stderr := tonpay(t, dir, env, "migrate")
	if code != 0 || !strings.Contains(out, "copied the database (schema "+known[len(known)-2]+") to "+env["BACKUP_DIR"]) {
		t.Fatalf("migrate: %d %q %q", code, out, stderr)
	}
	copies, _ := filepath.Glob(filepath.Join(env["BACKUP_DIR"], "tonpay-schema-*.db"))
	if len(copies) != 1 {
		t.Fatalf("copies %v", copies)
	}
	if code, out, _ := tonpay(t, dir, env, "migrate"); code != 0 || strings.Contains(out, "copied") {
		t.Fatalf("second migrate copied again: %q", out)
	}
}
