package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// tonpay runs the command in a fresh directory with only env set.
func tonpay(t *testing.T, dir string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func oneLine(t *testing.T, s string) string {
	t.Helper()
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "\n") {
		t.Fatalf("want exactly one line of error, got %q", s)
	}
	return s
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	const token = "123456:ABC"
	tests := []struct {
		name string
		env  map[string]string
		want string // the variable the error must name
	}{
		{"no bot token", map[string]string{}, "BOT_TOKEN"},
		{"malformed bot token", map[string]string{"BOT_TOKEN": "nocolon"}, "BOT_TOKEN"},
		{"unknown network", map[string]string{"BOT_TOKEN": token, "TON_NETWORK": "moon"}, "TON_NETWORK"},
		{"network before token", map[string]string{"TON_NETWORK": "moon"}, "TON_NETWORK"},
		{"bad duration", map[string]string{"BOT_TOKEN": token, "INVOICE_TTL": "soon"}, "INVOICE_TTL"},
		{"duration too short", map[string]string{"BOT_TOKEN": token, "INIT_DATA_TTL": "1s"}, "INIT_DATA_TTL"},
		{"fee with too many decimals", map[string]string{"BOT_TOKEN": token, "WITHDRAW_FEE": "TON:0.0000000001"}, "WITHDRAW_FEE"},
		{"fee of unknown asset", map[string]string{"BOT_TOKEN": token, "WITHDRAW_MIN": "USDT:1"}, "WITHDRAW_MIN"},
		{"jetton with bad master", map[string]string{"BOT_TOKEN": token, "JETTONS": "USDT:notanaddress:6"}, "JETTONS"},
		{"jetton with bad decimals", map[string]string{"BOT_TOKEN": token, "JETTONS": "USDT:0:" + strings.Repeat("ab", 32) + ":x"}, "JETTONS"},
		{"jetton named TON", map[string]string{"BOT_TOKEN": token, "JETTONS": "TON:0:" + strings.Repeat("ab", 32) + ":9"}, "JETTONS"},
		{"jetton named GRAM", map[string]string{"BOT_TOKEN": token, "JETTONS": "gram:0:" + strings.Repeat("ab", 32) + ":9"}, "JETTONS"},
		// An 18-decimal jetton's amounts above 9.22 tokens do not fit the ledger: refused at start, never dropped later.
		{"jetton with 18 decimals", map[string]string{"BOT_TOKEN": token, "JETTONS": "WETH:0:" + strings.Repeat("ab", 32) + ":18"}, "JETTONS"},
		{"mainnet address on testnet is fine but testnet one on mainnet is not", map[string]string{"BOT_TOKEN": token, "TON_NETWORK": "mainnet", "COLD_WALLET_ADDRESS": "0QACcZCIgVK1TLifxOdlkqJPwcVs5V1k-7CPD1ATNGQQJXcn"}, "COLD_WALLET_ADDRESS"},
		{"hot max without cold wallet", map[string]string{"BOT_TOKEN": token, "HOT_WALLET_MAX": "50"}, "COLD_WALLET_ADDRESS"},
		{"bad admin id", map[string]string{"BOT_TOKEN": token, "ADMIN_IDS": "12,abc"}, "ADMIN_IDS"},
		{"bad package price", map[string]string{"BOT_TOKEN": token, "PACKAGES": "starter:TON:1.5.0:100"}, "PACKAGES"},
		{"package credits", map[string]string{"BOT_TOKEN": token, "PACKAGES": "starter:TON:1.5:-3"}, "PACKAGES"},
		{"stars are whole", map[string]string{"BOT_TOKEN": token, "PACKAGES": "a:XTR:1.5:1"}, "PACKAGES"},
		{"only stars renew monthly", map[string]string{"BOT_TOKEN": token, "PACKAGES": "a:TON:1:1:monthly"}, "PACKAGES"},
		{"one price per currency", map[string]string{"BOT_TOKEN": token, "PACKAGES": "a:XTR:1:1,a:XTR:2:1"}, "PACKAGES"},
		{"one package, one number of credits", map[string]string{"BOT_TOKEN": token, "PACKAGES": "a:TON:1:1,a:XTR:1:2"}, "PACKAGES"},
		{"bad liteservers", map[string]string{"BOT_TOKEN": token, "TON_LITESERVERS": "127.0.0.1:99999:abc"}, "TON_LITESERVERS"},
		{"bad proof policy", map[string]string{"BOT_TOKEN": token, "TON_PROOF_CHECK": "trusting"}, "TON_PROOF_CHECK"},
		{"bad rps", map[string]string{"BOT_TOKEN": token, "TON_RPS": "-1"}, "TON_RPS"},
		{"http public url", map[string]string{"BOT_TOKEN": token, "PUBLIC_URL": "http://pay.example.com"}, "PUBLIC_URL"},
		{"mini app link elsewhere", map[string]string{"BOT_TOKEN": token, "MINI_APP_LINK": "https://example.com/bot/app"}, "MINI_APP_LINK"},
		{"mini app link too deep", map[string]string{"BOT_TOKEN": token, "MINI_APP_LINK": "https://t.me/pay_bot/app/x"}, "MINI_APP_LINK"},
		{"webhooks allow private not a bool", map[string]string{"BOT_TOKEN": token, "WEBHOOKS_ALLOW_PRIVATE": "maybe"}, "WEBHOOKS_ALLOW_PRIVATE"},
		{"bad mnemonic", map[string]string{"BOT_TOKEN": token, "HOT_WALLET_MNEMONIC": "one two three"}, "HOT_WALLET_MNEMONIC"},
		{"missing ton config", map[string]string{"BOT_TOKEN": token, "TON_CONFIG": "/nonexistent/global.json"}, "TON_CONFIG"},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"backup schedule without a directory", map[string]string{"BOT_TOKEN": token, "BACKUP_EVERY": "6h"}, "BACKUP_DIR"},
		{"backup count without a directory", map[string]string{"BOT_TOKEN": token, "BACKUP_KEEP": "3"}, "BACKUP_DIR"},
		{"bad backup interval", map[string]string{"BOT_TOKEN": token, "BACKUP_DIR": "/tmp/b", "BACKUP_EVERY": "daily"}, "BACKUP_EVERY"},
		{"backup interval too short", map[string]string{"BOT_TOKEN": token, "BACKUP_DIR": "/tmp/b", "BACKUP_EVERY": "10ms"}, "BACKUP_EVERY"},
		{"keep no backups", map[string]string{"BOT_TOKEN": token, "BACKUP_DIR": "/tmp/b", "BACKUP_KEEP": "0"}, "BACKUP_KEEP"},
		{"keep some backups", map[string]string{"BOT_TOKEN": token, "BACKUP_DIR": "/tmp/b", "BACKUP_KEEP": "few"}, "BACKUP_KEEP"},
		// A machine's amount is never guessed: "1,5" is not 1.5 in the configuration either.
		{"fee with a decimal comma", map[string]string{"BOT_TOKEN": token, "WITHDRAW_FEE": "TON:0,05"}, "WITHDRAW_FEE"},
		{"daily cap of unknown asset", map[string]string{"BOT_TOKEN": token, "WITHDRAW_DAILY_CAP": "USDT:100"}, "WITHDRAW_DAILY_CAP"},
		{"no open invoices", map[string]string{"BOT_TOKEN": token, "MAX_OPEN_INVOICES": "0"}, "MAX_OPEN_INVOICES"},
		{"streams not a number", map[string]string{"BOT_TOKEN": token, "MAX_EVENT_STREAMS": "many"}, "MAX_EVENT_STREAMS"},
		{"negative queue", map[string]string{"BOT_TOKEN": token, "MAX_QUEUED_WITHDRAWALS": "-1"}, "MAX_QUEUED_WITHDRAWALS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := tonpay(t, dir, tt.env, "serve")
			if code == 0 {
				t.Fatalf("exit code 0, want failure")
			}
			line := oneLine(t, stderr)
			if !strings.Contains(line, tt.want+":") {
				t.Fatalf("error %q does not name %s", line, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a rejected config left files behind: %v", entries)
			}
		})
	}
}

