package main

import (
	"bufio"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"golang.org/x/crypto/acme/autocert"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Config is every setting of the service, parsed and checked once at start.
type Config struct {
	BotToken       string
	PublicURL      *url.URL // nil when unset
	HTTPAddr       string
	DBPath         string
	DatabaseURL    string // when set, the PostgreSQL database used instead of the SQLite file at DBPath
	TelegramAPIURL string

	Network     string // testnet | mainnet
	Testnet     bool
	TONConfig   string
	LiteServers []ton.LiteServer
	RPS         int
	ProofCheck  tonapi.ProofCheckPolicy

	HotMnemonic     []string // from HOT_WALLET_MNEMONIC; else read from HotMnemonicFile
	HotMnemonicFile string
	ColdWallet      *address.Address
	HotWalletMax    store.Amount // nanogram; 0 = no sweep
	SweepMin        store.Amount // nanogram: a deposit address is swept from this much
	// SweepJettonMin is, per jetton, the least a deposit address must hold
	// for its sweep (and the hot wallet's gas for it): one whole unit
	// unless SWEEP_MIN names the jetton.
	SweepJettonMin map[string]store.Amount
	NodeName       string // this node's name in the leader's lease (hostname-pid when empty)

	Jettons  []store.Asset
	AdminIDs []int64

	InvoiceTTL  time.Duration
	InitDataTTL time.Duration

	DepositMin            map[string]store.Amount // below it an incoming transfer is dust
	WithdrawFee           map[string]store.Amount
	WithdrawMin           map[string]store.Amount
	WithdrawApprovalAbove map[string]store.Amount // the 24-hour total per user (or merchant) and asset
	WithdrawDailyCap      map[string]store.Amount

	// Per-user limits (0 in the struct: the rule book's default).
	MaxOpenInvoices      int
	MaxEventStreams      int
	MaxQueuedWithdrawals int

	Packages   []Package
	WebhookURL *url.URL

	// MiniAppLink is the Mini App's t.me link (https://t.me/<bot>/<app>):
	// merchants' pay_url and where wallets return to. Nil when unset.
	MiniAppLink *url.URL
	BotUsername string // from MiniAppLink
	AppName     string // from MiniAppLink; empty for a bot link
	// PayURL replaces the t.me pay link of merchant invoices with a page of
	// this server (the sandbox; not configurable).
	PayURL string
	// WebhooksAllowPrivate lets merchant webhooks reach loopback and
	// private addresses (development and tests only).
	WebhooksAllowPrivate bool

	// BackupDir holds scheduled backups and the copy taken before a
	// migration; empty: no scheduled backups, the copy goes beside the
	// database.
	BackupDir   string
	BackupEvery time.Duration // between scheduled backups
	BackupKeep  int           // scheduled backups kept; older ones are deleted

	// TLSDomain, when set, makes tonpay serve HTTPS itself on HTTPSAddr
	// with certificates from an ACME CA (ACMEDirectory), cached in
	// TLSCacheDir; HTTPAddr then answers the HTTP-01 challenge and
	// redirects the rest to https.
	TLSDomain     string
	TLSEmail      string
	ACMEDirectory string
	ACMERoots     *x509.CertPool // roots to trust for ACMEDirectory (a private CA); nil: the system's
	HTTPSAddr     string
	TLSCacheDir   string

	LogLevel  slog.Level
	LogFormat string
}

// Package is a bundle of credits sold for a price in an asset.
type Package struct {
	Name    string
	Asset   string
	Price   store.Amount
	Credits int64
	Period  int // seconds; a Telegram Stars subscription (XTR only), 0 for a one-off
}

// Assets are Gram and the configured jettons.
func (c *Config) Assets() []store.Asset { return append([]store.Asset{store.TON}, c.Jettons...) }

// Rules are the money rules of the configuration, for the rule book (the
// caller adds what needs the chain: ParseDestination, Own).
func (c *Config) Rules() store.Rules {
	packages := make([]store.Package, len(c.Packages))
	for i, p := range c.Packages {
		packages[i] = store.Package{Name: p.Name, Asset: p.Asset, Price: p.Price, Credits: p.Credits, Period: p.Period}
	}
	return store.Rules{
		Assets:               c.Assets(),
		WithdrawFee:          c.WithdrawFee,
		WithdrawMin:          c.WithdrawMin,
		ApprovalAbove:        c.WithdrawApprovalAbove,
		DailyCap:             c.WithdrawDailyCap,
		MaxOpenInvoices:      c.MaxOpenInvoices,
		MaxStreams:           c.MaxEventStreams,
		MaxQueuedWithdrawals: c.MaxQueuedWithdrawals,
		InvoiceTTL:           c.InvoiceTTL,
		DepositMin:           c.DepositMin,
		Packages:             packages,
	}
}

// FeeShortfall is a withdrawal fee below what its payout costs on chain.
type FeeShortfall struct {
	Asset string
	Fee   store.Amount // in TON
	Cost  store.Amount // store.PayoutCost, in TON
}

// FeesBelowCost lists the assets whose configured WITHDRAW_FEE is below
// the network cost of their payout: every such withdrawal loses the
// difference from the hot wallet.
func (c *Config) FeesBelowCost() []FeeShortfall {
	p := store.NewPolicy(nil, c.Rules())
	var out []FeeShortfall
	for _, a := range p.FeeBelowCost() {
		out = append(out, FeeShortfall{Asset: a.Symbol, Fee: p.Fee(a), Cost: store.PayoutCost(a)})
	}
	return out
}

// String is the shortfall in words, with figures.
func (f FeeShortfall) String() string {
	return fmt.Sprintf("WITHDRAW_FEE of %s is %s GRAM and a payout costs the hot wallet up to %s GRAM on chain",
		f.Asset, f.Fee.Format(store.TON.Decimals), f.Cost.Format(store.TON.Decimals))
}

// ConfigError names the variable that is wrong and what it should be.
type ConfigError struct {
	Var  string
	Want string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Want }

// need says which settings a subcommand uses; it is not asked for the others.
type need int

const (
	forMigrate need = iota // the database only
	forWallet              // + the network and the hot wallet's seed
	forServe               // everything
)

// loadConfig reads the configuration from getenv. Values in the environment
// win over the .env file, which fills only what the environment leaves unset.
func loadConfig(getenv func(string) string, n need) (*Config, error) {
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	bad := func(k, format string, a ...any) error { return &ConfigError{Var: k, Want: fmt.Sprintf(format, a...)} }
	c := &Config{
		HTTPAddr:        env("HTTP_ADDR", ":8080"),
		DBPath:          env("DB_PATH", "data/tonpay.db"),
		DatabaseURL:     env("DATABASE_URL", ""),
		TelegramAPIURL:  strings.TrimRight(env("TELEGRAM_API_URL", "https://api.telegram.org"), "/"),
		Network:         env("TON_NETWORK", "testnet"),
		TONConfig:       env("TON_CONFIG", ""),
		HotMnemonicFile: env("HOT_WALLET_MNEMONIC_FILE", ""),
		LogFormat:       env("LOG_FORMAT", "text"),
	}

	switch lvl := strings.ToLower(env("LOG_LEVEL", "info")); lvl {
	case "debug", "info", "warn", "error":
		_ = c.LogLevel.UnmarshalText([]byte(lvl))
	default:
		return nil, bad("LOG_LEVEL", "%q is not a level: want debug, info, warn or error", lvl)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, bad("LOG_FORMAT", "%q: want text or json", c.LogFormat)
	}
	if c.DatabaseURL != "" && !store.IsPostgresURL(c.DatabaseURL) {
		return nil, bad("DATABASE_URL", "a PostgreSQL URL like postgres://tonpay:secret@db.example:5432/tonpay (unset: the SQLite file at DB_PATH)")
	}
	if c.DatabaseURL != "" && env("BACKUP_DIR", "") != "" {
		return nil, bad("BACKUP_DIR", "unset with DATABASE_URL: scheduled backups copy the SQLite file; back PostgreSQL up with its own tools (pg_dump, point-in-time recovery)")
	}

	switch c.Network {
	case "testnet", "mainnet":
		c.Testnet = c.Network == "testnet"
	default:
		return nil, bad("TON_NETWORK", "%q is not a network: want testnet or mainnet", c.Network)
	}
	c.BackupDir = env("BACKUP_DIR", "")
	if n >= forWallet {
		if v := env("HOT_WALLET_MNEMONIC", ""); v != "" {
			words, err := ton.ParseMnemonic(v)
			if err != nil {
				return nil, bad("HOT_WALLET_MNEMONIC", "want the 24 words of a TON seed phrase separated by spaces (%v)", err)
			}
			c.HotMnemonic = words
			if c.HotMnemonicFile != "" {
				return nil, bad("HOT_WALLET_MNEMONIC_FILE", "set either HOT_WALLET_MNEMONIC or HOT_WALLET_MNEMONIC_FILE, not both")
			}
		} else if c.HotMnemonicFile == "" {
			c.HotMnemonicFile = defaultMnemonicFile(c.DBPath)
		}
	}
	if n < forServe {
		return c, nil
	}

	c.BotToken = env("BOT_TOKEN", "")
	if c.BotToken == "" {
		return nil, bad("BOT_TOKEN", "required: the bot token @BotFather gave you, like 123456:ABC-DEF...")
	}
	if i := strings.IndexByte(c.BotToken, ':'); i <= 0 || strings.ContainsAny(c.BotToken, " /\t") {
		return nil, bad("BOT_TOKEN", "malformed: want <bot id>:<secret> as @BotFather gives it")
	}
	if v := env("PUBLIC_URL", ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLocal(u.Hostname()))) {
			return nil, bad("PUBLIC_URL", "%q: want the https base URL this server is reachable at, like https://pay.example.com", v)
		}
		u.Path = strings.TrimRight(u.Path, "/")
		c.PublicURL = u
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return nil, bad("HTTP_ADDR", "%q: want host:port or :port", c.HTTPAddr)
	}
	if err := c.loadTLS(env, bad); err != nil {
		return nil, err
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, bad("TELEGRAM_API_URL", "%q: want an http(s) URL", c.TelegramAPIURL)
	}

	if c.TONConfig != "" {
		if _, err := os.Stat(c.TONConfig); err != nil {
			return nil, bad("TON_CONFIG", "%q: want a readable global config JSON file (%v)", c.TONConfig, unwrapPath(err))
		}
	}
	if v := env("TON_LITESERVERS", ""); v != "" {
		ls, err := ton.ParseLiteServers(v)
		if err != nil {
			return nil, bad("TON_LITESERVERS", "%v; want host:port:base64key[,...]", err)
		}
		c.LiteServers = ls
	}
	rps, err := strconv.Atoi(env("TON_RPS", "100"))
	if err != nil || rps < 0 {
		return nil, bad("TON_RPS", "%q: want a whole number of queries per second, 0 for no limit", env("TON_RPS", ""))
	}
	c.RPS = rps
	if c.ProofCheck, err = ton.ParseProofPolicy(env("TON_PROOF_CHECK", "fast")); err != nil {
		return nil, bad("TON_PROOF_CHECK", "%v", err)
	}

	if v := env("JETTONS", ""); v != "" {
		if c.Jettons, err = parseJettons(v, c.Testnet); err != nil {
			return nil, bad("JETTONS", "%v; want SYMBOL:master_address:decimals[,...] like USDT:EQCxE6mU...:6", err)
		}
	}
	assets := c.Assets()
	decimals := func(sym string) (int, bool) {
		sym = store.CanonicalSymbol(sym)
		for _, a := range assets {
			if a.Symbol == sym {
				return a.Decimals, true
			}
		}
		return 0, false
	}

	if v := env("COLD_WALLET_ADDRESS", ""); v != "" {
		if c.ColdWallet, err = ton.ParseAddress(v, c.Testnet); err != nil {
			return nil, bad("COLD_WALLET_ADDRESS", "%v", err)
		}
	}
	if v := env("HOT_WALLET_MAX", ""); v != "" {
		if sym, amt, ok := strings.Cut(v, ":"); ok && store.IsNativeSymbol(sym) {
			v = amt // GRAM:50 (or TON:50) as the per-asset values are written
		}
		if c.HotWalletMax, err = store.ParseAmount(v, store.TON.Decimals); err != nil || c.HotWalletMax <= 0 {
			return nil, bad("HOT_WALLET_MAX", "%q: want a positive amount of Gram like 50 or 12.5", v)
		}
		if c.ColdWallet == nil {
			return nil, bad("COLD_WALLET_ADDRESS", "required when HOT_WALLET_MAX is set: where to sweep the excess")
		}
	}

	c.NodeName = strings.TrimSpace(env("NODE_NAME", ""))
	// SWEEP_MIN=0.5 (Gram), or per asset: GRAM:0.5,USDT:5. A jetton is
	// swept from one whole unit unless named: moving dust would cost the
	// hot wallet more gas than it brings.
	c.SweepMin = ton.DefaultSweepMin
	c.SweepJettonMin = map[string]store.Amount{}
	for _, j := range c.Jettons {
		one := store.Amount(1)
		for range j.Decimals {
			one *= 10
		}
		c.SweepJettonMin[j.Symbol] = one
	}
	for _, item := range splitList(env("SWEEP_MIN", "")) {
		sym, amt, ok := strings.Cut(item, ":")
		if !ok {
			sym, amt = store.NativeSymbol, item
		}
		sym = store.CanonicalSymbol(strings.TrimSpace(sym))
		if store.IsNativeSymbol(sym) {
			if c.SweepMin, err = store.ParseAmount(strings.TrimSpace(amt), store.TON.Decimals); err != nil || c.SweepMin < 10_000_000 {
				return nil, bad("SWEEP_MIN", "%q: want an amount of Gram of at least 0.01 (a sweep costs about 0.004), like 0.5", item)
			}
			continue
		}
		dec, ok := decimals(sym)
		if !ok {
			return nil, bad("SWEEP_MIN", "%s is not GRAM (or TON) or a configured jetton; want 0.5 or GRAM:0.5,USDT:5", sym)
		}
		v, err := store.ParseAmount(strings.TrimSpace(amt), dec)
		if err != nil || v <= 0 {
			return nil, bad("SWEEP_MIN", "%s amount %q: want a positive number with at most %d decimals", sym, amt, dec)
		}
		c.SweepJettonMin[sym] = v
	}

	for _, v := range []string{"ADMIN_IDS"} {
		for _, s := range splitList(env(v, "")) {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, bad(v, "%q is not a Telegram user id: want numbers separated by commas", s)
			}
			c.AdminIDs = append(c.AdminIDs, id)
		}
	}

	durations := []struct {
		k   string
		def string
		dst *time.Duration
		min time.Duration
	}{
		{"INVOICE_TTL", "20m", &c.InvoiceTTL, time.Minute},
		{"INIT_DATA_TTL", "24h", &c.InitDataTTL, time.Minute},
	}
	for _, d := range durations {
		v := env(d.k, d.def)
		dur, err := time.ParseDuration(v)
		if err != nil || dur < d.min {
			return nil, bad(d.k, "%q: want a duration of at least %v, like %s", v, d.min, d.def)
		}
		*d.dst = dur
	}

	// A withdrawal's fee is charged in Gram whatever is withdrawn (the hot
	// wallet pays a jetton transfer's gas in Gram): WITHDRAW_FEE=USDT:0.05
	// means a USDT withdrawal costs 0.05 GRAM. Everywhere an asset is named
	// here, TON is read as GRAM (store.CanonicalSymbol).
	inGram := func(sym string) (int, bool) {
		_, ok := decimals(sym)
		return store.TON.Decimals, ok
	}
	perAsset := []struct {
		k        string
		dst      *map[string]store.Amount
		decimals func(string) (int, bool)
	}{
		{"DEPOSIT_MIN", &c.DepositMin, decimals},
		{"WITHDRAW_FEE", &c.WithdrawFee, inGram},
		{"WITHDRAW_MIN", &c.WithdrawMin, decimals},
		{"WITHDRAW_APPROVAL_ABOVE", &c.WithdrawApprovalAbove, decimals},
		{"WITHDRAW_DAILY_CAP", &c.WithdrawDailyCap, decimals},
	}
	for _, p := range perAsset {
		def := ""
		if p.k == "DEPOSIT_MIN" {
			def = store.NativeSymbol + ":0.01"
		}
		m, err := parsePerAsset(env(p.k, def), p.decimals)
		if err != nil {
			return nil, bad(p.k, "%v; want ASSET:amount[,...] like GRAM:0.1,USDT:1", err)
		}
		*p.dst = m
	}

	counts := []struct {
		k   string
		def int
		dst *int
	}{
		{"MAX_OPEN_INVOICES", store.DefaultMaxOpenInvoices, &c.MaxOpenInvoices},
		{"MAX_EVENT_STREAMS", store.DefaultMaxStreams, &c.MaxEventStreams},
		{"MAX_QUEUED_WITHDRAWALS", store.DefaultMaxQueuedWithdrawals, &c.MaxQueuedWithdrawals},
	}
	for _, n := range counts {
		v := env(n.k, strconv.Itoa(n.def))
		i, err := strconv.Atoi(v)
		if err != nil || i < 1 || i > 10_000 {
			return nil, bad(n.k, "%q: want a whole number from 1 to 10000 (per user; default %d)", v, n.def)
		}
		*n.dst = i
	}

	// A package may be listed once per asset (starter:GRAM:1.5:100,
	// starter:XTR:150:100: the same credits for Gram or Telegram Stars); a
	// Stars price may be monthly (pro:XTR:500:1000:monthly).
	withStars := func(sym string) (int, bool) {
		if sym == store.Stars.Symbol {
			return store.Stars.Decimals, true
		}
		return decimals(sym)
	}
	for _, s := range splitList(env("PACKAGES", "")) {
		p, err := parsePackage(s, withStars)
		if err != nil {
			return nil, bad("PACKAGES", "%v; want name:ASSET:price:credits[:monthly][,...] like starter:GRAM:1.5:100,starter:XTR:150:100,pro:XTR:500:1000:monthly", err)
		}
		if slices.ContainsFunc(c.Packages, func(q Package) bool { return q.Name == p.Name && q.Asset == p.Asset }) {
			return nil, bad("PACKAGES", "package %q is listed twice in %s", p.Name, p.Asset)
		}
		if slices.ContainsFunc(c.Packages, func(q Package) bool { return q.Name == p.Name && q.Credits != p.Credits }) {
			return nil, bad("PACKAGES", "package %q has different credits in its prices", p.Name)
		}
		c.Packages = append(c.Packages, p)
	}

	if v := env("WEBHOOK_URL", ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, bad("WEBHOOK_URL", "%q: want the https URL Telegram should post updates to", v)
		}
		c.WebhookURL = u
	}
	if v := env("MINI_APP_LINK", ""); v != "" {
		u, err := url.Parse(v)
		parts := []string{}
		if err == nil {
			parts = strings.Split(strings.Trim(u.Path, "/"), "/")
		}
		if err != nil || u.Scheme != "https" || u.Host != "t.me" || len(parts) > 2 || !botName.MatchString(parts[0]) ||
			(len(parts) == 2 && !appName.MatchString(parts[1])) {
			return nil, bad("MINI_APP_LINK", "%q: want the Mini App's link from @BotFather, like https://t.me/my_pay_bot/pay", v)
		}
		c.MiniAppLink, c.BotUsername = u, parts[0]
		if len(parts) == 2 {
			c.AppName = parts[1]
		}
	}
	switch v := strings.ToLower(env("WEBHOOKS_ALLOW_PRIVATE", "false")); v {
	case "true", "1", "yes":
		c.WebhooksAllowPrivate = true
	case "false", "0", "no":
	default:
		return nil, bad("WEBHOOKS_ALLOW_PRIVATE", "%q: want true or false", v)
	}
	if err := c.loadBackups(env, bad); err != nil {
		return nil, err
	}
	return c, nil
}

