// Package doctor is `tonpay doctor`: it checks everything a live service
// needs (configuration, database, disk, backups or, on PostgreSQL, the
// server, its replication and the leader's lease, Telegram, the public URL,
// lite-servers, wallets, the ledger against the chain) and prints one line
// per check. main gives it the configuration as a Config and the world as
// Deps.
package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// verdict is a check's outcome. Only fail makes doctor exit non-zero.
type verdict int

const (
	vOK verdict = iota
	vWarn
	vFail
	vSkip // not run: what it needs failed earlier
)

func (v verdict) String() string {
	return [...]string{"ok", "warn", "FAIL", "skip"}[v]
}

// finding is one line of doctor's report.
type finding struct {
	verdict verdict
	name    string
	detail  string
	fix     string // what to do; for warn and fail
}

// Config is what doctor checks of the service's configuration (main's
// Config, parsed and validated).
type Config struct {
	Version string // of this binary

	Network     string
	Testnet     bool
	TONConfig   string
	LiteServers []ton.LiteServer
	RPS         int
	ProofCheck  tonapi.ProofCheckPolicy

	DBPath string
	// DatabaseURL, when set, is the PostgreSQL database the service uses
	// instead of the SQLite file at DBPath; DatabaseName is it without its
	// password, as doctor prints it. LeaseTTL is how long the leader's
	// lease lasts.
	DatabaseURL  string
	DatabaseName string
	LeaseTTL     time.Duration

	BackupDir   string
	BackupEvery time.Duration
	BackupKeep  int

	BotToken       string
	TelegramAPIURL string
	BotUsername    string
	WebhookURL     *url.URL
	PublicURL      *url.URL
	AdminIDs       []int64

	HotMnemonic     []string
	HotMnemonicFile string
	HotWalletMax    store.Amount
	ColdWallet      *address.Address
	Jettons         []store.Asset
	Assets          []store.Asset // Gram and the jettons
	Rules           store.Rules   // the money rules, for the rule book
	FeesBelowCost   []FeeShortfall
}

// FeeShortfall is a withdrawal fee below what its payout costs on chain.
type FeeShortfall struct {
	Asset string
	Cost  store.Amount // store.PayoutCost, in Gram
	Says  string       // the shortfall in words, with figures
}

