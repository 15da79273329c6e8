package store_test

import (
	"context"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// TestAssetRegistry: the registry answers for configured assets, built-in
// ones, and assets only the database records (also ones recorded after it
// was built), without reading the database on a lookup; an unknown asset
// has 0 decimals. Gram's display name is the one line the rename needs.
func TestAssetRegistry(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t) // GRAM, USDT (6), CREDITS
	reg := store.NewAssets(db, []store.Asset{store.TON})
	for sym, want := range map[string]int{store.TON.Symbol: 9, "USDT": 6, store.Credits.Symbol: 0, store.Stars.Symbol: 0, "DOGE": 0} {
		if got := reg.Decimals(sym); got != want {
			t.Errorf("Decimals(%s) = %d, want %d", sym, got, want)
		}
	}
	if _, ok := reg.Lookup("DOGE"); ok {
		t.Error("an unknown asset was found")
	}
	if err := db.SyncAssets(context.Background(), []store.Asset{{Symbol: "NOT", Decimals: 2}}); err != nil {
		t.Fatal(err)
	}
	if got := reg.Format(store.Money{Asset: "NOT", Amount: 150}); got != "1.5" {
		t.Errorf("NOT 150 = %q, want 1.5", got)
	}
	if got := reg.Name(store.TON.Symbol); got != "Gram" {
		t.Errorf("Name(GRAM) = %q", got)
	}
	if got := reg.Name("USDT"); got != "USDT" {
		t.Errorf("Name(USDT) = %q", got)
	}
	if chain := reg.Chain(); len(chain) != 1 || chain[0].Symbol != store.TON.Symbol {
		t.Errorf("Chain() = %+v", chain)
	}
}