func TestConfigParsesEverything(t *testing.T) {
	t.Parallel()
	master := "0:" + strings.Repeat("ab", 32)
	env := map[string]string{
		"BOT_TOKEN":               "123456:ABC",
		"PUBLIC_URL":              "https://pay.example.com/",
		"TON_NETWORK":             "mainnet",
		"TON_LITESERVERS":         "127.0.0.1:4924:" + strings.Repeat("A", 43) + "=",
		"JETTONS":                 "usdt:" + master + ":6",
		"WITHDRAW_FEE":            "TON:0.05, USDT:0.5",
		"WITHDRAW_APPROVAL_ABOVE": "USDT:1000",
		"WITHDRAW_DAILY_CAP":      "TON:100,USDT:5000",
		"MAX_OPEN_INVOICES":       "3",
		"PACKAGES":                "starter:TON:1.5:100,pro:USDT:5:1000",
		"ADMIN_IDS":               "1, 2",
		"INVOICE_TTL":             "15m",
		"MINI_APP_LINK":           "https://t.me/tonpay_bot/pay",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] }, forServe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL.String() != "https://pay.example.com" || cfg.Testnet || len(cfg.LiteServers) != 1 {
		t.Fatalf("url/network/liteservers: %v %v %v", cfg.PublicURL, cfg.Testnet, cfg.LiteServers)
	}
	if len(cfg.Jettons) != 1 || cfg.Jettons[0].Symbol != "USDT" || cfg.Jettons[0].Decimals != 6 || cfg.Jettons[0].Master != master {
		t.Fatalf("jettons: %+v", cfg.Jettons)
	}
	// TON is the native coin's former code: read as GRAM.
	if len(cfg.WithdrawFee) != 2 || cfg.WithdrawFee[store.TON.Symbol] != 50_000_000 || cfg.WithdrawFee["USDT"] != 500_000_000 || cfg.WithdrawApprovalAbove["USDT"] != 1_000_000_000 {
		t.Fatalf("fees: %v %v", cfg.WithdrawFee, cfg.WithdrawApprovalAbove)
	}
	if cfg.WithdrawDailyCap[store.TON.Symbol] != 100_000_000_000 || cfg.WithdrawDailyCap["USDT"] != 5_000_000_000 {
		t.Fatalf("daily cap: %v", cfg.WithdrawDailyCap)
	}
	if cfg.MaxOpenInvoices != 3 || cfg.MaxEventStreams != store.DefaultMaxStreams || cfg.MaxQueuedWithdrawals != store.DefaultMaxQueuedWithdrawals {
		t.Fatalf("limits: %d %d %d", cfg.MaxOpenInvoices, cfg.MaxEventStreams, cfg.MaxQueuedWithdrawals)
	}
	// USDT's 0.5 GRAM fee covers its payout; Gram's 0.05 too: nothing to warn of.
	if short := cfg.FeesBelowCost(); len(short) != 0 {
		t.Fatalf("fees below cost: %v", short)
	}
	if cfg.DepositMin[store.TON.Symbol] != 10_000_000 || cfg.Packages[0].Asset != store.TON.Symbol {
		t.Fatalf("default deposit minimum %v, package %+v", cfg.DepositMin, cfg.Packages[0])
	}
	if cfg.BotUsername != "tonpay_bot" || cfg.AppName != "pay" || cfg.WebhooksAllowPrivate {
		t.Fatalf("mini app link: %q %q %v", cfg.BotUsername, cfg.AppName, cfg.WebhooksAllowPrivate)
	}
	if len(cfg.Packages) != 2 || cfg.Packages[0].Price != 1_500_000_000 || cfg.Packages[1].Price != 5_000_000 || cfg.Packages[1].Credits != 1000 {
		t.Fatalf("packages: %+v", cfg.Packages)
	}
	if len(cfg.AdminIDs) != 2 || cfg.InvoiceTTL.Minutes() != 15 || cfg.InitDataTTL.Hours() != 24 || cfg.RPS != 100 {
		t.Fatalf("admins/ttl/rps: %v %v %v %v", cfg.AdminIDs, cfg.InvoiceTTL, cfg.InitDataTTL, cfg.RPS)
	}
}