// ConfigError is a configuration that did not load; Var names the
// variable to fix.
type ConfigError struct {
	Var string
	Err error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Backup is a scheduled backup of the database.
type Backup struct {
	Path string
	At   time.Time
}

// Deps is how doctor reaches the world; tests replace parts of it.
type Deps struct {
	// Web fetches PUBLIC_URL's manifest; its TLS settings decide which
	// certificates are valid (the system's roots by default).
	Web *http.Client
	// Telegram calls the Bot API.
	Telegram *http.Client
	// FreeSpace reports the free and total bytes of the file system
	// holding path.
	FreeSpace func(path string) (free, total uint64, err error)
	// LockWait is how long the database may stay locked by another writer
	// before doctor calls it not writable.
	LockWait time.Duration
	// OnChain reads what the hot wallet and its jetton wallets hold at the
	// latest block, per asset (what tonpay reconcile reads).
	OnChain func(ctx context.Context, chain *ton.Client, hot *address.Address, jettons []store.Asset) (block uint32, held map[string]store.Amount, err error)
	// Backups lists the scheduled backups of the database at dbPath in
	// dir, oldest first.
	Backups func(dbPath, dir string) []Backup
}

// Clock difference to the lite-servers: a warning above ClockWarn (a
// Highload v3 external dated ahead of the chain is refused, ton_proof and
// initData ages are judged by this clock), a failure above ClockFail.
const (
	ClockWarn = 5 * time.Second
	ClockFail = time.Minute
)

// Run checks everything a live service needs and prints one line per
// check; it returns 1 when any check fails, 0 otherwise. cfgErr is the
// configuration's error, reported as the first check (cfg is nil then).
func Run(ctx context.Context, cfg *Config, cfgErr error, stdout io.Writer, deps Deps) int {
	d := &doctor{ctx: ctx, cfg: cfg, deps: deps, out: stdout}
	d.run(cfgErr)
	var fails, warns int
	for _, f := range d.findings {
		switch f.verdict {
		case vFail:
			fails++
		case vWarn:
			warns++
		}
	}
	switch {
	case fails > 0:
		fmt.Fprintf(stdout, "%d check(s) failed, %d warning(s)\n", fails, warns)
		return 1
	case warns > 0:
		fmt.Fprintf(stdout, "no check failed; %d warning(s)\n", warns)
	default:
		fmt.Fprintln(stdout, "all checks passed")
	}
	return 0
}

type doctor struct {
	ctx      context.Context
	cfg      *Config
	deps     Deps
	out      io.Writer
	findings []finding

	db    *store.DB
	chain *ton.Client
	hot   *address.Address
	head  *tonapi.BlockIDExt
}

// report prints a finding as soon as it is known: a check that hangs shows
// which one.
func (d *doctor) report(v verdict, name, detail, fix string) {
	f := finding{verdict: v, name: name, detail: detail, fix: fix}
	d.findings = append(d.findings, f)
	line := fmt.Sprintf("%-5s %-12s %s", f.verdict, f.name, f.detail)
	if f.fix != "" && (v == vWarn || v == vFail) {
		line += " -- fix: " + f.fix
	}
	fmt.Fprintln(d.out, strings.ReplaceAll(line, "\n", "; "))
}

func (d *doctor) ok(name, format string, a ...any) {
	d.report(vOK, name, fmt.Sprintf(format, a...), "")
}

func (d *doctor) run(cfgErr error) {
	if !d.configuration(cfgErr) {
		return
	}
	d.fees()
	if d.cfg.DatabaseURL != "" {
		d.postgres() // postgres.go
	} else {
		d.sqlite()
	}
	if d.db != nil {
		defer d.db.Close()
	}
	d.bot()
	d.webhook()
	d.publicURL()
	if d.liteServers() {
		defer d.chain.Close()
	}
	d.hotWallet()
	d.jettons()
	d.coldWallet()
	d.ledger()
}

// sqlite checks the SQLite file, the disk it is on and its scheduled
// backups.
func (d *doctor) sqlite() {
	if d.database() {
		d.schema()
		d.integrity()
	} else {
		d.report(vSkip, "schema", "skipped: no database to look at", "")
		d.report(vSkip, "integrity", "skipped: no database to look at", "")
	}
	d.disk()
	d.backups()
}

func (d *doctor) configuration(cfgErr error) bool {
	if cfgErr != nil {
		fix := "see README.md, Configuration"
		var ce *ConfigError
		if errors.As(cfgErr, &ce) && ce.Var != "" {
			fix = "set " + ce.Var + " in the environment or the .env file as described (README.md, Configuration)"
		}
		d.report(vFail, "config", cfgErr.Error(), fix)
		return false
	}
	c := d.cfg
	var syms []string
	for _, a := range c.Assets {
		syms = append(syms, a.Symbol)
	}
	db := c.DBPath
	if c.DatabaseURL != "" {
		db = c.DatabaseName + " (PostgreSQL)"
	}
	d.ok("config", "network %s; assets %s; %d admin(s); database %s", c.Network, strings.Join(syms, ", "), len(c.AdminIDs), db)
	return true
}

// fees checks each withdrawal fee against what its payout costs the hot
// wallet on chain (store.PayoutCost, from the network's fee configuration).
func (d *doctor) fees() {
	short := d.cfg.FeesBelowCost
	for _, f := range short {
		d.report(vWarn, "fees", f.Says+": every withdrawal loses the difference",
			fmt.Sprintf("set WITHDRAW_FEE=%s:%s or more, or leave it unset for the default", f.Asset, f.Cost.Format(store.TON.Decimals)))
	}
	if len(short) > 0 {
		return
	}
	p := store.NewPolicy(nil, d.cfg.Rules)
	var parts []string
	for _, a := range p.ChainAssets() {
		parts = append(parts, fmt.Sprintf("%s %s GRAM (a payout costs up to %s)", a.Symbol,
			p.Fee(a).Format(store.TON.Decimals), store.PayoutCost(a).Format(store.TON.Decimals)))
	}
	d.ok("fees", "withdrawal fees cover the network cost: %s", strings.Join(parts, ", "))
}

func (d *doctor) database() bool {
	path := d.cfg.DBPath
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.report(vFail, "database", "no database at "+path,
			"set DB_PATH to the service's database, or create it with tonpay migrate (the service creates it at its first start)")
		return false
	case err != nil:
		d.report(vFail, "database", err.Error(), "make DB_PATH readable by the user tonpay runs as")
		return false
	case !info.Mode().IsRegular():
		d.report(vFail, "database", path+" is not a file", "set DB_PATH to the SQLite file, like /var/lib/tonpay/tonpay.db")
		return false
	}
	db, err := store.OpenReadOnly(d.ctx, path)
	if err != nil {
		d.report(vFail, "database", fmt.Sprintf("%s: %v", path, err), "DB_PATH must point at tonpay's SQLite database")
		return false
	}
	d.db = db
	if err := store.CheckWritable(d.ctx, path, d.deps.LockWait); err != nil {
		fix := "make the database file, its directory and its -wal and -shm files writable by the user tonpay runs as " +
			"(chown -R tonpay: /var/lib/tonpay; the systemd unit's StateDirectory does it)"
		if msg := err.Error(); strings.Contains(msg, "locked") || strings.Contains(msg, "busy") {
			fix = fmt.Sprintf("another process held the write lock for over %v: look for a stuck tonpay or sqlite3 shell (fuser %s)", d.deps.LockWait, path)
		}
		d.report(vFail, "database", fmt.Sprintf("%s is not writable: %v", path, err), fix)
		return true // still readable: the other checks look at it
	}
	d.ok("database", "%s is writable (%s)", path, HumanBytes(info.Size()))
	return true
}

