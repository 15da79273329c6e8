package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestBuyPackage(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	if _, err := db.UpsertUser(ctx, store.User{ID: 42, FirstName: "Ann"}); err != nil {
		t.Fatal(err)
	}
	user := store.UserAccount(42)
	if _, err := db.Post(ctx, deposit("d1", user, store.TON.Symbol, 2_000_000_000)); err != nil {
		t.Fatal(err)
	}
	starter := store.Purchase{UserID: 42, Key: "k1", Package: "starter", Asset: store.TON.Symbol, Price: 1_500_000_000, Credits: 100}

	res, err := db.BuyPackage(ctx, starter)
	if err != nil || !res.Created || res.TransferID == 0 {
		t.Fatalf("buy: %+v %v", res, err)
	}
	if b := bal(t, db, user, store.TON.Symbol); b != 500_000_000 {
		t.Fatalf("TON balance %d", b)
	}
	if b := bal(t, db, user, store.Credits.Symbol); b != 100 {
		t.Fatalf("credits %d", b)
	}
	if b := bal(t, db, store.AccountSales, store.TON.Symbol); b != 1_500_000_000 {
		t.Fatalf("sales %d", b)
	}
	if b := bal(t, db, store.AccountIssued, store.Credits.Symbol); b != -100 {
		t.Fatalf("issued %d", b)
	}

	again, err := db.BuyPackage(ctx, starter)
	if err != nil || again.Created || again.TransferID != res.TransferID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	if b := bal(t, db, user, store.Credits.Symbol); b != 100 {
		t.Fatalf("replay posted again: credits %d", b)
	}
	other := starter
	other.Package, other.Credits = "pro", 1000
	if _, err := db.BuyPackage(ctx, other); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("replay with other terms: %v", err)
	}

	// 0.5 TON left: a second 1.5 TON package is refused and changes nothing.
	second := starter
	second.Key = "k2"
	if _, err := db.BuyPackage(ctx, second); !errors.Is(err, store.ErrInsufficientFunds) {
		t.Fatalf("overdraft: %v", err)
	}
	if b := bal(t, db, user, store.TON.Symbol); b != 500_000_000 {
		t.Fatalf("TON after refused purchase %d", b)
	}
	if b := bal(t, db, user, store.Credits.Symbol); b != 100 {
		t.Fatalf("credits after refused purchase %d", b)
	}
	for _, bad := range []store.Purchase{
		{UserID: 42, Key: "x", Package: "p", Asset: store.TON.Symbol, Price: 0, Credits: 1},
		{UserID: 42, Key: "", Package: "p", Asset: store.TON.Symbol, Price: 1, Credits: 1},
		{UserID: 42, Key: "x", Package: "p", Asset: "CREDITS", Price: 1, Credits: 1},
	} {
		if _, err := db.BuyPackage(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	storetest.Audit(t, db)
}

func TestBuyPackageRecordsCreditsAsset(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON}})
	if _, err := db.UpsertUser(ctx, store.User{ID: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Post(ctx, deposit("d", store.UserAccount(7), store.TON.Symbol, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BuyPackage(ctx, store.Purchase{UserID: 7, Key: "k", Package: "p", Asset: store.TON.Symbol, Price: 10, Credits: 3}); err != nil {
		t.Fatal(err)
	}
	assets, err := db.Assets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range assets {
		found = found || a == store.Credits
	}
	if !found {
		t.Fatalf("CREDITS not recorded: %+v", assets)
	}
	storetest.Audit(t, db)
}
