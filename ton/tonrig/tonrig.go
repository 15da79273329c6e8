// Package tonrig is the tests' one emulated-chain rig: a tontest chain, the
// real client dialled to it, and the hot wallet of a seed phrase made once
// per process (a phrase and its key cost 200,000 rounds of PBKDF2; under the
// race detector that is seconds).
//
// Every test gets its own chain, so sharing the phrase shares no state: the
// same hot wallet address on two chains is two wallets.
package tonrig

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

var seed = sync.OnceValues(func() ([]string, *address.Address) {
	words := wallet.NewSeed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		panic(err)
	}
	return words, hot
})

// Seed is this process's hot wallet seed phrase (a copy).
func Seed() []string {
	words, _ := seed()
	return slices.Clone(words)
}

// Hot is the hot wallet address of Seed.
func Hot() *address.Address {
	_, hot := seed()
	return hot.Copy()
}

// Rig is a chain, the client connected to it and the hot wallet of Seed.
type Rig struct {
	Chain  *tontest.Chain
	Client *ton.Client
	Words  []string
	Hot    *address.Address
}

// Chain starts an emulated chain, closed when the test ends.
func Chain(t testing.TB, opts tontest.Options) *tontest.Chain {
	t.Helper()
	chain, err := tontest.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(chain.Close)
	return chain
}

// New starts a chain and dials the client to it; both end with the test.
func New(t testing.TB, opts tontest.Options) *Rig {
	t.Helper()
	chain := Chain(t, opts)
	ls, err := ton.ParseLiteServers(chain.LiteServers())
	if err != nil {
		t.Fatal(err)
	}
	client, err := ton.Dial(context.Background(), ton.ClientConfig{Testnet: true, LiteServers: ls, ProofCheck: tonapi.ProofCheckPolicyUnsafe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return &Rig{Chain: chain, Client: client, Words: Seed(), Hot: Hot()}
}

// Wallet is a V4R2 wallet on the chain holding nano nanoton.
func (r *Rig) Wallet(t testing.TB, nano uint64) *tontest.Wallet {
	t.Helper()
	w, err := r.Chain.NewWallet(wallet.V4R2, nano)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// WaitHead waits until the chain's head is at least seqno.
func WaitHead(t testing.TB, chain *tontest.Chain, seqno uint32, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if !chain.WaitHead(ctx, seqno) {
		t.Fatalf("the chain's head stayed at %d, below %d, for %v", chain.Head().SeqNo, seqno, limit)
	}
}

// Blocks waits until the chain produced n more blocks (AutoMine running).
func Blocks(t testing.TB, chain *tontest.Chain, n uint32) {
	t.Helper()
	WaitHead(t, chain, chain.Head().SeqNo+n, time.Duration(n)*10*time.Second)
}
