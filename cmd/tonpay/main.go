// Command tonpay runs the tonpay service: a Telegram bot, a Mini App and its
// API, a deposit scanner and a withdrawal payer, over one SQLite ledger.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/tonpay/tonpay/cmd/tonpay/cli"
	"github.com/tonpay/tonpay/cmd/tonpay/sandbox"
	"github.com/tonpay/tonpay/ton"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: tonpay [command]

commands:
  (none)    serve when a BOT_TOKEN is configured, else the sandbox
  serve     run the service
  sandbox   run the whole product offline: an emulated chain and Telegram in this process, a demo
            wallet with a faucet, a chat panel with the bot and a demo merchant; no real money
  migrate   create or upgrade the database schema and exit
  migrate-to-postgres
            copy the SQLite database at DB_PATH into the empty PostgreSQL database at DATABASE_URL
            and verify the copy (every row, every balance, the ledger's invariants); the SQLite
            file is only read. Stop the service first
  wallet    print the hot wallet's address (creates its seed file on first use) and the operator's
            own deposit address, whose deposits book to the operator's capital
  merchant  add, list, rotate-token, set-webhook: merchants of the /api/v1 API
  reconcile [--all]
            compare what the hot wallet and the deposit addresses hold on chain with what the
            ledger says, per asset (deposit addresses as the service last read each; --all reads
            every one now); only reads (the service may run); exit 0 when equal, 1 on a drift, 2 on an error.
            A transaction the running service has not booked yet shows as a passing
            difference: when the figures differ, run it again
  backup FILE
            copy the database to FILE (or into the directory FILE) while the service may run,
            and verify the copy: integrity_check, migrations, ledger sums; exit 1 when it does not verify
  doctor    check everything a live service needs, one line per check; exit 1 when any fails
  version   print the version

Configuration comes from the environment and a .env file; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it with their own environment
// and output. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	dotenv, err := readDotEnv(".env")
	if err != nil {
		fmt.Fprintf(stderr, "tonpay: .env: %v\n", err)
		return 2
	}
	lookup := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return dotenv[k]
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	} else if strings.TrimSpace(lookup("BOT_TOKEN")) == "" {
		cmd = "sandbox" // nothing configured yet: show the product
	}
	if cmd == "sandbox" {
		if len(args) > 1 {
			fmt.Fprintf(stderr, "tonpay: sandbox takes no arguments\n%s", usage)
			return 2
		}
		return sandbox.Run(ctx, lookup, stdout, stderr, serveSandbox(stderr))
	}
	all := cmd == "reconcile" && len(args) == 2 && args[1] == "--all"
	if len(args) > 1 && cmd != "merchant" && cmd != "backup" && !all {
		fmt.Fprintf(stderr, "tonpay: %s takes no arguments\n%s", cmd, usage)
		return 2
	}
	if cmd == "backup" && len(args) != 2 {
		fmt.Fprintf(stderr, "tonpay: backup takes the file (or directory) to write the copy to\n%s", usage)
		return 2
	}
	var n need
	switch cmd {
	case "serve", "reconcile", "doctor":
		// reconcile connects like serve; its settings are checked as serve's.
		n = forServe
	case "migrate", "merchant", "backup", "migrate-to-postgres":
		n = forMigrate
	case "wallet":
		n = forWallet
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "tonpay %s\n", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "tonpay: unknown command %q\n%s", cmd, usage)
		return 2
	}

	cfg, err := loadConfig(lookup, n)
	if cmd == "doctor" {
		// A bad configuration is doctor's first finding, not a usage error.
		return doctorCmd(ctx, cfg, err, stdout, defaultDoctorDeps())
	}
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) && ce.Var == "BOT_TOKEN" && cmd == "serve" {
			fmt.Fprintf(stderr, "tonpay: config: %v; without one, `tonpay sandbox` runs the whole product offline\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "tonpay: config: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)

	switch cmd {
	case "reconcile":
		err = cli.Reconcile(ctx, cfg.cliEnv(), stdout, all)
		switch {
		case errors.Is(err, cli.ErrDrift):
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "tonpay reconcile: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
			return 2
		}
		return 0
	case "backup":
		err = cli.Backup(ctx, cfg.cliEnv(), args[1], stdout)
		if err != nil {
			fmt.Fprintf(stderr, "tonpay backup: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
			return 1
		}
		return 0
	case "migrate":
		err = cli.Migrate(ctx, cfg.cliEnv(), stdout)
	case "migrate-to-postgres":
		if err = migrateToPostgres(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "tonpay migrate-to-postgres: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
			return 1
		}
		return 0
	case "wallet":
		err = cli.Wallet(cfg.cliEnv(), stdout)
	case "merchant":
		err = cli.Merchant(ctx, cfg.cliEnv(), args[1:], stdout)
		var ue cli.UsageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "tonpay merchant: %s", ue)
			return 2
		}
	default:
		err = serve(ctx, cfg, log)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error(cmd+" failed", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return log
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

// cliEnv is what the operator's commands need of the configuration.
func (c *Config) cliEnv() cli.Env {
	return cli.Env{DBPath: c.DBPath, Database: c.Database(), DatabaseName: c.DatabaseName(), Postgres: c.DatabaseURL != "",
		BackupDir: c.BackupDir, Assets: c.Assets(), Jettons: c.Jettons, Network: c.Network,
		Testnet: c.Testnet, HotMnemonic: c.HotMnemonic, HotMnemonicFile: c.HotMnemonicFile,
		Dial: func(ctx context.Context) (*ton.Client, error) { return dial(ctx, c) }}
}
