package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// The overview shows the operator's own money as capital (not unmatched)
// and what deposit addresses hold before their sweep.
func TestOverviewShowsCapitalAndDepositAddresses(t *testing.T) {
	d := newDash(t)
	ctx := context.Background()
	post := func(key, from, to string, amt store.Amount) {
		t.Helper()
		_, err := d.db.Post(ctx, store.Transfer{Key: key, Kind: "deposit", Ref: strings.Repeat("ef", 32), Postings: []store.Posting{
			{Account: from, Asset: store.TON.Symbol, Amount: -amt}, {Account: to, Asset: store.TON.Symbol, Amount: amt}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	post("opening", store.AccountHot, store.AccountCapital, 100_000_000_000)
	post("operator", store.DepositAccount(1), store.AccountCapital, 5_000_000_000)
	post("user", store.DepositAccount(2), store.UserAccount(userID), 1_500_000_000)
	ov := d.call(adminID, "GET", "/api/admin/overview", nil)
	assets, _ := ov.body["assets"].([]any)
	if len(assets) == 0 {
		t.Fatalf("overview: %s", ov.raw)
	}
	gram := assets[0].(map[string]any)
	amount := func(k string) any { m, _ := gram[k].(map[string]any); return m["amount"] }
	if gram["asset"] != store.TON.Symbol || amount("capital") != "105000000000" || amount("on_deposit") != "6500000000" ||
		amount("hot_ledger") != "100000000000" || amount("unmatched") != "0" {
		t.Fatalf("overview %s: %v", store.TON.Symbol, gram)
	}
}
