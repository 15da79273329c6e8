package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/tonpay/tonpay/cmd/tonpay/cli"
	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
)

// doctorCmd runs `tonpay doctor` on the configuration, or on its error
// (doctor's first finding).
func doctorCmd(ctx context.Context, cfg *Config, cfgErr error, stdout io.Writer, deps doctor.Deps) int {
	if cfgErr != nil {
		var ce *ConfigError
		bad := ""
		if errors.As(cfgErr, &ce) {
			bad = ce.Var
		}
		return doctor.Run(ctx, nil, &doctor.ConfigError{Var: bad, Err: cfgErr}, stdout, deps)
	}
	return doctor.Run(ctx, doctorConfig(cfg), nil, stdout, deps)
}

// doctorConfig is the part of the configuration doctor checks.
func doctorConfig(cfg *Config) *doctor.Config {
	var short []doctor.FeeShortfall
	for _, f := range cfg.FeesBelowCost() {
		short = append(short, doctor.FeeShortfall{Asset: f.Asset, Cost: f.Cost, Says: f.String()})
	}
	return &doctor.Config{
		Version:         buildVersion(),
		Network:         cfg.Network,
		Testnet:         cfg.Testnet,
		TONConfig:       cfg.TONConfig,
		LiteServers:     cfg.LiteServers,
		RPS:             cfg.RPS,
		ProofCheck:      cfg.ProofCheck,
		DBPath:          cfg.DBPath,
		DatabaseURL:     cfg.DatabaseURL,
		DatabaseName:    cfg.DatabaseName(),
		LeaseTTL:        leaseTTL,
		BackupDir:       cfg.BackupDir,
		BackupEvery:     cfg.BackupEvery,
		BackupKeep:      cfg.BackupKeep,
		BotToken:        cfg.BotToken,
		TelegramAPIURL:  cfg.TelegramAPIURL,
		BotUsername:     cfg.BotUsername,
		WebhookURL:      cfg.WebhookURL,
		PublicURL:       cfg.PublicURL,
		AdminIDs:        cfg.AdminIDs,
		HotMnemonic:     cfg.HotMnemonic,
		HotMnemonicFile: cfg.HotMnemonicFile,
		HotWalletMax:    cfg.HotWalletMax,
		ColdWallet:      cfg.ColdWallet,
		Jettons:         cfg.Jettons,
		Assets:          cfg.Assets(),
		Rules:           cfg.Rules(),
		FeesBelowCost:   short,
	}
}

func defaultDoctorDeps() doctor.Deps {
	return doctor.Deps{
		Web:       &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects},
		Telegram:  &http.Client{Timeout: 10 * time.Second},
		FreeSpace: diskSpace,
		LockWait:  3 * time.Second,
		OnChain:   cli.OnChain,
		Backups:   cli.ScheduledBackups,
	}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
