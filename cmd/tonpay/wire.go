package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/bot"
	"github.com/tonpay/tonpay/cmd/tonpay/cli"
	"github.com/tonpay/tonpay/cmd/tonpay/tlsfront"
	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/miniapp/admin"
	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/miniapp/owner"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/webapp"
)

// components builds the long-running parts of the service.
func components(cfg *Config, log *slog.Logger, db *store.DB, chain *ton.Client, hot *wallet.Wallet, words []string) ([]named, *miniapp.Server, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	assets := cfg.Assets()
	// The asset registry every face renders amounts with (decimals, names).
	registry := store.NewAssets(db, assets)

	follower := ton.NewFollower(chain.API, db, ton.FollowerConfig{
		Hot:     hot.WalletAddress(),
		Jettons: cfg.Jettons,
		Cold:    cfg.ColdWallet,
		Min:     cfg.DepositMin,
		Testnet: cfg.Testnet,
		Log:     log.With("component", "follower"),
	})
	reg.MustRegister(follower.Collectors()...)

	// The rule book every face asks: one policy from the configuration.
	hotRaw := hot.WalletAddress().Bounce(true).StringRaw()
	rules := cfg.Rules()
	rules.ParseDestination = ton.Destinations(cfg.Testnet)
	rules.Own = func() []string {
		own := []string{hotRaw}
		if cfg.ColdWallet != nil {
			own = append(own, cfg.ColdWallet.Bounce(true).StringRaw())
		}
		for _, j := range cfg.Jettons {
			if jw := follower.JettonWallet(j.Symbol); jw != nil {
				own = append(own, jw.StringRaw())
			}
		}
		return own
	}
	policy := store.NewPolicy(db, rules)
	// A fee below what a payout costs loses money on every withdrawal.
	for _, f := range cfg.FeesBelowCost() {
		log.Warn("withdrawal fee below the network cost: each withdrawal loses the difference",
			"asset", f.Asset, "fee_gram", f.Fee.Format(store.TON.Decimals), "cost_gram", f.Cost.Format(store.TON.Decimals),
			"fix", fmt.Sprintf("set WITHDRAW_FEE=%s:%s or more, or leave it unset for the default", f.Asset, f.Cost.Format(store.TON.Decimals)))
	}

	payer, err := ton.NewPayer(chain.API, db, words, follower.Heads(), ton.PayerConfig{
		Testnet:        cfg.Testnet,
		HotWalletMax:   cfg.HotWalletMax,
		Cold:           cfg.ColdWallet,
		SweepGas:       ton.DefaultSweepJettonGas, // deposit addresses holding jettons get the gas of their sweep
		SweepJettonMin: cfg.SweepJettonMin,
		Log:            log.With("component", "payer"),
	})
	if err != nil {
		return nil, nil, err
	}
	reg.MustRegister(payer.Collectors()...)
	keys, err := ton.NewDepositKeys(words, cfg.Testnet)
	if err != nil {
		return nil, nil, err
	}
	sweeper := ton.NewSweeper(chain.API, db, follower.MoreHeads(), ton.SweeperConfig{
		Keys: keys, Hot: hot.WalletAddress(), Min: cfg.SweepMin, JettonMin: cfg.SweepJettonMin, Log: log.With("component", "sweeper"),
	})

	clock := newClockWatch(chain, log.With("component", "chain"))

	twa := ""
	if cfg.MiniAppLink != nil {
		twa = cfg.MiniAppLink.String()
	}
	web := miniapp.New(miniapp.Config{
		Addr:         cfg.HTTPAddr,
		PublicURL:    cfg.PublicURL,
		BotToken:     cfg.BotToken,
		InitDataTTL:  cfg.InitDataTTL,
		Testnet:      cfg.Testnet,
		Hot:          hot.WalletAddress(),
		Policy:       policy,
		Assets:       assets,
		ProofSecret:  derive(cfg.BotToken, "ton_proof payload"),
		Keys:         chain,
		Chain:        chain,
		Health:       follower,
		Warnings:     clock.Warnings,
		Registry:     reg,
		Static:       webapp.FS(),
		TWAReturnURL: twa,
		// Without TLS_DOMAIN tonpay sits behind the operator's proxy: the
		// client is the address that proxy reports (X-Forwarded-For is
		// believed only from loopback and private peers, so a directly
		// exposed instance is not fooled). Per-IP limits and /metrics'
		// private-only rule then judge the real client, not the proxy.
		TrustProxy: cfg.TLSDomain == "",
		AdminIDs:   cfg.AdminIDs,

		AssetRegistry: registry,
	}, db, log.With("component", "http"))

	shop := merchant.Config{
		Testnet:        cfg.Testnet,
		DepositAddress: hot.WalletAddress(),
		Assets:         assets,
		AssetRegistry:  registry,
		Policy:         policy,
		BotUsername:    cfg.BotUsername,
		AppName:        cfg.AppName,
		PayURL:         cfg.PayURL,
	}
	shopAPI := merchant.New(shop, db, log.With("component", "merchant-api"))
	shopAPI.Register(web.Group("/api/v1"))
	// The dashboards in the Mini App: admins (ADMIN_IDS) and merchant owners.
	owner.New(shopAPI, db).Register(web.Authed("/merchant/:mid"))
	admin.New(admin.Config{AdminIDs: cfg.AdminIDs, Assets: assets, AssetRegistry: registry, Testnet: cfg.Testnet, Status: follower.Status},
		db, log.With("component", "admin")).Register(web.Authed("/admin"))
	hooks := merchant.NewWebhooks(merchant.WebhookConfig{Merchant: shop, AllowPrivate: cfg.WebhooksAllowPrivate},
		db, log.With("component", "webhooks"))

	tgBot, err := bot.New(bot.Config{
		Token:          cfg.BotToken,
		APIURL:         cfg.TelegramAPIURL,
		PublicURL:      cfg.PublicURL,
		AdminIDs:       cfg.AdminIDs,
		Testnet:        cfg.Testnet,
		DepositAddress: hot.WalletAddress(),
		Assets:         assets,
		AssetRegistry:  registry,
		Policy:         policy,
		WebhookURL:     cfg.WebhookURL,
		Log:            log.With("component", "bot"),
	}, db, &botStatus{follower: follower, chain: chain, hot: hot.WalletAddress()})
	if err != nil {
		return nil, nil, err
	}
	web.SetStars(tgBot) // the Mini App's Stars invoices and subscriptions go through the bot
	if cfg.WebhookURL != nil {
		web.Mount(cfg.WebhookURL.Path, tgBot.WebhookHandler())
	}

	// The chain's work, and the bot's notices, run on the node that holds
	// the leader's lease (one node on SQLite; any of several on PostgreSQL).
	// The bot's updates: by webhook every node takes them (Telegram posts
	// to whichever the address reaches); by long polling on PostgreSQL only
	// the leader polls, since Telegram lets one getUpdates wait at a time (a
	// second ends the first with 409 Conflict). On SQLite, one process, the
	// bot polls from the start, lease or not: after a crash it answers at
	// once instead of after the dead process's lease, and it never hands
	// polling over (updates fetched and not yet handled when a poller stops
	// are not fetched again: Telegram counts them as confirmed).
	led := []named{{"follower", follower}, {"payer", payer}, {"sweeper", sweeper}, {"webhooks", hooks},
		{"notices", runFunc(tgBot.RunNotices)}}
	bots := []named{{"bot", runFunc(tgBot.RunUpdates)}}
	if cfg.WebhookURL == nil && cfg.DatabaseURL != "" {
		led, bots = append(led, bots...), nil
	}
	lead := newLeadership(db, cfg.NodeName, led, log.With("component", "leader"))
	web.SetLeader(lead.Status)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tonpay_leader",
		Help: "1 while this node holds the leader's lease (follows the chain, pays, sweeps, delivers webhooks)."},
		func() float64 {
			if _, _, leading := lead.Status(); leading {
				return 1
			}
			return 0
		}))
	parts := append([]named{{"leader", lead}}, bots...)
	parts = append(parts, named{"http", web}, named{"clock", clock})
	if cfg.TLSDomain != "" {
		// tonpay serves HTTPS itself: the same handler behind certificates
		// it obtains, instead of miniapp's plain HTTP listener.
		for i, p := range parts {
			if p.name == "http" {
				parts[i] = named{"https", tlsfront.New(tlsOptions(cfg), web.Handler(), web.Close, log.With("component", "https"))}
			}
		}
	}
	if cfg.DatabaseURL != "" {
		// BACKUP_DIR is refused beside DATABASE_URL (config.go).
		log.Info("no scheduled backups: they copy the SQLite file; on PostgreSQL the database's own backups count "+
			"(base backups with WAL archiving: point-in-time recovery; tonpay doctor checks the archiving)", "component", "backups")
	}
	if cfg.BackupDir != "" {
		b := cli.NewBackups(cfg.DBPath, cfg.BackupDir, cfg.BackupEvery, cfg.BackupKeep, log.With("component", "backups"))
		reg.MustRegister(b.Collectors()...)
		parts = append(parts, named{"backups", b})
	}
	return parts, web, nil
}

