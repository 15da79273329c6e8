package main

import (
	"log/slog"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// components builds the long-running parts of the service.
func components(cfg *Config, log *slog.Logger, db *store.DB, chain *ton.Client, hot *wallet.Wallet) ([]named, error) {
	web := miniapp.New(miniapp.Config{Addr: cfg.HTTPAddr}, db, log.With("component", "http"))
	return []named{
		{"http", web},
	}, nil
}
