package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// doctorFixture is a live service on the offline chain, as doctor would
// find it on a healthy VPS: a funded hot wallet, a jetton, a cold wallet,
// the Mini App behind an https proxy (PUBLIC_URL), the bot on a webhook,
// scheduled backups, books equal to the chain.
type doctorFixture struct {
	env   map[string]string
	proxy *httptest.Server
	chain *tontest.Chain
	hot   string
	funds string // what the hot wallet holds, formatted
	dir   string
}

func (f *doctorFixture) deps() doctor.Deps {
	d := defaultDoctorDeps()
	d.Web = f.proxy.Client() // trusts the proxy's test certificate
	d.Web.Timeout = 5 * time.Second
	d.Web.CheckRedirect = noRedirects
	d.FreeSpace = func(string) (uint64, uint64, error) { return 50 << 30, 100 << 30, nil }
	d.LockWait = 300 * time.Millisecond
	return d
}

// doctor runs tonpay doctor on env with deps and returns its exit code and
// its findings by check name.
func runDoctor(t *testing.T, env map[string]string, deps doctor.Deps) (int, string, map[string][]string) {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] }, forServe)
	var out bytes.Buffer
	code := doctorCmd(context.Background(), cfg, err, &out, deps)
	lines := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[0] == "ok" || f[0] == "warn" || f[0] == "FAIL" || f[0] == "skip") {
			name := strings.TrimSpace(l[6:19])
			lines[name] = append(lines[name], l)
		}
	}
	return code, out.String(), lines
}

func startDoctorFixture(t *testing.T) *doctorFixture { return startDoctorFixtureOn(t, "") }

// startDoctorFixtureOn is the fixture on the PostgreSQL database at pg
// (no scheduled backups there), or on SQLite when pg is "".
func startDoctorFixtureOn(t *testing.T, pg string) *doctorFixture {
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)
	usdt := chain.NewJetton("USDT", 6)
	cold, err := chain.NewWallet(wallet.V4R2, 1_000_000_000)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	const token = "123456:DOCTOR"
	httpAddr := freeAddr(t)
	target, _ := url.Parse("http://" + httpAddr)
	proxy := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(proxy.Close)
	env := map[string]string{
		"BOT_TOKEN":           token,
		"TELEGRAM_API_URL":    botapi.New(t, botapi.Options{Token: token, Username: "tonpay_doctor_bot"}).URL,
		"PUBLIC_URL":          proxy.URL,
		"WEBHOOK_URL":         proxy.URL + "/telegram/hook",
		"MINI_APP_LINK":       "https://t.me/tonpay_doctor_bot/pay",
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           httpAddr,
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"JETTONS":             "USDT:" + usdt.Master().StringRaw() + ":6",
		"COLD_WALLET_ADDRESS": ton.FormatAddress(cold.Address(), true),
		"HOT_WALLET_MAX":      "100",
		"BACKUP_DIR":          filepath.Join(dir, "backups"),
		"ADMIN_IDS":           "42",
		"LOG_LEVEL":           "warn",
	}
	if pg != "" {
		env["DATABASE_URL"] = pg
		delete(env, "BACKUP_DIR")
	}
	startService(t, env)

	var db *store.DB
	if pg != "" {
		var err error
		if db, err = store.Open(ctx, pg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
	} else {
		db = storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	}
	chain.Fund(hot, 7_000_000_000)
	usdt.Mint(hot, big.NewInt(12_500_000))
	onChain := store.Amount(chain.Balance(hot))
	waitFor(t, 15*time.Second, func() bool {
		recs, _ := db.Reconciliations(ctx)
		got := map[string]store.Reconciliation{}
		for _, r := range recs {
			got[r.Asset] = r
		}
		return got[store.TON.Symbol].Chain == onChain && got[store.TON.Symbol].Drift == 0 && got["USDT"].Chain == 12_500_000 && got["USDT"].Drift == 0
	})
	waitFor(t, 10*time.Second, func() bool {
		if pg != "" {
			return true
		}
		m, _ := filepath.Glob(filepath.Join(env["BACKUP_DIR"], "tonpay-*.db"))
		return len(m) > 0
	})
	return &doctorFixture{env: env, proxy: proxy, chain: chain, hot: ton.FormatAddress(hot, true), funds: onChain.Format(9), dir: dir}
}

