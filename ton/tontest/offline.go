package tontest

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
)

// SignExternal builds the external message a wallet app returns from TON
// Connect's sendTransaction, signed with key, without a chain: tonutils-go's
// own V4R2 or W5 (v5r1) code signs it. Seqno 0 sends the state init with it
// (a wallet not yet deployed); any other seqno leaves it out. It returns the
// BOC and the wallet's address.
func SignExternal(key ed25519.PrivateKey, v wallet.VersionConfig, seqno uint32, msgs ...*wallet.Message) ([]byte, *address.Address, error) {
	w, err := wallet.FromPrivateKey(nil, key, v)
	if err != nil {
		return nil, nil, err
	}
	s, ok := w.GetSpec().(interface {
		SetSeqnoFetcher(func(ctx context.Context, subWallet uint32) (uint32, error))
	})
	if !ok {
		return nil, nil, errors.New("tontest: this wallet version has no seqno")
	}
	s.SetSeqnoFetcher(func(context.Context, uint32) (uint32, error) { return seqno, nil })
	ext, err := w.PrepareExternalMessageForMany(context.Background(), seqno == 0, msgs)
	if err != nil {
		return nil, nil, err
	}
	c, err := tlb.ToCell(ext)
	if err != nil {
		return nil, nil, err
	}
	return c.ToBOC(), w.WalletAddress(), nil
}