// loadTLS reads TLS_DOMAIN and what goes with it. With TLS_DOMAIN,
// HTTP_ADDR defaults to :80 and PUBLIC_URL to https://TLS_DOMAIN.
func (c *Config) loadTLS(env func(k, def string) string, bad func(k, format string, a ...any) error) error {
	c.TLSDomain = strings.ToLower(strings.TrimSuffix(env("TLS_DOMAIN", ""), "."))
	if c.TLSDomain == "" {
		for _, k := range []string{"TLS_EMAIL", "ACME_DIRECTORY_URL", "ACME_CA_FILE", "HTTPS_ADDR"} {
			if env(k, "") != "" {
				return bad("TLS_DOMAIN", "required when %s is set: the domain to get a certificate for, like pay.example.com", k)
			}
		}
		return nil
	}
	if !domainName.MatchString(c.TLSDomain) {
		return bad("TLS_DOMAIN", "%q: want the server's domain name only, like pay.example.com (no scheme, port or path)", c.TLSDomain)
	}
	c.TLSEmail = env("TLS_EMAIL", "")
	if c.TLSEmail != "" && (!strings.Contains(c.TLSEmail, "@") || strings.ContainsAny(c.TLSEmail, " \t,")) {
		return bad("TLS_EMAIL", "%q: want one e-mail address, where the CA writes about expiring certificates", c.TLSEmail)
	}
	c.ACMEDirectory = env("ACME_DIRECTORY_URL", autocert.DefaultACMEDirectory)
	if u, err := url.Parse(c.ACMEDirectory); err != nil || u.Host == "" || u.Scheme != "https" {
		return bad("ACME_DIRECTORY_URL", "%q: want the https URL of an ACME directory, like %s", c.ACMEDirectory, autocert.DefaultACMEDirectory)
	}
	if f := env("ACME_CA_FILE", ""); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return bad("ACME_CA_FILE", "%q: want a readable PEM file of the certificates to trust for ACME_DIRECTORY_URL (%v)", f, unwrapPath(err))
		}
		c.ACMERoots = x509.NewCertPool()
		if !c.ACMERoots.AppendCertsFromPEM(pem) {
			return bad("ACME_CA_FILE", "%q holds no PEM certificate", f)
		}
	}
	c.HTTPSAddr = env("HTTPS_ADDR", ":443")
	_, httpsPort, err := net.SplitHostPort(c.HTTPSAddr)
	if err != nil {
		return bad("HTTPS_ADDR", "%q: want host:port or :port", c.HTTPSAddr)
	}
	if env("HTTP_ADDR", "") == "" {
		c.HTTPAddr = ":80" // where ACME CAs send the HTTP-01 challenge
	}
	host := c.TLSDomain
	if httpsPort != "443" {
		host = net.JoinHostPort(c.TLSDomain, httpsPort)
	}
	if c.PublicURL == nil {
		c.PublicURL = &url.URL{Scheme: "https", Host: host}
	} else if c.PublicURL.Scheme != "https" || c.PublicURL.Hostname() != c.TLSDomain {
		return bad("PUBLIC_URL", "%q differs from TLS_DOMAIN %s: leave PUBLIC_URL unset (it becomes https://%s) or make it that", c.PublicURL, c.TLSDomain, host)
	}
	c.TLSCacheDir = filepath.Join(filepath.Dir(c.DBPath), "acme")
	return nil
}

var domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// loadBackups reads BACKUP_EVERY and BACKUP_KEEP, which mean something only
// beside BACKUP_DIR.
func (c *Config) loadBackups(env func(k, def string) string, bad func(k, format string, a ...any) error) error {
	every, keep := env("BACKUP_EVERY", ""), env("BACKUP_KEEP", "")
	if c.BackupDir == "" {
		if every != "" || keep != "" {
			return bad("BACKUP_DIR", "required when BACKUP_EVERY or BACKUP_KEEP is set: the directory scheduled backups go to, like /var/lib/tonpay/backups")
		}
		return nil
	}
	if every == "" {
		every = "6h"
	}
	d, err := time.ParseDuration(every)
	if err != nil || d < time.Second {
		return bad("BACKUP_EVERY", "%q: want how often to back up, a duration like 6h or 30m", every)
	}
	c.BackupEvery = d
	if keep == "" {
		keep = "28"
	}
	k, err := strconv.Atoi(keep)
	if err != nil || k < 1 {
		return bad("BACKUP_KEEP", "%q: want how many scheduled backups to keep, a whole number of at least 1 (default 28: a week every 6h)", keep)
	}
	c.BackupKeep = k
	return nil
}

var (
	botName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
	appName = regexp.MustCompile(`^[A-Za-z0-9_]{3,30}$`)
)

