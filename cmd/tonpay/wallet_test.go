package main

import (
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
)

// `tonpay wallet` prints the hot wallet and the operator's own deposit
// address (the seed's, not the hot wallet's, not a user's), saying that
// what arrives there is the operator's capital.
func TestWalletPrintsTheOperatorsDepositAddress(t *testing.T) {
	words := tonrig.Seed()
	keys, err := ton.NewDepositKeys(words, true)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := keys.Address(store.OperatorOwner)
	user, _ := keys.Address(store.UserOwner(1))
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOT_WALLET_MNEMONIC": strings.Join(words, " ")}
	code, out, stderr := tonpay(t, t.TempDir(), env, "wallet")
	if code != 0 {
		t.Fatalf("wallet: %d %s", code, stderr)
	}
	opText, hotText := ton.FormatAddress(op, true), ton.FormatAddress(hot, true)
	if strings.Fields(out)[0] != hotText {
		t.Fatalf("the first line is not the hot wallet %s:\n%s", hotText, out)
	}
	for _, want := range []string{"operator deposit address: " + opText + "\n", "booked to the operator's capital (" + store.AccountCapital + ")",
		"never to unmatched"} {
		if !strings.Contains(out, want) {
			t.Fatalf("wallet output lacks %q:\n%s", want, out)
		}
	}
	if opText == hotText || strings.Contains(out, ton.FormatAddress(user, true)) {
		t.Fatalf("the operator's address is another's:\n%s", out)
	}
	// Mainnet: the same address in its mainnet form.
	env["TON_NETWORK"] = "mainnet"
	mk, err := ton.NewDepositKeys(words, false)
	if err != nil {
		t.Fatal(err)
	}
	mop, _ := mk.Address(store.OperatorOwner)
	if _, out, _ := tonpay(t, t.TempDir(), env, "wallet"); !strings.Contains(out, "operator deposit address: "+ton.FormatAddress(mop, false)+"\n") ||
		!strings.HasPrefix(ton.FormatAddress(mop, false), "UQ") {
		t.Fatalf("mainnet wallet output:\n%s", out)
	}
}
