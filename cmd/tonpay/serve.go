package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tonpay/tonpay/cmd/tonpay/cli"
	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
	"github.com/tonpay/tonpay/cmd/tonpay/sandbox"
	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// component is anything serve runs until the context ends.
type component interface {
	Run(ctx context.Context) error
}

type named struct {
	name string
	component
}

// serve wires the running parts and runs them under one errgroup: the first
// to fail stops the others, a signal stops all, and serve returns when every
// part has finished.
func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	return serveWith(ctx, cfg, log, nil)
}

// extension adds to what serve runs: routes on the HTTP server and more
// parts (the sandbox's chat panel, faucet and wallet).
type extension func(web *miniapp.Server, db *store.DB) []named

// serveSandbox is the service as the sandbox runs it: the configuration
// the sandbox gives, checked as serve's, and the sandbox's routes and parts
// added.
func serveSandbox(stderr io.Writer) sandbox.Serve {
	return func(ctx context.Context, env func(string) string, o sandbox.Options) error {
		cfg, err := loadConfig(env, forServe)
		if err != nil {
			return err
		}
		cfg.PublicURL, cfg.PayURL = o.PublicURL, o.PayURL
		log := newLogger(cfg, stderr)
		return serveWith(ctx, cfg, log, func(web *miniapp.Server, db *store.DB) []named {
			var parts []named
			for _, p := range o.Extend(log, web, db) {
				parts = append(parts, named{p.Name, runFunc(p.Run)})
			}
			return parts
		})
	}
}

// runFunc is a function as a component.
type runFunc func(ctx context.Context) error

func (f runFunc) Run(ctx context.Context) error { return f(ctx) }

func serveWith(ctx context.Context, cfg *Config, log *slog.Logger, extend extension) error {
	// The first log line comes at once, before the database (a migration
	// takes a copy first) and the chain: the hot wallet's address needs
	// neither.
	words, err := cli.HotWords(cfg.cliEnv(), log)
	if err != nil {
		return err
	}
	hotAddr, err := ton.HotWalletAddress(words)
	if err != nil {
		return err
	}
	attrs := []any{"version", buildVersion(), "network", cfg.Network, "db", cfg.DatabaseName(), "http", cfg.HTTPAddr}
	if cfg.TLSDomain != "" {
		attrs = append(attrs, "https", cfg.HTTPSAddr, "domain", cfg.TLSDomain)
	}
	log.Info("starting", append(attrs, "bot", doctor.Redact(cfg.BotToken), "hot_wallet", ton.FormatAddress(hotAddr, cfg.Testnet))...)

	db, err := cli.OpenDB(ctx, cfg.cliEnv(), func(r store.BackupReport) {
		log.Warn("copied the database before migrating it", "copy", r.Path, "schema", r.Schema, "bytes", r.Size)
	})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SyncAssets(ctx, cfg.Assets()); err != nil {
		return fmt.Errorf("assets: %w", err)
	}
	keys, err := ton.NewDepositKeys(words, cfg.Testnet)
	if err != nil {
		return err
	}
	db.SetDepositDeriver(keys.Deriver())
	// The operator's own deposit address (`tonpay wallet` prints it) is on
	// record from the first start: the follower watches it.
	if _, err := db.DepositWallet(ctx, store.OperatorOwner); err != nil {
		return fmt.Errorf("operator deposit address: %w", err)
	}

	// Serving starts without waiting for the chain: what needs only the
	// ledger works at once, deposits and payouts wait for a lite-server.
	chain, err := dialInBackground(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer chain.Close()
	hot, err := ton.HotWallet(chain.API, words, nil)
	if err != nil {
		return err
	}

	parts, web, err := components(cfg, log, db, chain, hot, words)
	if err != nil {
		return err
	}
	if extend != nil {
		parts = append(parts, extend(web, db)...)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range parts {
		g.Go(func() error {
			err := p.Run(gctx)
			if err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			return nil
		})
	}
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// dial connects to the liteservers of the configuration (TON_CONFIG,
// TON_LITESERVERS, TON_RPS, TON_PROOF_CHECK), giving up after 30 s.
func dial(ctx context.Context, cfg *Config) (*ton.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return ton.Dial(ctx, ton.ClientConfig{
		Testnet:     cfg.Testnet,
		ConfigPath:  cfg.TONConfig,
		LiteServers: cfg.LiteServers,
		RPS:         cfg.RPS,
		ProofCheck:  cfg.ProofCheck,
	})
}