func (d *doctor) schema() {
	applied, err := d.db.Migrations(d.ctx)
	if err != nil {
		fix := "DB_PATH must point at tonpay's database"
		if d.cfg.DatabaseURL != "" {
			fix = "DATABASE_URL must point at tonpay's database"
		}
		d.report(vFail, "schema", err.Error(), fix)
		return
	}
	pending, unknown := store.MigrationState(applied)
	last := "none"
	if len(applied) > 0 {
		last = applied[len(applied)-1]
	}
	switch {
	case len(unknown) > 0:
		d.report(vFail, "schema", fmt.Sprintf("%s: a newer tonpay made it (%s unknown to %s)", last, strings.Join(unknown, ", "), d.cfg.Version),
			"run the tonpay version that migrated it, or restore a backup made before (README.md, Restore)")
	case len(pending) > 0 && d.cfg.DatabaseURL != "":
		d.report(vWarn, "schema", fmt.Sprintf("%s; this tonpay has %d newer migration(s): %s", last, len(pending), strings.Join(pending, ", ")),
			"run tonpay migrate (or restart a node: it migrates at start, one node at a time); make sure a point-in-time recovery from before is possible first")
	case len(pending) > 0:
		d.report(vWarn, "schema", fmt.Sprintf("%s; this tonpay has %d newer migration(s): %s", last, len(pending), strings.Join(pending, ", ")),
			"restart the service or run tonpay migrate: the database is copied first, then migrated")
	default:
		d.ok("schema", "%s, current (%d migrations)", last, len(applied))
	}
}

func (d *doctor) integrity() {
	res, err := d.db.Integrity(d.ctx)
	if err == nil && res == "ok" {
		d.ok("integrity", "integrity_check ok")
		return
	}
	if err != nil {
		res = err.Error()
	}
	d.report(vFail, "integrity", "integrity_check: "+res,
		"stop the service and restore the newest backup that verifies (README.md, Restore)")
}

func (d *doctor) disk() {
	dir := filepath.Dir(d.cfg.DBPath)
	free, total, err := d.deps.FreeSpace(dir)
	if err != nil {
		d.report(vWarn, "disk", fmt.Sprintf("free space of %s unknown: %v", dir, err), "check it with df -h")
		return
	}
	pct := 100 * float64(free) / float64(max(total, 1))
	detail := fmt.Sprintf("%s free of %s (%.0f%%) on %s", HumanBytes(int64(free)), HumanBytes(int64(total)), pct, dir)
	fix := "free space: old backups, logs (journalctl --vacuum-size), or a bigger disk; SQLite stops writing when the disk is full"
	switch {
	case free < 100<<20:
		d.report(vFail, "disk", detail, fix)
	case free < 1<<30 || pct < 5:
		d.report(vWarn, "disk", detail, fix)
	default:
		d.ok("disk", "%s", detail)
	}
}

