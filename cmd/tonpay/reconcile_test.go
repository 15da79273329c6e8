package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// row is the figures reconcile printed for an asset: chain, ledger, drift.
func row(t *testing.T, out, asset string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == asset {
			return f[1:]
		}
	}
	t.Fatalf("no %s row in:\n%s", asset, out)
	return nil
}

// TestReconcileComparesChainAndLedger books a TON and a jetton deposit with
// the real service on the offline chain, then runs tonpay reconcile: equal
// books exit 0 with the figures; a ledger tampered with behind the
// follower's back exits 1 with the drift, before and after the service
// noticed it and paused payouts.
func TestReconcileComparesChainAndLedger(t *testing.T) { testReconcile(t, "") }

// TestReconcileOnPostgres is the same on PostgreSQL (DATABASE_URL).
func TestReconcileOnPostgres(t *testing.T) { testReconcile(t, storetest.Schema(t)) }

// testReconcile runs the test on the PostgreSQL database at pg, or on
// SQLite when pg is "".
func testReconcile(t *testing.T, pg string) {
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)
	usdt := chain.NewJetton("USDT", 6)

	dir := t.TempDir()
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"BOT_TOKEN":           "123456:TEST",
		"TELEGRAM_API_URL":    fakeBotAPI(t).URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           freeAddr(t),
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"JETTONS":             "USDT:" + usdt.Master().StringRaw() + ":6",
		"LOG_LEVEL":           "warn",
		"SWEEP_MIN":           "1000", // the deposit address stays unswept: its figure is the service's last read
	}
	if pg != "" {
		env["DATABASE_URL"] = pg
	}
	svc := startService(t, env)
	var db *store.DB
	if pg != "" {
		if db, err = store.Open(ctx, pg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
	} else {
		db = storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	}

	// A user's deposit address, handed out as the service does.
	keys, err := ton.NewDepositKeys(words, true)
	if err != nil {
		t.Fatal(err)
	}
	db.SetDepositDeriver(keys.Deriver())
	if _, err := db.UpsertUser(ctx, store.User{ID: 5}); err != nil {
		t.Fatal(err)
	}
	dw, err := db.DepositWallet(ctx, store.UserOwner(5))
	if err != nil {
		t.Fatal(err)
	}
	depAddr, err := address.ParseRawAddr(dw.Address)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, func() bool { // the follower follows it
		w, err := db.DepositWalletByAddress(ctx, dw.Address)
		return err == nil && len(w.Jettons) == 1
	})

	chain.Fund(hot, 3_000_000_000)
	usdt.Mint(hot, big.NewInt(25_500_000))
	chain.Fund(depAddr, 2_000_000_000)
	// What the service holds: the hot wallet and the deposit address.
	tonOnChain := store.Amount(chain.Balance(hot) + chain.Balance(depAddr))
	// The follower booked both and found the books equal.
	waitFor(t, 15*time.Second, func() bool {
		recs, _ := db.Reconciliations(ctx)
		got := map[string]store.Reconciliation{}
		for _, r := range recs {
			got[r.Asset] = r
		}
		return len(recs) == 2 && got[store.TON.Symbol].Chain == tonOnChain && got[store.TON.Symbol].Drift == 0 &&
			got["USDT"].Chain == 25_500_000 && got["USDT"].Drift == 0
	})
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, svc.log())
	}

	// The database looks one migration behind this binary (as beside a
	// service of the previous version): reconcile reads it as it is and
	// migrates nothing under that service.
	var raw *sql.DB
	if pg != "" {
		raw, err = store.OpenRaw(pg)
	} else {
		raw, err = sql.Open("sqlite", "file:"+env["DB_PATH"])
	}
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE name = '0007_dashboards.sql'`); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := tonpay(t, dir, env, "reconcile")
	if code != 0 {
		t.Fatalf("equal books: exit %d\n%s%s", code, out, stderr)
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM schema_migrations WHERE name = '0007_dashboards.sql'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("reconcile migrated the database (%d, %v)", n, err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations(name, applied_at) VALUES ('0007_dashboards.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	tonFig := tonOnChain.Format(9)
	if r := row(t, out, "GRAM"); r[0] != tonFig || r[1] != tonFig || r[2] != "0" {
		t.Fatalf("TON row %v, want chain = ledger = %s:\n%s", r, tonFig, out)
	}
	// The user's address and the operator's own (serve records it at start).
	if !strings.Contains(out, "and 2 deposit addresses, as the service last read each") {
		t.Fatalf("equal books: the deposit address is not counted:\n%s", out)
	}
	// --all reads every deposit address now: the same figures.
	code, all, stderr := tonpay(t, dir, env, "reconcile", "--all")
	if code != 0 || !strings.Contains(all, "each read now") {
		t.Fatalf("reconcile --all: exit %d\n%s%s", code, all, stderr)
	}
	if r := row(t, all, "GRAM"); r[0] != tonFig || r[1] != tonFig || r[2] != "0" {
		t.Fatalf("reconcile --all: GRAM row %v, want chain = ledger = %s:\n%s", r, tonFig, all)
	}
	if r := row(t, out, "USDT"); r[0] != "25.5" || r[1] != "25.5" || r[2] != "0" {
		t.Fatalf("USDT row %v:\n%s", r, out)
	}
	for _, want := range []string{ton.FormatAddress(hot, true), "recorded by the service: block", "GRAM drift 0", "USDT drift 0",
		"payouts: running", "the ledger equals the chain"} {
		if !strings.Contains(out, want) {
			t.Fatalf("equal books: output lacks %q:\n%s", want, out)
		}
	}

	// Someone books 1 TON more on the hot wallet than it holds.
	_, err = db.Post(ctx, store.Transfer{Key: "tamper", Kind: store.TransferAdjustment, Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -1_000_000_000}, {Account: store.AccountAdjust, Asset: store.TON.Symbol, Amount: 1_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr = tonpay(t, dir, env, "reconcile")
	if code != 1 {
		t.Fatalf("tampered ledger: exit %d, want 1\n%s%s", code, out, stderr)
	}
	if r := row(t, out, "GRAM"); r[0] != tonFig || r[1] != (tonOnChain+1_000_000_000).Format(9) || r[2] != "-1" {
		t.Fatalf("tampered TON row %v:\n%s", r, out)
	}
	if r := row(t, out, "USDT"); r[2] != "0" {
		t.Fatalf("USDT row %v:\n%s", r, out)
	}
	for _, want := range []string{"DRIFT", "run tonpay reconcile again", "payouts: running"} {
		if !strings.Contains(out, want) {
			t.Fatalf("drift: output lacks %q:\n%s", want, out)
		}
	}
	if p, ok, _ := db.PayoutPause(ctx); ok {
		t.Fatalf("reconcile paused payouts (it only reads): %+v", p)
	}
	if recs, _ := db.Reconciliations(ctx); len(recs) != 2 || recs[0].Drift != 0 || recs[1].Drift != 0 {
		t.Fatalf("reconcile recorded a reconciliation (it only reads): %+v", recs)
	}

	// The service, started again, finds the same drift and pauses payouts
	// (its /healthz says 503); reconcile beside it shows what it recorded
	// and the pause.
	env2 := maps.Clone(env)
	env2["HTTP_ADDR"] = freeAddr(t)
	svc = runService(t, env2)
	waitFor(t, 15*time.Second, func() bool { _, ok, _ := db.PayoutPause(ctx); return ok })
	code, out, stderr = tonpay(t, dir, env2, "reconcile")
	if code != 1 {
		t.Fatalf("drift with the service running: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"GRAM drift -1 since", "USDT drift 0", "payouts: PAUSED", "(drift)", "/resume"} {
		if !strings.Contains(out, want) {
			t.Fatalf("paused: output lacks %q:\n%s", want, out)
		}
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, svc.log())
	}
}

// TestReconcileErrorsExitTwoWithOneLine: an unreachable liteserver, or no
// database where DB_PATH says, is an error (2), not a verdict on the books.
func TestReconcileErrorsExitTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	words := tonrig.Seed()
	env := map[string]string{
		"BOT_TOKEN":           "123456:TEST",
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"TON_LITESERVERS":     freeAddr(t) + ":" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
	}
	code, out, stderr := tonpay(t, dir, env, "reconcile")
	if code != 2 || out != "" {
		t.Fatalf("no database: exit %d, stdout %q", code, out)
	}
	if line := oneLine(t, stderr); !strings.Contains(line, "DB_PATH") {
		t.Fatalf("no database: %q", line)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("reconcile created files: %v", entries)
	}

	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	db.Close()
	start := time.Now()
	code, out, stderr = tonpay(t, dir, env, "reconcile")
	if code != 2 || out != "" {
		t.Fatalf("unreachable liteserver: exit %d, stdout %q", code, out)
	}
	if line := oneLine(t, stderr); !strings.Contains(line, "liteserver") || !strings.Contains(line, env["TON_LITESERVERS"][:strings.LastIndex(env["TON_LITESERVERS"], ":")]) {
		t.Fatalf("unreachable liteserver: %q", line)
	}
	if d := time.Since(start); d > 35*time.Second {
		t.Fatalf("took %v to give up", d)
	}
}