// TestNativeCoinCodes: every per-asset value takes the native coin as GRAM
// or by its former code TON, in any case, and the two name one asset.
func TestNativeCoinCodes(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"GRAM", "TON", "gram", "Ton"} {
		env := map[string]string{"BOT_TOKEN": "123456:ABC", "DEPOSIT_MIN": code + ":0.5", "WITHDRAW_FEE": code + ":0.02",
			"WITHDRAW_MIN": code + ":1", "WITHDRAW_APPROVAL_ABOVE": code + ":100", "PACKAGES": "starter:" + code + ":1.5:100",
			"HOT_WALLET_MAX": code + ":50", "COLD_WALLET_ADDRESS": "0QACcZCIgVK1TLifxOdlkqJPwcVs5V1k-7CPD1ATNGQQJXcn"}
		cfg, err := loadConfig(func(k string) string { return env[k] }, forServe)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		g := store.TON.Symbol
		if cfg.DepositMin[g] != 500_000_000 || cfg.WithdrawFee[g] != 20_000_000 || cfg.WithdrawMin[g] != 1_000_000_000 ||
			cfg.WithdrawApprovalAbove[g] != 100_000_000_000 || len(cfg.Packages) != 1 || cfg.Packages[0].Asset != g ||
			cfg.Packages[0].Price != 1_500_000_000 || cfg.HotWalletMax != 50_000_000_000 {
			t.Fatalf("%s: %v %v %v %v %+v %v", code, cfg.DepositMin, cfg.WithdrawFee, cfg.WithdrawMin, cfg.WithdrawApprovalAbove, cfg.Packages, cfg.HotWalletMax)
		}
	}
	// Both codes at once are one asset listed twice.
	env := map[string]string{"BOT_TOKEN": "123456:ABC", "WITHDRAW_FEE": "GRAM:0.01,TON:0.02"}
	if _, err := loadConfig(func(k string) string { return env[k] }, forServe); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("GRAM and TON both: %v", err)
	}
	env = map[string]string{"BOT_TOKEN": "123456:ABC", "PACKAGES": "a:GRAM:1:1,a:TON:2:1"}
	if _, err := loadConfig(func(k string) string { return env[k] }, forServe); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("a package priced twice in Gram: %v", err)
	}
}