func (d *doctor) backups() {
	c := d.cfg
	if c.BackupDir == "" {
		d.report(vWarn, "backups", "no scheduled backups: the database is the only record of every balance",
			"set BACKUP_DIR (with BACKUP_EVERY and BACKUP_KEEP), or replicate it off the machine with Litestream (README.md, Backups)")
		return
	}
	files := d.deps.Backups(c.DBPath, c.BackupDir)
	if len(files) == 0 {
		d.report(vWarn, "backups", fmt.Sprintf("every %v into %s, none yet", c.BackupEvery, c.BackupDir),
			"the running service makes the first one at start: is it running with this BACKUP_DIR?")
		return
	}
	newest := files[len(files)-1]
	age := time.Since(newest.At).Round(time.Second)
	if age > 2*c.BackupEvery+time.Minute {
		d.report(vWarn, "backups", fmt.Sprintf("the newest, %s, is %v old (every %v)", filepath.Base(newest.Path), age, c.BackupEvery),
			"look for \"backup failed\" in the service's log (journalctl -u tonpay)")
		return
	}
	d.ok("backups", "%d in %s, the newest %v old (every %v, keep %d)", len(files), c.BackupDir, age, c.BackupEvery, c.BackupKeep)
}

// botCall calls a Bot API method and decodes its result. The error never
// holds the token (url.Error would print the whole URL).
func (d *doctor) botCall(method string, result any) (status int, err error) {
	u := d.cfg.TelegramAPIURL + "/bot" + d.cfg.BotToken + "/" + method
	req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, errors.New("bad TELEGRAM_API_URL")
	}
	resp, err := d.deps.Telegram.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("%s unreachable: %v", d.cfg.TelegramAPIURL, err)
	}
	defer resp.Body.Close()
	var body struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		ErrorCode   int             `json:"error_code"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return resp.StatusCode, fmt.Errorf("%s answered %s, not the Bot API", method, resp.Status)
	}
	if !body.OK {
		return resp.StatusCode, fmt.Errorf("%s answered %d %s", method, resp.StatusCode, body.Description)
	}
	return resp.StatusCode, json.Unmarshal(body.Result, result)
}

func (d *doctor) bot() {
	var me struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	status, err := d.botCall("getMe", &me)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusNotFound:
		d.report(vFail, "bot", "BOT_TOKEN "+Redact(d.cfg.BotToken)+" is not valid: "+err.Error(),
			"copy the token again from @BotFather (/mybots, API Token) into BOT_TOKEN")
	case err != nil:
		d.report(vFail, "bot", err.Error(), "let this machine reach "+d.cfg.TelegramAPIURL+" over https (firewall, DNS, proxy)")
	case d.cfg.BotUsername != "" && !strings.EqualFold(d.cfg.BotUsername, me.Username):
		d.report(vWarn, "bot", fmt.Sprintf("the token is @%s's but MINI_APP_LINK names @%s", me.Username, d.cfg.BotUsername),
			"set MINI_APP_LINK to the link @BotFather gave for this bot's Mini App (/myapps)")
	default:
		d.ok("bot", "@%s (id %d)", me.Username, me.ID)
	}
}

func (d *doctor) webhook() {
	var info struct {
		URL              string `json:"url"`
		Pending          int    `json:"pending_update_count"`
		LastErrorDate    int64  `json:"last_error_date"`
		LastErrorMessage string `json:"last_error_message"`
	}
	if _, err := d.botCall("getWebhookInfo", &info); err != nil {
		if d.cfg.WebhookURL != nil {
			d.report(vFail, "webhook", err.Error(), "see the bot check above")
		} else {
			d.report(vSkip, "webhook", "skipped: "+err.Error(), "")
		}
		return
	}
	want := ""
	if d.cfg.WebhookURL != nil {
		want = d.cfg.WebhookURL.String()
	}
	switch {
	case want == "" && info.URL == "" && d.cfg.DatabaseURL != "":
		d.ok("webhook", "none: the bot takes updates by long polling, on the leading node only")
	case want == "" && info.URL == "":
		d.ok("webhook", "none: the bot takes updates by long polling")
	case want == "":
		d.report(vWarn, "webhook", fmt.Sprintf("Telegram posts updates to %s while tonpay long-polls", info.URL),
			"the service deletes that webhook when it starts; if another program uses this bot, give tonpay its own bot")
	case info.URL != want:
		got := info.URL
		if got == "" {
			got = "nowhere"
		}
		d.report(vFail, "webhook", fmt.Sprintf("Telegram posts updates to %s, not WEBHOOK_URL %s", got, want),
			"start tonpay serve: it sets the webhook when it starts")
	case info.LastErrorMessage != "" && time.Since(time.Unix(info.LastErrorDate, 0)) < time.Hour:
		d.report(vWarn, "webhook", fmt.Sprintf("%s; %d update(s) waiting; Telegram's last delivery failed %v ago: %s",
			want, info.Pending, time.Since(time.Unix(info.LastErrorDate, 0)).Round(time.Second), info.LastErrorMessage),
			"WEBHOOK_URL must reach this server over https with a valid certificate")
	default:
		d.ok("webhook", "Telegram posts updates to %s; %d waiting", want, info.Pending)
	}
}

func (d *doctor) publicURL() {
	u := d.cfg.PublicURL
	if u == nil {
		d.report(vWarn, "public url", "PUBLIC_URL is not set: the bot shows no Mini App buttons and wallets find no TON Connect manifest",
			"set TLS_DOMAIN (tonpay gets its certificate itself) or PUBLIC_URL (the https URL of a proxy in front of tonpay)")
		return
	}
	if u.Scheme != "https" {
		d.report(vFail, "public url", u.String()+" is not https: Telegram opens Mini Apps and wallets fetch manifests over https only",
			"set TLS_DOMAIN (tonpay gets its certificate itself) or put an https proxy in front of tonpay and set PUBLIC_URL to it")
		return
	}
	addrs, err := net.DefaultResolver.LookupHost(d.ctx, u.Hostname())
	if err != nil {
		d.report(vFail, "public url", fmt.Sprintf("%s does not resolve: %v", u.Hostname(), err),
			"create a DNS A (and AAAA) record for "+u.Hostname()+" pointing at this server")
		return
	}
	manifest := u.String() + "/tonconnect-manifest.json"
	req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, manifest, nil)
	if err != nil {
		d.report(vFail, "public url", err.Error(), "set PUBLIC_URL to a base URL like https://pay.example.com")
		return
	}
	resp, err := d.deps.Web.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var certErr *tls.CertificateVerificationError
		var unknown x509.UnknownAuthorityError
		var hostErr x509.HostnameError
		var invalid x509.CertificateInvalidError
		if errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &hostErr) || errors.As(err, &invalid) {
			d.report(vFail, "public url", fmt.Sprintf("%s: the certificate is not valid: %v", u.Host, err),
				"with TLS_DOMAIN tonpay obtains a valid certificate itself; behind a proxy, give the proxy one (e.g. Let's Encrypt) for "+u.Hostname())
			return
		}
		d.report(vFail, "public url", fmt.Sprintf("%s (%s) does not answer: %v", u.Host, strings.Join(addrs, ", "), err),
			"the DNS record must point at this server and ports 443 (and 80 for certificates) must be open")
		return
	}
	defer resp.Body.Close()
	var m struct {
		URL string `json:"url"`
	}
	if resp.StatusCode != http.StatusOK {
		d.report(vFail, "public url", fmt.Sprintf("%s answered %s", manifest, resp.Status),
			"PUBLIC_URL must reach this tonpay (a proxy passes every path to HTTP_ADDR)")
		return
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&m); err != nil || m.URL == "" {
		d.report(vFail, "public url", manifest+" is not a TON Connect manifest",
			"PUBLIC_URL must reach this tonpay (a proxy passes every path to HTTP_ADDR)")
		return
	}
	if strings.TrimRight(m.URL, "/") != u.String() {
		d.report(vFail, "public url", fmt.Sprintf("%s serves the manifest of %s, not this instance's", manifest, m.URL),
			"point PUBLIC_URL (and its DNS record) at this server, or set PUBLIC_URL as the other instance has it")
		return
	}
	detail := fmt.Sprintf("%s (%s) serves this instance's manifest", u, strings.Join(addrs, ", "))
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		cert := resp.TLS.PeerCertificates[0]
		left := time.Until(cert.NotAfter)
		issuer := cert.Issuer.CommonName
		if issuer == "" {
			issuer = strings.Join(cert.Issuer.Organization, ", ")
		}
		detail += fmt.Sprintf("; certificate from %s valid until %s", issuer, cert.NotAfter.UTC().Format(time.DateOnly))
		if left < 14*24*time.Hour {
			d.report(vWarn, "public url", detail+fmt.Sprintf(" (%d days left)", int(left.Hours()/24)),
				"renew the certificate: with TLS_DOMAIN tonpay renews 30 days ahead, so look for ACME errors in its log")
			return
		}
	}
	d.ok("public url", "%s", detail)
}

// liteServerList is what the service dials: TON_LITESERVERS, or the
// liteservers of TON_CONFIG or of the network's built-in config.
func liteServerList(cfg *Config) ([]ton.LiteServer, error) {
	if len(cfg.LiteServers) > 0 {
		return cfg.LiteServers, nil
	}
	var global *liteclient.GlobalConfig
	var err error
	if cfg.TONConfig != "" {
		global, err = liteclient.GetConfigFromFile(cfg.TONConfig)
	} else {
		global, err = ton.NetworkConfig(cfg.Testnet)
	}
	if err != nil {
		return nil, err
	}
	return ton.ConfigLiteServers(global), nil
}

// probe is what one lite-server answered.
type probe struct {
	ls      ton.LiteServer
	err     error
	latency time.Duration
	block   uint32
	age     time.Duration // since the last block was made
	skew    time.Duration // its clock minus ours
}

func (d *doctor) probe(ls ton.LiteServer) probe {
	p := probe{ls: ls}
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	c, err := ton.Dial(ctx, ton.ClientConfig{Testnet: d.cfg.Testnet, ConfigPath: d.cfg.TONConfig,
		LiteServers: []ton.LiteServer{ls}, ProofCheck: tonapi.ProofCheckPolicyUnsafe})
	if err != nil {
		p.err = err
		return p
	}
	defer c.Close()
	cp, err := ChainClock(ctx, c.API)
	p.err, p.latency, p.block, p.age, p.skew = err, cp.Latency, cp.Block, cp.Age, cp.Skew
	return p
}

// liteServers checks each lite-server, then connects as the service does
// for the checks that read the chain. It reports whether that worked.
func (d *doctor) liteServers() bool {
	list, err := liteServerList(d.cfg)
	if err != nil {
		d.report(vFail, "lite-server", err.Error(), "fix TON_CONFIG or set TON_LITESERVERS")
		return false
	}
	probes := make([]probe, len(list))
	var wg sync.WaitGroup
	for i, ls := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probes[i] = d.probe(ls)
		}()
	}
	wg.Wait()
	var down []string
	for _, p := range probes {
		if p.err != nil {
			down = append(down, fmt.Sprintf("%s (%v)", p.ls.Addr, p.err))
		}
	}
	if n := len(down); n > 0 {
		if n > 3 {
			down = append(down[:3], fmt.Sprintf("and %d more", n-3))
		}
		if n == len(probes) {
			d.report(vFail, "lite-server", fmt.Sprintf("none of %d reachable: %s", n, strings.Join(down, ", ")),
				"let this machine reach the lite-servers (outbound TCP to their ports), or list reachable ones in TON_LITESERVERS")
			return false
		}
		d.report(vWarn, "lite-server", fmt.Sprintf("%d of %d unreachable: %s", n, len(probes), strings.Join(down, ", ")),
			"the service uses the others; drop the dead ones from TON_LITESERVERS if they stay down")
	}
	for _, p := range probes {
		if p.err != nil {
			continue
		}
		detail := fmt.Sprintf("%s: %.1f ms round trip, block %d made %.1f s ago, its clock %+.0f s from ours",
			p.ls.Addr, float64(p.latency.Microseconds())/1000, p.block, p.age.Seconds(), p.skew.Seconds())
		switch skew := p.skew.Abs(); {
		case skew > ClockFail:
			d.report(vFail, "lite-server", detail, "sync this machine's clock (timedatectl set-ntp true); payouts and wallet proofs are judged by it")
		case skew > ClockWarn:
			d.report(vWarn, "lite-server", detail, "sync this machine's clock (timedatectl set-ntp true): a payout dated ahead of the chain is refused")
		default:
			d.report(vOK, "lite-server", detail, "")
		}
	}
	ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
	defer cancel()
	chain, err := ton.Dial(ctx, ton.ClientConfig{Testnet: d.cfg.Testnet, ConfigPath: d.cfg.TONConfig,
		LiteServers: d.cfg.LiteServers, RPS: d.cfg.RPS, ProofCheck: d.cfg.ProofCheck})
	if err != nil {
		d.report(vFail, "lite-server", "connecting as the service does: "+err.Error(), "check TON_CONFIG and TON_PROOF_CHECK")
		return false
	}
	head, err := chain.API.GetMasterchainInfo(ctx)
	if err != nil {
		chain.Close()
		d.report(vFail, "lite-server", "latest block: "+err.Error(), "check TON_PROOF_CHECK (secure and fast check block proofs)")
		return false
	}
	d.chain, d.head = chain, head
	return true
}

func (d *doctor) skipChain(name string) bool {
	if d.chain == nil {
		d.report(vSkip, name, "skipped: no lite-server answered", "")
		return true
	}
	return false
}

func (d *doctor) hotWallet() {
	words := d.cfg.HotMnemonic
	if words == nil {
		var err error
		words, _, err = ton.LoadMnemonic(d.cfg.HotMnemonicFile, false)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			d.report(vFail, "hot wallet", "no seed file at "+d.cfg.HotMnemonicFile,
				"run tonpay wallet to create it (then fund the address it prints), or set HOT_WALLET_MNEMONIC_FILE to the service's")
			return
		case err != nil:
			d.report(vFail, "hot wallet", err.Error(), "the seed file must hold the 24 words, mode 0600, owned by the service's user")
			return
		}
	}
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		d.report(vFail, "hot wallet", err.Error(), "check the seed")
		return
	}
	d.hot = hot
	addr := ton.FormatAddress(hot, d.cfg.Testnet)
	if d.skipChain("hot wallet") {
		return
	}
	ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
	defer cancel()
	acc, err := d.chain.API.WaitForBlock(d.head.SeqNo).GetAccount(ctx, d.head, hot)
	if err != nil {
		d.report(vFail, "hot wallet", addr+": "+err.Error(), "try again; if it persists, list other lite-servers in TON_LITESERVERS")
		return
	}
	var balance store.Amount
	status := tlb.AccountStatus(tlb.AccountStatusNonExist)
	if acc.State != nil {
		balance = store.Amount(acc.State.Balance.Nano().Int64())
		status = acc.State.Status
	}
	funds := balance.Format(store.TON.Decimals) + " " + store.TON.Symbol
	switch {
	case status == tlb.AccountStatusFrozen:
		d.report(vFail, "hot wallet", addr+" is frozen (it ran out of Gram for storage), "+funds,
			"send Gram to it to unfreeze it; payouts stop until then")
	case balance == 0:
		d.report(vWarn, "hot wallet", addr+" holds nothing: payouts cannot be paid",
			"send Gram to "+addr+" (it pays payouts and their network fees)")
	case status != tlb.AccountStatusActive:
		d.ok("hot wallet", "%s holds %s, not deployed yet: the first payout deploys it", addr, funds)
	default:
		d.ok("hot wallet", "%s deployed, holds %s", addr, funds)
	}
}

func (d *doctor) jettons() {
	for _, j := range d.cfg.Jettons {
		name := "jetton " + j.Symbol
		if d.hot == nil {
			d.report(vSkip, name, "skipped: no hot wallet", "")
			continue
		}
		if d.skipChain(name) {
			continue
		}
		master, err := address.ParseRawAddr(j.Master)
		if err != nil {
			d.report(vFail, name, err.Error(), "fix the master address in JETTONS")
			continue
		}
		ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
		api := d.chain.API.WaitForBlock(d.head.SeqNo)
		jw, err := jetton.NewJettonMasterClient(api, master).GetJettonWalletAtBlock(ctx, d.hot, d.head)
		if err != nil {
			cancel()
			d.report(vFail, name, fmt.Sprintf("master %s does not give our jetton wallet: %v", ton.FormatAddress(master, d.cfg.Testnet), err),
				"JETTONS must name the jetton's master contract on "+d.cfg.Network)
			continue
		}
		jaddr := ton.FormatAddress(jw.Address(), d.cfg.Testnet)
		acc, err := api.GetAccount(ctx, d.head, jw.Address())
		if err == nil && acc.IsActive {
			if bal, berr := jw.GetBalanceAtBlock(ctx, d.head); berr == nil && bal.IsInt64() {
				d.ok(name, "our jetton wallet %s holds %s %s", jaddr, store.Amount(bal.Int64()).Format(j.Decimals), j.Symbol)
			} else {
				d.ok(name, "our jetton wallet %s", jaddr)
			}
		} else if err == nil {
			d.ok(name, "our jetton wallet %s, created by the first %s deposit", jaddr, j.Symbol)
		} else {
			d.report(vFail, name, jaddr+": "+err.Error(), "try again; if it persists, list other lite-servers in TON_LITESERVERS")
		}
		cancel()
	}
}

func (d *doctor) coldWallet() {
	cold := d.cfg.ColdWallet
	if cold == nil {
		d.ok("cold wallet", "not set: nothing is swept out of the hot wallet")
		return
	}
	addr := ton.FormatAddress(cold, d.cfg.Testnet)
	if d.hot != nil && cold.Equals(d.hot) {
		d.report(vFail, "cold wallet", addr+" is the hot wallet itself", "set COLD_WALLET_ADDRESS to a wallet whose seed is kept offline")
		return
	}
	detail := fmt.Sprintf("%s, valid on %s", addr, d.cfg.Network)
	if d.cfg.HotWalletMax > 0 {
		detail += "; the hot wallet keeps at most " + d.cfg.HotWalletMax.Format(store.TON.Decimals) + " " + store.TON.Symbol
	}
	if d.chain != nil {
		ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
		acc, err := d.chain.API.WaitForBlock(d.head.SeqNo).GetAccount(ctx, d.head, cold)
		cancel()
		if err == nil && !acc.IsActive {
			d.report(vWarn, "cold wallet", detail+"; not deployed on chain",
				"make sure you hold this wallet's seed: sweeps go there (deploy it by sending once from it)")
			return
		}
	}
	d.ok("cold wallet", "%s", detail)
}

func (d *doctor) ledger() {
	switch {
	case d.db == nil:
		d.report(vSkip, "ledger", "skipped: no database", "")
		return
	case d.hot == nil:
		d.report(vSkip, "ledger", "skipped: no hot wallet", "")
		return
	case d.skipChain("ledger"):
		return
	}
	ctx, cancel := context.WithTimeout(d.ctx, time.Minute)
	defer cancel()
	block, figures, err := d.deps.OnChain(ctx, d.chain, d.hot, d.cfg.Jettons)
	if err != nil {
		d.report(vFail, "ledger", "reading the chain: "+err.Error(), "run tonpay reconcile; if the error stays, list other lite-servers")
		return
	}
	held, err := d.db.Holdings(ctx)
	if err != nil {
		d.report(vFail, "ledger", err.Error(), "see the database checks above")
		return
	}
	var parts, drifts []string
	for _, a := range d.cfg.Assets {
		chain, ledger := figures[a.Symbol], held[a.Symbol]
		parts = append(parts, ledger.Format(a.Decimals)+" "+a.Symbol)
		if drift := chain - ledger; drift != 0 {
			drifts = append(drifts, fmt.Sprintf("%s chain %s, ledger %s, drift %s", a.Symbol,
				chain.Format(a.Decimals), ledger.Format(a.Decimals), drift.Format(a.Decimals)))
		}
	}
	if len(drifts) > 0 {
		d.report(vFail, "ledger", fmt.Sprintf("differs from the chain at block %d: %s", block, strings.Join(drifts, "; ")),
			"run tonpay reconcile twice (a transaction being booked shows once); a drift that stays: README.md, When it alerts")
		return
	}
	pause, paused, err := d.db.PayoutPause(ctx)
	if err == nil && paused {
		d.report(vWarn, "ledger", fmt.Sprintf("equals the chain at block %d (%s) but payouts are paused since %s (%s): %s",
			block, strings.Join(parts, ", "), pause.CreatedAt.UTC().Format(time.DateTime+" UTC"), pause.Cause, pause.Reason),
			"an admin sends /resume in the bot once the cause is understood")
		return
	}
	d.ok("ledger", "equals the chain at block %d: %s", block, strings.Join(parts, ", "))
}

// HumanBytes is a size in bytes, KiB, MiB or GiB.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Redact is a bot token with its secret part hidden: "123:***".
func Redact(token string) string {
	if i := strings.IndexByte(token, ':'); i > 0 {
		return token[:i] + ":***"
	}
	return "***"
}

// ClockProbe is what one getMasterchainInfoExt says about time.
type ClockProbe struct {
	Latency time.Duration
	Block   uint32
	Age     time.Duration // since the last block was made
	Skew    time.Duration // the lite-server's clock minus ours
}

// ChainClock asks a lite-server for the last block and its clock.
func ChainClock(ctx context.Context, api tonapi.APIClientWrapped) (ClockProbe, error) {
	var p ClockProbe
	var resp tl.Serializable
	start := time.Now()
	err := api.Client().QueryLiteserver(ctx, tonapi.GetMasterchainInfoExt{}, &resp)
	p.Latency = time.Since(start)
	if err != nil {
		return p, err
	}
	info, ok := resp.(tonapi.MasterchainInfoExt)
	if !ok || info.Last == nil {
		return p, fmt.Errorf("unexpected answer %T", resp)
	}
	// Its clock at the middle of the round trip, against ours. It answers
	// in whole seconds: take the middle of its second.
	mid := start.Add(p.Latency / 2)
	p.Block = info.Last.SeqNo
	p.Skew = time.Unix(int64(info.Now), 5e8).Sub(mid).Round(time.Second)
	p.Age = time.Unix(int64(info.Now), 0).Sub(time.Unix(int64(info.LastUTime), 0))
	return p, nil
}