// TestDoctor runs tonpay doctor beside a healthy service (every check ok,
// exit 0), then breaks one thing at a time: each failing check is reported
// on its line with its fix, and the exit status is 1.
func TestDoctor(t *testing.T) {
	t.Parallel()
	f := startDoctorFixture(t)

	t.Run("all green", func(t *testing.T) {
		code, out, lines := runDoctor(t, f.env, f.deps())
		if code != 0 || !strings.Contains(out, "all checks passed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(l, "ok ") && l != "all checks passed" {
				t.Fatalf("not ok: %q\n%s", l, out)
			}
		}
		for name, want := range map[string]string{
			"config":      "network testnet; assets GRAM, USDT",
			"fees":        "withdrawal fees cover the network cost: GRAM 0.01 GRAM (a payout costs up to 0.0070148), USDT 0.06 GRAM (a payout costs up to 0.0577988)",
			"database":    "is writable",
			"schema":      "current",
			"integrity":   "integrity_check ok",
			"disk":        "50.0 GiB free",
			"backups":     "the newest",
			"bot":         "@tonpay_doctor_bot",
			"webhook":     f.env["WEBHOOK_URL"],
			"public url":  "serves this instance's manifest; certificate from",
			"lite-server": "round trip, block",
			"hot wallet":  f.hot + " holds " + f.funds + " GRAM, not deployed yet",
			"jetton USDT": "holds 12.5 USDT",
			"cold wallet": "valid on testnet",
			"ledger":      "equals the chain at block",
		} {
			if len(lines[name]) != 1 || !strings.Contains(lines[name][0], want) {
				t.Errorf("%s: %q, want it to say %q", name, lines[name], want)
			}
		}
		if strings.Contains(out, "DOCTOR") {
			t.Fatalf("the bot token's secret is printed:\n%s", out)
		}
	})

	// copyDB makes a copy of the live database for a case to damage.
	copyDB := func(t *testing.T, damage func(path string)) string {
		path := filepath.Join(t.TempDir(), "tonpay.db")
		if _, err := store.BackupFile(context.Background(), f.env["DB_PATH"], path); err != nil {
			t.Fatal(err)
		}
		if damage != nil {
			damage(path)
		}
		return path
	}
	// elsewhere is the environment of a service with a fresh database and
	// only TON, for cases that look at another chain or another wallet.
	elsewhere := func(t *testing.T, env map[string]string) map[string]string {
		p := filepath.Join(t.TempDir(), "tonpay.db")
		db := storetest.OpenWith(t, storetest.Config{Path: p, Assets: []store.Asset{}})
		db.Close()
		return maps.Collect(func(yield func(string, string) bool) {
			for k, v := range map[string]string{"DB_PATH": p, "JETTONS": "", "COLD_WALLET_ADDRESS": "", "HOT_WALLET_MAX": "", "BACKUP_DIR": filepath.Dir(p)} {
				yield(k, v)
			}
			for k, v := range env {
				yield(k, v)
			}
		})
	}
	rawExec := func(t *testing.T, path string, q ...string) {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range q {
			if _, err := db.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tonconnect-manifest.json" {
			json.NewEncoder(w).Encode(map[string]string{"url": "https://another.example.com", "name": "x"})
			return
		}
		http.NotFound(w, r)
	}))
	defer other.Close()
	notFound := httptest.NewTLSServer(http.NotFoundHandler())
	defer notFound.Close()
	skewed := tonrig.Chain(t, tontest.Options{})
	skewed.AutoMine(100 * time.Millisecond)

	tests := []struct {
		name    string
		env     map[string]string // "" removes the variable
		deps    func(*doctor.Deps)
		prepare func(t *testing.T) map[string]string
		check   string // the check that must report it
		verdict string // FAIL, or warn
		says    string // in its line
		fix     string // in its fix
	}{
		{name: "configuration", env: map[string]string{"TON_NETWORK": "moon"}, check: "config", verdict: "FAIL", says: "TON_NETWORK", fix: "set TON_NETWORK"},
		{name: "cold wallet of the other network", env: map[string]string{"TON_NETWORK": "mainnet", "JETTONS": ""},
			check: "config", verdict: "FAIL", says: "COLD_WALLET_ADDRESS", fix: "set COLD_WALLET_ADDRESS"},
		{name: "no database", env: map[string]string{"DB_PATH": "/nonexistent/tonpay.db"}, check: "database", verdict: "FAIL", says: "no database at", fix: "DB_PATH"},
		{name: "withdrawal fee below the network cost", env: map[string]string{"WITHDRAW_FEE": "TON:0.001"}, check: "fees", verdict: "warn",
			says: "WITHDRAW_FEE of GRAM is 0.001 GRAM and a payout costs the hot wallet up to 0.0070148 GRAM on chain", fix: "WITHDRAW_FEE=GRAM:0.0070148"},
		{name: "zero jetton fee", env: map[string]string{"WITHDRAW_FEE": "USDT:0"}, check: "fees", verdict: "warn",
			says: "WITHDRAW_FEE of USDT is 0 GRAM and a payout costs the hot wallet up to 0.0577988 GRAM", fix: "WITHDRAW_FEE=USDT:0.0577988"},
		{name: "not a database", prepare: func(t *testing.T) map[string]string {
			p := filepath.Join(t.TempDir(), "x.db")
			os.WriteFile(p, bytes.Repeat([]byte("not sqlite "), 1000), 0o600)
			return map[string]string{"DB_PATH": p}
		}, check: "database", verdict: "FAIL", says: "not a tonpay database", fix: "DB_PATH"},
		{name: "database locked by another writer", prepare: func(t *testing.T) map[string]string {
			p := copyDB(t, nil)
			db, _ := sql.Open("sqlite", "file:"+p)
			c, _ := db.Conn(context.Background())
			if _, err := c.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.ExecContext(context.Background(), "ROLLBACK"); c.Close(); db.Close() })
			return map[string]string{"DB_PATH": p}
		}, check: "database", verdict: "FAIL", says: "is not writable", fix: "write lock"},
		{name: "read-only database file", prepare: func(t *testing.T) map[string]string {
			if os.Geteuid() == 0 {
				t.Skip("root writes to read-only files; the locked-database case covers root")
			}
			p := copyDB(t, nil)
			os.Chmod(p, 0o400)
			os.Chmod(filepath.Dir(p), 0o500)
			t.Cleanup(func() { os.Chmod(filepath.Dir(p), 0o700) })
			return map[string]string{"DB_PATH": p}
		}, check: "database", verdict: "FAIL", says: "is not writable", fix: "chown"},
		{name: "schema made by a newer tonpay", prepare: func(t *testing.T) map[string]string {
			return map[string]string{"DB_PATH": copyDB(t, func(p string) {
				rawExec(t, p, `INSERT INTO schema_migrations VALUES ('9999_future.sql', 0)`)
			})}
		}, check: "schema", verdict: "FAIL", says: "9999_future.sql", fix: "restore a backup"},
		{name: "schema behind this tonpay", prepare: func(t *testing.T) map[string]string {
			known := store.KnownMigrations()
			return map[string]string{"DB_PATH": copyDB(t, func(p string) {
				rawExec(t, p, `DELETE FROM schema_migrations WHERE name = '`+known[len(known)-1]+`'`)
			})}
		}, check: "schema", verdict: "warn", says: "newer migration", fix: "copied first"},
		{name: "damaged database", prepare: func(t *testing.T) map[string]string {
			return map[string]string{"DB_PATH": copyDB(t, func(p string) {
				db, _ := sql.Open("sqlite", "file:"+p)
				var page, size int64
				db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'entries_account'`).Scan(&page)
				db.QueryRow(`PRAGMA page_size`).Scan(&size)
				db.Close()
				fh, _ := os.OpenFile(p, os.O_RDWR, 0)
				fh.WriteAt(bytes.Repeat([]byte{0xff}, 64), (page-1)*size+8)
				fh.Close()
			})}
		}, check: "integrity", verdict: "FAIL", says: "integrity_check", fix: "restore the newest backup"},
		{name: "disk nearly full", deps: func(d *doctor.Deps) {
			d.FreeSpace = func(string) (uint64, uint64, error) { return 50 << 20, 100 << 30, nil }
		}, check: "disk", verdict: "FAIL", says: "50.0 MiB free", fix: "free space"},
		{name: "no backups", env: map[string]string{"BACKUP_DIR": ""}, check: "backups", verdict: "warn", says: "no scheduled backups", fix: "BACKUP_DIR"},
		{name: "bad bot token", env: map[string]string{"BOT_TOKEN": "123456:WRONG"}, check: "bot", verdict: "FAIL", says: "getMe answered 401", fix: "@BotFather"},
		{name: "Telegram unreachable", env: map[string]string{"TELEGRAM_API_URL": "http://" + freeAddr(t)}, check: "bot", verdict: "FAIL", says: "unreachable", fix: "reach"},
		{name: "webhook elsewhere", env: map[string]string{"WEBHOOK_URL": "https://pay.example.com/other"}, check: "webhook", verdict: "FAIL", says: "not WEBHOOK_URL", fix: "tonpay serve"},
		{name: "public url is http", env: map[string]string{"PUBLIC_URL": "http://" + f.env["HTTP_ADDR"]}, check: "public url", verdict: "FAIL", says: "is not https", fix: "TLS_DOMAIN"},
		{name: "public url does not serve the manifest", env: map[string]string{"PUBLIC_URL": notFound.URL}, check: "public url", verdict: "FAIL", says: "404", fix: "reach this tonpay"},
		{name: "public url serves another instance", env: map[string]string{"PUBLIC_URL": other.URL}, check: "public url", verdict: "FAIL", says: "another.example.com", fix: "point PUBLIC_URL"},
		{name: "public url with an untrusted certificate", deps: func(d *doctor.Deps) { d.Web = &http.Client{Timeout: 5 * time.Second} },
			check: "public url", verdict: "FAIL", says: "certificate is not valid", fix: "TLS_DOMAIN"},
		{name: "public url does not resolve", env: map[string]string{"PUBLIC_URL": "https://tonpay-doctor.invalid"}, check: "public url", verdict: "FAIL", says: "does not resolve", fix: "DNS"},
		{name: "lite-server unreachable", env: map[string]string{"TON_LITESERVERS": freeAddr(t) + ":" + base64.StdEncoding.EncodeToString(make([]byte, 32))},
			check: "lite-server", verdict: "FAIL", says: "none of 1 reachable", fix: "TON_LITESERVERS"},
		{name: "one lite-server of two unreachable", env: map[string]string{"TON_LITESERVERS": f.env["TON_LITESERVERS"] + "," + freeAddr(t) + ":" + base64.StdEncoding.EncodeToString(make([]byte, 32))},
			check: "lite-server", verdict: "warn", says: "1 of 2 unreachable", fix: "uses the others"},
		{name: "clock 10 s off", prepare: func(t *testing.T) map[string]string {
			skewed.Advance(10 * time.Second)
			t.Cleanup(func() { skewed.Advance(-10 * time.Second) })
			return elsewhere(t, map[string]string{"TON_LITESERVERS": skewed.LiteServers()})
		}, check: "lite-server", verdict: "warn", says: "its clock +", fix: "timedatectl"},
		{name: "clock 2 min off", prepare: func(t *testing.T) map[string]string {
			skewed.Advance(-2 * time.Minute)
			t.Cleanup(func() { skewed.Advance(2 * time.Minute) })
			return elsewhere(t, map[string]string{"TON_LITESERVERS": skewed.LiteServers()})
		}, check: "lite-server", verdict: "FAIL", says: "its clock -1", fix: "timedatectl"},
		{name: "no hot wallet seed", env: map[string]string{"HOT_WALLET_MNEMONIC": "", "HOT_WALLET_MNEMONIC_FILE": "/nonexistent/seed"},
			check: "hot wallet", verdict: "FAIL", says: "no seed file", fix: "tonpay wallet"},
		{name: "empty hot wallet", prepare: func(t *testing.T) map[string]string {
			return elsewhere(t, map[string]string{"HOT_WALLET_MNEMONIC": strings.Join(wallet.NewSeed(), " ")})
		}, check: "hot wallet", verdict: "warn", says: "holds nothing", fix: "send Gram"},
		{name: "jetton master that is no jetton", prepare: func(t *testing.T) map[string]string {
			w, err := f.chain.NewWallet(wallet.V4R2, 1_000_000_000)
			if err != nil {
				t.Fatal(err)
			}
			return map[string]string{"JETTONS": "USDT:" + w.Address().StringRaw() + ":6"}
		}, check: "jetton USDT", verdict: "FAIL", says: "does not give our jetton wallet", fix: "JETTONS"},
		{name: "cold wallet is the hot wallet", env: map[string]string{"COLD_WALLET_ADDRESS": f.hot},
			check: "cold wallet", verdict: "FAIL", says: "is the hot wallet itself", fix: "COLD_WALLET_ADDRESS"},
		{name: "ledger drifted from the chain", prepare: func(t *testing.T) map[string]string {
			return map[string]string{"DB_PATH": copyDB(t, func(p string) {
				db := storetest.OpenWith(t, storetest.Config{Path: p, Assets: []store.Asset{}})
				_, err := db.Post(context.Background(), store.Transfer{Key: "tamper", Kind: store.TransferAdjustment, Postings: []store.Posting{
					{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -1_000_000_000}, {Account: store.AccountAdjust, Asset: store.TON.Symbol, Amount: 1_000_000_000}}})
				if err != nil {
					t.Fatal(err)
				}
			})}
		}, check: "ledger", verdict: "FAIL", says: ", drift -1 -- fix", fix: "tonpay reconcile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := maps.Clone(f.env)
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.prepare != nil {
				maps.Copy(env, tt.prepare(t))
			}
			deps := f.deps()
			if tt.deps != nil {
				tt.deps(&deps)
			}
			code, out, lines := runDoctor(t, env, deps)
			if want := map[string]int{"FAIL": 1, "warn": 0}[tt.verdict]; code != want {
				t.Fatalf("exit %d, want %d:\n%s", code, want, out)
			}
			found := false
			for _, l := range lines[tt.check] {
				if strings.HasPrefix(l, tt.verdict+" ") && strings.Contains(l, tt.says) {
					found = true
					if _, fix, ok := strings.Cut(l, " -- fix: "); !ok || !strings.Contains(fix, tt.fix) {
						t.Fatalf("%s: the fix does not say %q: %q", tt.check, tt.fix, l)
					}
				}
			}
			if !found {
				t.Fatalf("no %s %s line saying %q:\n%s", tt.verdict, tt.check, tt.says, out)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "FAIL ") && !strings.Contains(l, " -- fix: ") {
					t.Fatalf("a failure without its fix: %q", l)
				}
			}
		})
	}
}

// TestDoctorThroughRun: `tonpay doctor` through the command line, with a
// broken configuration, prints the one failing line and exits 1 (not 2).
func TestDoctorThroughRun(t *testing.T) {
	code, out, stderr := tonpay(t, t.TempDir(), map[string]string{"BOT_TOKEN": "nocolon"}, "doctor")
	if code != 1 || stderr != "" || !strings.HasPrefix(out, "FAIL  config       BOT_TOKEN: malformed") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, stderr)
	}
}

// TestDoctorOnPostgres runs tonpay doctor beside a healthy service on
// PostgreSQL: the server's checks (connection, version, schema, the live
// ledger's invariants, the leader's lease, replication, WAL archiving)
// replace the SQLite file's (writable, integrity_check, disk, scheduled
// backups); the throwaway cluster has no standby and no archiving, two
// warnings. Then an expired lease, a database no node ever led, an
// unreachable server and a database without tonpay's schema fail (or
// warn) on their line, with the exit status that goes with it.
func TestDoctorOnPostgres(t *testing.T) {
	pg := storetest.Schema(t)
	t.Parallel()
	f := startDoctorFixtureOn(t, pg)

	t.Run("healthy", func(t *testing.T) {
		code, out, lines := runDoctor(t, f.env, f.deps())
		t.Logf("tonpay doctor on PostgreSQL:\n%s", out)
		if code != 0 || !strings.Contains(out, "no check failed; 2 warning(s)") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		for name, want := range map[string]string{
			"config":      "ok    config       network testnet; assets GRAM, USDT; 1 admin(s); database postgres://tonpay@",
			"database":    "ok    database     connected to postgres://",
			"version":     "ok    version      PostgreSQL 1",
			"schema":      "ok    schema       " + store.KnownMigrations()[len(store.KnownMigrations())-1] + ", current",
			"invariants":  "ok    invariants   the ledger's entries sum to zero per asset",
			"leader":      "ok    leader       ",
			"replication": "warn  replication  no standby attached: losing the server's disk loses every transaction since the last archived WAL",
			"disk":        "skip  disk         skipped: the ledger lives on the PostgreSQL server",
			"backups":     "warn  backups      WAL archiving is off on this server",
			"webhook":     "ok    webhook      Telegram posts updates to",
			"ledger":      "ok    ledger       equals the chain at block",
		} {
			if len(lines[name]) != 1 || !strings.HasPrefix(lines[name][0], want) {
				t.Errorf("%s: %q, want it to start %q", name, lines[name], want)
			}
		}
		if !strings.Contains(lines["leader"][0], "leads (epoch ") || !strings.Contains(lines["version"][0], "tonpay runs on PostgreSQL 12 and newer") {
			t.Errorf("leader or version line:\n%s", out)
		}
		if !strings.Contains(lines["backups"][0], "-- fix: set up base backups (pg_basebackup") {
			t.Errorf("the backups line does not say what to set up: %q", lines["backups"])
		}
		for _, gone := range []string{"integrity_check", "writable", "free of", "BACKUP_DIR", "tonpay.db"} {
			if strings.Contains(out, gone) {
				t.Errorf("a SQLite check on PostgreSQL (%q):\n%s", gone, out)
			}
		}
	})

	// elsewhere is a fresh database of this server (migrated by a store
	// opened on it) with a fresh, empty hot wallet: the ledger equals the
	// chain (both empty), so what fails is what the case broke.
	elsewhere := func(t *testing.T, lease func(db *store.DB)) map[string]string {
		url := storetest.Schema(t)
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		if lease != nil {
			lease(db)
		}
		db.Close()
		env := maps.Clone(f.env)
		maps.Copy(env, map[string]string{"DATABASE_URL": url, "JETTONS": "", "COLD_WALLET_ADDRESS": "", "HOT_WALLET_MAX": "",
			"HOT_WALLET_MNEMONIC": strings.Join(wallet.NewSeed(), " ")})
		return env
	}
	for _, tt := range []struct {
		name  string
		env   func(t *testing.T) map[string]string
		code  int
		check string
		says  string
		fix   string
		skips []string // checks that cannot run
	}{
		{name: "the lease expired", env: func(t *testing.T) map[string]string {
			return elsewhere(t, func(db *store.DB) {
				if _, ok, err := db.AcquireLease(context.Background(), "n1-gone", time.Millisecond); err != nil || !ok {
					t.Fatalf("lease: %v %v", ok, err)
				}
			})
		}, code: 1, check: "leader", says: "FAIL  leader       no leader: the lease of n1-gone (epoch 1) expired", fix: "start a node"},
		{name: "no node led yet", env: func(t *testing.T) map[string]string { return elsewhere(t, nil) },
			code: 0, check: "leader", says: "warn  leader       no node has led yet", fix: "start the service"},
		{name: "the server is unreachable", env: func(t *testing.T) map[string]string {
			env := maps.Clone(f.env)
			env["DATABASE_URL"] = "postgres://tonpay:secret@" + freeAddr(t) + "/tonpay?connect_timeout=5"
			return env
		}, code: 1, check: "database", says: "FAIL  database     cannot connect to postgres://tonpay:xxxxx@127.0.0.1:", fix: "check DATABASE_URL",
			skips: []string{"version", "schema", "invariants", "leader", "replication", "backups", "ledger"}},
		{name: "not tonpay's database", env: func(t *testing.T) map[string]string {
			env := maps.Clone(f.env)
			env["DATABASE_URL"] = storetest.Schema(t)
			return env
		}, code: 1, check: "database", says: "not a tonpay database", fix: "run tonpay migrate",
			skips: []string{"schema", "leader"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, lines := runDoctor(t, tt.env(t), f.deps())
			if code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.code, out)
			}
			if len(lines[tt.check]) != 1 || !strings.Contains(lines[tt.check][0], tt.says) {
				t.Fatalf("%s: %q, want it to say %q:\n%s", tt.check, lines[tt.check], tt.says, out)
			}
			if _, fix, _ := strings.Cut(lines[tt.check][0], " -- fix: "); !strings.Contains(fix, tt.fix) {
				t.Fatalf("%s: the fix does not say %q: %q", tt.check, tt.fix, lines[tt.check][0])
			}
			for _, name := range tt.skips {
				if len(lines[name]) != 1 || !strings.HasPrefix(lines[name][0], "skip ") {
					t.Errorf("%s: %q, want it skipped", name, lines[name])
				}
			}
			if strings.Contains(out, "secret") {
				t.Errorf("the database password is printed:\n%s", out)
			}
		})
	}
}
