package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// UserAddresses (what the Mini App's /api/me reads on every open) on both
// engines: nothing before a wallet is linked and an address handed out,
// then both.
func TestUserAddresses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	db.SetDepositDeriver(func(o store.DepositOwner) (string, error) {
		return "0:" + strings.Repeat("d", 62) + "01", nil
	})
	if _, err := db.UpsertUser(ctx, store.User{ID: 9}); err != nil {
		t.Fatal(err)
	}
	got, err := db.UserAddresses(ctx, 9)
	if err != nil || got.Wallet != nil || got.Deposit != "" {
		t.Fatalf("before: %+v %v, want neither address", got, err)
	}
	dw, err := db.DepositWallet(ctx, store.UserOwner(9))
	if err != nil {
		t.Fatal(err)
	}
	w := store.Wallet{UserID: 9, Address: "0:" + strings.Repeat("ab", 32)}
	if err := db.LinkWallet(ctx, w, "nonce-9", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = db.UserAddresses(ctx, 9)
	if err != nil || got.Wallet == nil || got.Wallet.Address != w.Address || got.Deposit != dw.Address {
		t.Fatalf("after: %+v %v, want wallet %s and deposit address %s", got, err, w.Address, dw.Address)
	}
	if other, err := db.UserAddresses(ctx, 10); err != nil || other.Wallet != nil || other.Deposit != "" {
		t.Fatalf("another user: %+v %v", other, err)
	}
}