// TestJettonNamedLikeTheCoinIsRefused: a JETTONS entry named GRAM or TON
// stops the start with one line saying why (a jetton with the coin's
// ticker is not the coin).
func TestJettonNamedLikeTheCoinIsRefused(t *testing.T) {
	for _, sym := range []string{"GRAM", "TON", "gram"} {
		dir := t.TempDir()
		env := map[string]string{"BOT_TOKEN": "123456:ABC", "JETTONS": "USDT:0:" + strings.Repeat("cd", 32) + ":6," + sym + ":0:" + strings.Repeat("ab", 32) + ":9"}
		code, _, stderr := tonpay(t, dir, env, "serve")
		line := oneLine(t, stderr)
		if code == 0 || !strings.Contains(line, "JETTONS:") || !strings.Contains(line, "native coin Gram") || !strings.Contains(line, "not the coin") {
			t.Fatalf("%s: exit %d, %q", sym, code, line)
		}
	}
}

func TestDotEnvFillsWhatTheEnvironmentLeavesUnset(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("# comment\nexport TON_NETWORK=moon\nDB_PATH=\"from-dotenv.db\" \n"), 0o600)
	code, _, stderr := tonpay(t, dir, map[string]string{}, "serve")
	if code == 0 || !strings.Contains(stderr, "TON_NETWORK") {
		t.Fatalf(".env value not used: %d %q", code, stderr)
	}
	code, out, stderr := tonpay(t, dir, map[string]string{"TON_NETWORK": "testnet"}, "migrate")
	if code != 0 || !strings.Contains(out, "from-dotenv.db") {
		t.Fatalf("environment must win and .env fill the rest: %d %q %q", code, out, stderr)
	}

	os.WriteFile(filepath.Join(dir, ".env"), []byte("NOT A LINE\n"), 0o600)
	code, _, stderr = tonpay(t, dir, nil, "migrate")
	if code == 0 || !strings.Contains(stderr, ".env:1") {
		t.Fatalf("malformed .env: %d %q", code, stderr)
	}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "fresh", "tonpay.db")
	env := map[string]string{"DB_PATH": dbPath} // no BOT_TOKEN: migrate does not need it
	snapshot := func() string {
		db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var b strings.Builder
		for _, q := range []string{
			`SELECT group_concat(name || '@' || applied_at, ',') FROM schema_migrations`,
			`SELECT group_concat(sql, ';') FROM sqlite_master ORDER BY name`,
		} {
			var s string
			if err := db.QueryRow(q).Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s)
		}
		return b.String()
	}
	if code, _, stderr := tonpay(t, dir, env, "migrate"); code != 0 {
		t.Fatalf("first migrate: %d %s", code, stderr)
	}
	first := snapshot()
	if !strings.Contains(first, "0001_init.sql@") || !strings.Contains(first, "CREATE TABLE entries") {
		t.Fatalf("schema not created: %.200s", first)
	}
	if code, _, stderr := tonpay(t, dir, env, "migrate"); code != 0 {
		t.Fatalf("second migrate: %d %s", code, stderr)
	}
	if again := snapshot(); again != first {
		t.Fatalf("second migrate changed the schema or its record")
	}
}

