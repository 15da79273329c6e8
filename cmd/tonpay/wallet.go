package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// walletCmd is `tonpay wallet`: the hot wallet (printWallet: its address,
// network, kind and seed file) and the operator's own deposit address,
// derived from the same seed. What arrives at the operator's address is
// booked to the operator's capital (store.AccountCapital), never to
// unmatched: it is where the operator funds the service. The service
// records the address at every start (serve), so its follower watches it.
func walletCmd(_ context.Context, cfg *Config, stdout io.Writer) error {
	if err := printWallet(cfg, stdout); err != nil {
		return err
	}
	words, err := hotWords(cfg, nil)
	if err != nil {
		return err
	}
	keys, err := ton.NewDepositKeys(words, cfg.Testnet)
	if err != nil {
		return err
	}
	op, err := keys.Address(store.OperatorOwner)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "operator deposit address: %s\n", ton.FormatAddress(op, cfg.Testnet))
	fmt.Fprintf(stdout, "  the operator's own: Gram or a configured jetton sent here, from any wallet and with or without a comment,\n"+
		"  is booked to the operator's capital (%s), never to unmatched and never to a user;\n"+
		"  kind: wallet W5 (v5r1), derived from the hot wallet's seed (nothing else to back up)\n", store.AccountCapital)
	return nil
}
