package store_test

import (
	"testing"

	"github.com/tonpay/tonpay/store"
)

func TestPayoutCostFromConfig(t *testing.T) {
	usdt := store.Asset{Symbol: "USDT", Decimals: 6, Master: "0:" + "11"}
	if got := store.PayoutCost(store.TON); got != 7_014_800 {
		t.Fatalf("TON payout cost %d, want 7014800", got)
	}
	if got := store.PayoutCost(usdt); got != 57_798_800 {
		t.Fatalf("jetton payout cost %d, want 57798800", got)
	}
	if store.DefaultTONFee < store.PayoutCost(store.TON) || store.DefaultJettonFee < store.PayoutCost(usdt) {
		t.Fatal("a default fee is below the payout's network cost")
	}
	if store.DefaultTONMin <= store.DefaultTONFee {
		t.Fatal("the default minimum is not above the fee")
	}
}
