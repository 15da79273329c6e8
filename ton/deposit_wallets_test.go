package ton_test

import (
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

var depositSeed = strings.Fields("olympic crawl ethics wire junior access acoustic fetch learn job switch happy " +
	"cricket coin cloud catalog very nation sense bachelor safe thumb exhibit trust")

// A deposit address is the seed's and the owner's alone: derived again from
// the phrase it is the same, another owner's differs, it is a W5 wallet of
// the owner's own key, and it does not move with a library upgrade.
func TestDepositAddressIsTheSeedsAndTheOwners(t *testing.T) {
	t.Parallel()
	k1, err := ton.NewDepositKeys(depositSeed, true)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ton.NewDepositKeys(append([]string(nil), depositSeed...), true)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]store.DepositOwner{}
	owners := []store.DepositOwner{store.OperatorOwner, store.UserOwner(1), store.UserOwner(2), store.UserOwner(1 << 40), store.UserOwner(7_000_000_000)}
	for _, o := range owners {
		a1, err := k1.Address(o)
		if err != nil {
			t.Fatal(err)
		}
		a2, err := k2.Address(o)
		if err != nil {
			t.Fatal(err)
		}
		if !a1.Equals(a2) {
			t.Fatalf("%s: %s then %s from the same phrase", o, a1, a2)
		}
		if prev, ok := seen[a1.StringRaw()]; ok {
			t.Fatalf("%s and %s share %s", prev, o, a1)
		}
		seen[a1.StringRaw()] = o
		w, err := wallet.FromPrivateKey(nil, k1.Key(o), wallet.ConfigV5R1Final{NetworkGlobalID: wallet.TestnetGlobalID})
		if err != nil {
			t.Fatal(err)
		}
		if !w.WalletAddress().Equals(a1) {
			t.Fatalf("%s: address %s is not the W5 wallet of its key (%s)", o, a1, w.WalletAddress())
		}
	}
	raw, err := k1.Deriver()(store.UserOwner(1))
	if err != nil {
		t.Fatal(err)
	}
	// Computed with tonutils-go v1.18.0: users' money waits at this
	// address; no upgrade may move it.
	if want := "0:84208cb7fcf598f6badb09acdb04088e33c5a7449993fc47de34d10454efff02"; raw != want {
		t.Fatalf("user 1's deposit address %s, was %s", raw, want)
	}
	mainnet, err := ton.NewDepositKeys(depositSeed, false)
	if err != nil {
		t.Fatal(err)
	}
	am, _ := mainnet.Address(store.UserOwner(1))
	at, _ := k1.Address(store.UserOwner(1))
	if am.Equals(at) {
		t.Fatal("the same deposit address on mainnet and testnet")
	}
	text, err := ton.DepositAddressText(raw, true)
	if err != nil || !strings.HasPrefix(text, "0Q") {
		t.Fatalf("shown as %q (%v), want the testnet non-bounceable form", text, err)
	}
}

func BenchmarkDepositAddress(b *testing.B) {
	k, err := ton.NewDepositKeys(depositSeed, false)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := k.Address(store.UserOwner(int64(i + 1))); err != nil {
			b.Fatal(err)
		}
	}
}
