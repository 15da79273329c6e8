package ton_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	tonapi "github.com/xssnick/tonutils-go/ton"

	"github.com/tonpay/tonpay/ton"
)

func TestNetworkConfigsAreEmbedded(t *testing.T) {
	t.Parallel()
	for _, testnet := range []bool{true, false} {
		cfg, err := ton.NetworkConfig(testnet)
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Liteservers) < 5 || cfg.Validator.InitBlock.SeqNo == 0 {
			t.Fatalf("testnet=%v: %d liteservers, init block %d", testnet, len(cfg.Liteservers), cfg.Validator.InitBlock.SeqNo)
		}
	}
}

func TestParseLiteServers(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("A", 43) + "="
	good, err := ton.ParseLiteServers(" 127.0.0.1:4924:" + key + ", [::1]:5000:" + key)
	if err != nil || len(good) != 2 || good[1].Addr != "[::1]:5000" {
		t.Fatalf("%v %v", good, err)
	}
	for _, bad := range []string{"", "127.0.0.1:4924", "127.0.0.1:0:" + key, "127.0.0.1:x:" + key, ":4924:" + key, "127.0.0.1:4924:short", "127.0.0.1:4924:!!!"} {
		if _, err := ton.ParseLiteServers(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, p := range []string{"secure", "fast", "unsafe"} {
		if _, err := ton.ParseProofPolicy(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := ton.ParseProofPolicy("trusting"); err == nil {
		t.Error("unknown policy accepted")
	}
}

func TestDialUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ls, _ := ton.ParseLiteServers("127.0.0.1:1:" + strings.Repeat("A", 43) + "=")
	if _, err := ton.Dial(ctx, ton.ClientConfig{LiteServers: ls, ProofCheck: tonapi.ProofCheckPolicyUnsafe}); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}

func TestClientJettonWalletAndRateLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	w := r.wallet(1)
	r.usdt.Mint(w.Address(), big.NewInt(1))
	got, err := r.client.JettonWallet(ctx, r.usdt.Master(), w.Address())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(r.usdt.WalletAddress(w.Address())) {
		t.Fatalf("jetton wallet %v, want %v", got, r.usdt.WalletAddress(w.Address()))
	}

	ls, _ := ton.ParseLiteServers(r.chain.LiteServers())
	limited, err := ton.Dial(ctx, ton.ClientConfig{LiteServers: ls, RPS: 20, ProofCheck: tonapi.ProofCheckPolicyUnsafe})
	if err != nil {
		t.Fatal(err)
	}
	defer limited.Close()
	start := time.Now()
	for range 21 {
		if _, err := limited.API.GetMasterchainInfo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 20 queries after the first burst of 2 at 20/s need at least 0.9 s.
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("21 queries at TON_RPS=20 took only %v", el)
	}
}