func TestWalletCreatesSeedOnceWithMode0600(t *testing.T) {
	dir := t.TempDir()
	code, out1, stderr := tonpay(t, dir, nil, "wallet")
	if code != 0 {
		t.Fatalf("wallet: %d %s", code, stderr)
	}
	info, err := os.Stat(filepath.Join(dir, "data", "hot-wallet.mnemonic"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("seed file mode %v, want 0600", info.Mode().Perm())
	}
	_, out2, _ := tonpay(t, dir, nil, "wallet")
	if out1 != out2 {
		t.Fatalf("second run printed another wallet:\n%s\n%s", out1, out2)
	}
	addr := strings.Fields(out1)[0]
	if !strings.HasPrefix(addr, "0Q") { // non-bounceable, testnet
		t.Fatalf("want a testnet non-bounceable address, got %q", addr)
	}
	_, main, _ := tonpay(t, dir, map[string]string{"TON_NETWORK": "mainnet"}, "wallet")
	if !strings.HasPrefix(main, "UQ") {
		t.Fatalf("want a mainnet non-bounceable address, got %q", main)
	}

	os.Chmod(filepath.Join(dir, "data", "hot-wallet.mnemonic"), 0o644)
	code, _, stderr = tonpay(t, dir, nil, "wallet")
	if code == 0 || !strings.Contains(stderr, "chmod 600") {
		t.Fatalf("a world-readable seed must be refused: %d %q", code, stderr)
	}
}

func TestWalletFromMnemonicVariable(t *testing.T) {
	dir := t.TempDir()
	_, out, _ := tonpay(t, dir, nil, "wallet")
	seed, _ := os.ReadFile(filepath.Join(dir, "data", "hot-wallet.mnemonic"))
	other := t.TempDir()
	code, out2, stderr := tonpay(t, other, map[string]string{"HOT_WALLET_MNEMONIC": string(seed)}, "wallet")
	if code != 0 || strings.Fields(out2)[0] != strings.Fields(out)[0] {
		t.Fatalf("same seed, other address: %q vs %q (%s)", out2, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "data")); err == nil {
		t.Fatal("a seed from the environment must not write a seed file")
	}
}

func TestVersionAndUsage(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := tonpay(t, dir, nil, "version"); code != 0 || !strings.HasPrefix(out, "tonpay ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, stderr := tonpay(t, dir, nil, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, stderr)
	}
}

func TestMerchantCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"DB_PATH": filepath.Join(dir, "tonpay.db")}
	merchant := func(args ...string) (int, string, string) {
		return tonpay(t, dir, env, append([]string{"merchant"}, args...)...)
	}
	code, out, _ := merchant("add", "Coffee Shop", "https://shop.example.com/hooks/tonpay")
	token := regexp.MustCompile(`api token: (\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`webhook secret: (\S+)`).FindStringSubmatch(out)
	if code != 0 || token == nil || secret == nil {
		t.Fatalf("add: %d %q", code, out)
	}
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	m, err := db.MerchantByToken(ctx, token[1])
	if err != nil || m.Name != "Coffee Shop" || m.WebhookSecret != secret[1] {
		t.Fatalf("stored merchant %+v %v", m, err)
	}

	code, out, _ = merchant("list")
	if code != 0 || !strings.Contains(out, "Coffee Shop") || !strings.Contains(out, "https://shop.example.com/hooks/tonpay") {
		t.Fatalf("list: %d %q", code, out)
	}

	code, out, _ = merchant("rotate-token", strconv.FormatInt(m.ID, 10))
	fresh := regexp.MustCompile(`new api token: (\S+)`).FindStringSubmatch(out)
	if code != 0 || fresh == nil || fresh[1] == token[1] {
		t.Fatalf("rotate: %d %q", code, out)
	}
	if _, err := db.MerchantByToken(ctx, token[1]); err == nil {
		t.Fatal("the old token still works after rotation")
	}
	if got, err := db.MerchantByToken(ctx, fresh[1]); err != nil || got.ID != m.ID {
		t.Fatalf("new token: %+v %v", got, err)
	}

	code, out, _ = merchant("set-webhook", strconv.FormatInt(m.ID, 10), "https://shop.example.com/v2/hook")
	if got, _ := db.Merchant(ctx, m.ID); code != 0 || got.WebhookURL != "https://shop.example.com/v2/hook" || !strings.Contains(out, got.WebhookSecret) {
		t.Fatalf("set-webhook: %d %q %+v", code, out, got)
	}

	// Owners: who runs the merchant's dashboard in the Mini App.
	mid := strconv.FormatInt(m.ID, 10)
	code, out, _ = merchant("set-owners", mid, "42", "43", "42")
	if owners, _ := db.MerchantOwners(ctx, m.ID); code != 0 || fmt.Sprint(owners) != "[42 43]" || !strings.Contains(out, "42, 43") {
		t.Fatalf("set-owners: %d %q %v", code, out, owners)
	}
	code, out, _ = merchant("add", "Tea House", "--owner", "42", "--owner=77")
	if code != 0 || !strings.Contains(out, "owners: 42, 77") {
		t.Fatalf("add with owners: %d %q", code, out)
	}
	if owned, _ := db.OwnedMerchants(ctx, 42); len(owned) != 2 {
		t.Fatalf("user 42 owns %d merchants", len(owned))
	}
	if code, out, _ = merchant("list"); !strings.Contains(out, "42, 43") || !strings.Contains(out, "42, 77") {
		t.Fatalf("list without owners: %q", out)
	}
	// The CLI's changes are in the audit log, by the operator.
	es, _ := db.AuditLog(ctx, store.AuditFilter{MerchantID: m.ID})
	var acts []string
	for _, e := range es {
		if e.Role != store.RoleOperator {
			t.Fatalf("CLI entry with role %s", e.Role)
		}
		acts = append(acts, e.Action)
	}
	if got := strings.Join(acts, " "); got != "merchant.owners merchant.webhook_secret merchant.webhook_url merchant.token merchant.add" {
		t.Fatalf("audit %q", got)
	}

	// Wrong command lines change nothing and exit 2 with the usage.
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"rotate-token", "abc"},
		{"set-webhook", strconv.FormatInt(m.ID, 10), "ftp://nope"}, {"rotate-token", "999"},
		{"set-owners", mid}, {"set-owners", mid, "-5"}, {"set-owners", mid, "@ann"}, {"set-owners", "999", "1"},
		{"add", "X", "--owner"}, {"add", "X", "--owner", "zero"}, {"add", "X", "--admin", "1"},
	} {
		code, _, errOut := merchant(args...)
		if code == 0 || errOut == "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if got, _ := db.Merchant(ctx, m.ID); got.WebhookURL != "https://shop.example.com/v2/hook" {
		t.Fatalf("a refused command changed the merchant: %+v", got)
	}
	if ms, _ := db.ListMerchants(ctx); len(ms) != 2 {
		t.Fatalf("%d merchants", len(ms))
	}
	if owners, _ := db.MerchantOwners(ctx, m.ID); fmt.Sprint(owners) != "[42 43]" {
		t.Fatalf("a refused command changed the owners: %v", owners)
	}
}

// TestSweepMinPerAsset: SWEEP_MIN is the Gram a deposit address is swept
// from (bare or GRAM:), and per jetton the least worth its sweep's gas: one
// whole unit unless named.
func TestSweepMinPerAsset(t *testing.T) {
	t.Parallel()
	jettons := "USDT:0:" + strings.Repeat("ab", 32) + ":6"
	load := func(v string) (*Config, error) {
		env := map[string]string{"BOT_TOKEN": "123456:ABC", "JETTONS": jettons, "SWEEP_MIN": v}
		return loadConfig(func(k string) string { return env[k] }, forServe)
	}
	cfg, err := load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SweepMin != 500_000_000 || cfg.SweepJettonMin["USDT"] != 1_000_000 {
		t.Fatalf("defaults: %d Gram, %v", cfg.SweepMin, cfg.SweepJettonMin)
	}
	for _, v := range []string{"0.7,USDT:5", "GRAM:0.7,USDT:5", "ton:0.7, usdt:5"} {
		cfg, err := load(v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if cfg.SweepMin != 700_000_000 || cfg.SweepJettonMin["USDT"] != 5_000_000 {
			t.Fatalf("%s: %d Gram, %v", v, cfg.SweepMin, cfg.SweepJettonMin)
		}
	}
	for _, v := range []string{"0.001", "XYZ:1", "USDT:0", "USDT:1.0000001"} {
		if _, err := load(v); err == nil || !strings.Contains(err.Error(), "SWEEP_MIN") {
			t.Fatalf("%s: %v", v, err)
		}
	}
}