// botStatus answers the bot's /stats from the running parts.
type botStatus struct {
	follower *ton.Follower
	chain    *ton.Client
	hot      *address.Address
}

func (s *botStatus) ScannerLag() time.Duration { return s.follower.Lag() }

func (s *botStatus) HotWalletBalance(ctx context.Context) (store.Amount, error) {
	head, err := s.chain.API.GetMasterchainInfo(ctx)
	if err != nil {
		return 0, err
	}
	acc, err := s.chain.API.GetAccount(ctx, head, s.hot)
	if err != nil {
		return 0, err
	}
	if acc.State == nil {
		return 0, nil
	}
	return store.Amount(acc.State.Balance.Nano().Int64()), nil
}

// derive makes a stable secret for one purpose from the bot token, so
// that what it signs survives a restart without one more setting.
func derive(token, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("tonpay " + purpose))
	return m.Sum(nil)
}

// tlsOptions are the configuration's TLS settings.
func tlsOptions(cfg *Config) tlsfront.Options {
	return tlsfront.Options{Domain: cfg.TLSDomain, Email: cfg.TLSEmail, ACMEDirectory: cfg.ACMEDirectory, ACMERoots: cfg.ACMERoots,
		CacheDir: cfg.TLSCacheDir, PublicURL: cfg.PublicURL.String(), HTTPSAddr: cfg.HTTPSAddr, HTTPAddr: cfg.HTTPAddr,
		UserAgent: "tonpay/" + buildVersion()}
}
