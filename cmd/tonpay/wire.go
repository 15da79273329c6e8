package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// components builds the long-running parts of the service.
func components(cfg *Config, log *slog.Logger, db *store.DB, chain *ton.Client, hot *wallet.Wallet) ([]named, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	scanner := ton.NewScanner(chain.API, db, ton.ScannerConfig{
		Hot:     hot.WalletAddress(),
		Jettons: cfg.Jettons,
		Min:     cfg.DepositMin,
		Log:     log.With("component", "scanner"),
	})
	reg.MustRegister(scanner.Collectors()...)

	web := miniapp.New(miniapp.Config{Addr: cfg.HTTPAddr}, db, log.With("component", "http"))
	return []named{
		{"scanner", scanner},
		{"http", web},
	}, nil
}