func defaultMnemonicFile(dbPath string) string {
	dir := "data"
	if i := strings.LastIndexAny(dbPath, `/\`); i >= 0 {
		dir = dbPath[:i]
	}
	return dir + "/hot-wallet.mnemonic"
}

func isLocal(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func validSymbol(s string) bool {
	if len(s) < 2 || len(s) > 12 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func parseJettons(v string, testnet bool) ([]store.Asset, error) {
	var out []store.Asset
	for _, item := range splitList(v) {
		parts := strings.Split(item, ":")
		// A raw master address ("0:abc...") brings its own colon.
		if len(parts) == 4 {
			parts = []string{parts[0], parts[1] + ":" + parts[2], parts[3]}
		}
		if len(parts) != 3 {
			return nil, fmt.Errorf("%q has %d parts", item, len(parts))
		}
		sym := strings.ToUpper(strings.TrimSpace(parts[0]))
		if sym == store.NativeSymbol || sym == store.LegacyNativeSymbol {
			return nil, fmt.Errorf("%s cannot name a jetton: %s is the native coin Gram (formerly TON), which needs no entry here; "+
				"a jetton with that ticker (a community GRAM token) is not the coin: list it under another symbol if you accept it", parts[0], sym)
		}
		if !validSymbol(sym) {
			return nil, fmt.Errorf("%q is not a usable symbol (2-12 letters or digits)", parts[0])
		}
		master, err := ton.ParseAddress(parts[1], testnet)
		if err != nil {
			return nil, fmt.Errorf("%s master: %v", sym, err)
		}
		dec, err := strconv.Atoi(parts[2])
		if err != nil || dec < 0 || dec > store.MaxDecimals {
			return nil, fmt.Errorf("%s decimals %q: want 0..%d", sym, parts[2], store.MaxJettonDecimals)
		}
		if dec > store.MaxJettonDecimals {
			return nil, fmt.Errorf("%s has %d decimals: tonpay books amounts as 64-bit integers of the smallest unit, "+
				"so a jetton with more than %d decimals could receive a transfer the ledger cannot hold (an 18-decimal jetton above 9.22 tokens); "+
				"it is not supported", sym, dec, store.MaxJettonDecimals)
		}
		for _, a := range out {
			if a.Symbol == sym {
				return nil, fmt.Errorf("%s is listed twice", sym)
			}
		}
		out = append(out, store.Asset{Symbol: sym, Decimals: dec, Master: master.StringRaw()})
	}
	return out, nil
}

func parsePerAsset(v string, decimals func(string) (int, bool)) (map[string]store.Amount, error) {
	m := map[string]store.Amount{}
	for _, item := range splitList(v) {
		sym, amt, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("%q has no asset", item)
		}
		sym = store.CanonicalSymbol(sym)
		dec, ok := decimals(sym)
		if !ok {
			return nil, fmt.Errorf("%s is not GRAM (or TON) or a configured jetton", sym)
		}
		a, err := store.ParseAmount(strings.TrimSpace(amt), dec)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%s amount %q: want a non-negative number with at most %d decimals", sym, amt, dec)
		}
		if _, dup := m[sym]; dup {
			return nil, fmt.Errorf("%s is listed twice", sym)
		}
		m[sym] = a
	}
	return m, nil
}

func parsePackage(s string, decimals func(string) (int, bool)) (Package, error) {
	parts := strings.Split(s, ":")
	period := 0
	if len(parts) == 5 {
		if !strings.EqualFold(strings.TrimSpace(parts[4]), "monthly") || !strings.EqualFold(parts[1], store.Stars.Symbol) {
			return Package{}, fmt.Errorf("%q: only an XTR price may end in :monthly (Telegram Stars subscriptions)", s)
		}
		period, parts = store.StarsSubscriptionPeriod, parts[:4]
	}
	if len(parts) != 4 {
		return Package{}, fmt.Errorf("%q has %d parts", s, len(parts))
	}
	name := strings.TrimSpace(parts[0])
	if name == "" || len(name) > 32 {
		return Package{}, fmt.Errorf("%q: name must be 1-32 characters", s)
	}
	sym := store.CanonicalSymbol(parts[1])
	dec, ok := decimals(sym)
	if !ok {
		return Package{}, fmt.Errorf("%q: %s is not GRAM (or TON), XTR or a configured jetton", s, sym)
	}
	price, err := store.ParseAmount(parts[2], dec)
	if (err != nil || price <= 0) && sym == store.Stars.Symbol {
		return Package{}, fmt.Errorf("%q: price %q must be a positive whole number of Stars", s, parts[2])
	}
	if err != nil || price <= 0 {
		return Package{}, fmt.Errorf("%q: price %q must be positive with at most %d decimals", s, parts[2], dec)
	}
	credits, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || credits <= 0 {
		return Package{}, fmt.Errorf("%q: credits %q must be a positive whole number", s, parts[3])
	}
	return Package{Name: name, Asset: sym, Price: price, Credits: credits, Period: period}, nil
}

// readDotEnv parses a .env file: KEY=VALUE lines, # comments, optional
// "export " and quotes. A missing file is not an error.
func readDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE", path, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out[k] = v
	}
	return out, sc.Err()
}

// Database is what the store opens: DATABASE_URL when set, else DB_PATH.
func (c *Config) Database() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return c.DBPath
}

// DatabaseName is Database as logs and messages show it: a PostgreSQL
// URL without its password, whether in the user information or a query
// parameter (password=, sslpassword=: libpq and pgx take both there).
func (c *Config) DatabaseName() string {
	if c.DatabaseURL == "" {
		return c.DBPath
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "DATABASE_URL"
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			switch name, err := url.QueryUnescape(k); {
			case err != nil:
				parts[i] = "xxxxx" // unreadable: shown as nothing
			case strings.Contains(strings.ToLower(name), "password"):
				parts[i] = k + "=xxxxx"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.Redacted()
}

// errNotSQLite is the answer of the commands that work on the SQLite file.
func (c *Config) errNotSQLite(what string) error {
	if c.DatabaseURL == "" {
		return nil
	}
	return fmt.Errorf("%s works on the SQLite file at DB_PATH; with DATABASE_URL (PostgreSQL) use PostgreSQL's own tools", what)
}
