package admin_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// The overview shows the operator's own money as capital (not unmatched),
// what deposit addresses hold before their sweep, and the hot wallet's own
// chain figure beside its books (the drift is over every wallet).
func TestOverviewShowsCapitalAndDepositAddresses(t *testing.T) {
	d := newDash(t)
	ctx := context.Background()
	d.db.SetDepositDeriver(func(o store.DepositOwner) (string, error) {
		h := sha256.Sum256([]byte(o.String()))
		return "0:" + hex.EncodeToString(h[:]), nil
	})
	op, err := d.db.DepositWallet(ctx, store.OperatorOwner)
	if err != nil {
		t.Fatal(err)
	}
	uw, err := d.db.DepositWallet(ctx, store.UserOwner(userID))
	if err != nil {
		t.Fatal(err)
	}
	post := func(key, from, to string, amt store.Amount) {
		t.Helper()
		_, err := d.db.Post(ctx, store.Transfer{Key: key, Kind: "deposit", Ref: strings.Repeat("ef", 32), Postings: []store.Posting{
			{Account: from, Asset: store.TON.Symbol, Amount: -amt}, {Account: to, Asset: store.TON.Symbol, Amount: amt}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	post("opening", store.AccountHot, store.AccountCapital, 100_000_000_000)
	post("operator", op.Account(), store.AccountCapital, 5_000_000_000)
	post("user", uw.Account(), store.UserAccount(userID), 1_500_000_000)
	_, err = d.db.ReconcileAll(ctx, 100, time.Now(), map[string]store.Amount{store.TON.Symbol: 100_000_000_000}, []store.DepositHolding{
		{WalletID: op.ID, Asset: store.TON.Symbol, Chain: 5_000_000_000}, {WalletID: uw.ID, Asset: store.TON.Symbol, Chain: 1_500_000_000}})
	if err != nil {
		t.Fatal(err)
	}
	ov := d.call(adminID, "GET", "/api/admin/overview", nil)
	assets, _ := ov.body["assets"].([]any)
	if len(assets) == 0 {
		t.Fatalf("overview: %s", ov.raw)
	}
	gram := assets[0].(map[string]any)
	amount := func(k string) any { m, _ := gram[k].(map[string]any); return m["amount"] }
	if gram["asset"] != store.TON.Symbol || amount("capital") != "105000000000" || amount("on_deposit") != "6500000000" ||
		amount("hot_ledger") != "100000000000" || amount("hot_chain") != "100000000000" || amount("drift") != "0" ||
		amount("unmatched") != "0" {
		t.Fatalf("overview %s: %v", store.TON.Symbol, gram)
	}
}
