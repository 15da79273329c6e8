package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// A withdrawal to any deposit address of ours (another user's, the
// operator's, a merchant invoice's, or one of their jetton wallets), in
// any letter case, is refused as one of our own: the hot wallet's transfer
// there would be booked as ours in transit, never as its owner's deposit.
func TestWithdrawalToADepositAddressIsRefused(t *testing.T) {
	r := newLimitsRig(t)
	ctx := context.Background()
	r.db.SetDepositDeriver(func(o store.DepositOwner) (string, error) {
		return fmt.Sprintf("0:%064x", 0xd0000+len(o.Kind)*1000+int(o.ID)), nil
	})
	p := r.policy(nil)
	r.fund(store.UserAccount(1), store.TON.Symbol, 10_000_000_000)
	r.fund(store.UserAccount(1), "USDT", 10_000_000)
	theirs, err := r.db.DepositWallet(ctx, store.UserOwner(2))
	if err != nil {
		t.Fatal(err)
	}
	own, err := r.db.DepositWallet(ctx, store.UserOwner(1))
	if err != nil {
		t.Fatal(err)
	}
	op, err := r.db.DepositWallet(ctx, store.OperatorOwner)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := r.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: r.merchant, Asset: store.TON.Symbol, Amount: 1_000_000_000,
		TTL: time.Hour, OwnAddress: true})
	if err != nil {
		t.Fatal(err)
	}
	jw := "0:" + strings.Repeat("ee", 32)
	if err := r.db.SetDepositJettonWallet(ctx, theirs.ID, "USDT", jw); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{theirs.Address, own.Address, op.Address, inv.Address, strings.ToUpper(theirs.Address), jw} {
		for _, asset := range []string{store.TON.Symbol, "USDT"} {
			_, err := p.Quote(ctx, store.WithdrawRequest{UserID: 1, Asset: asset, Amount: "1", Destination: dest})
			refusalOf(t, err, store.RefuseOwnAddress)
		}
	}
	if _, err := p.Quote(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "1", Destination: payTo}); err != nil {
		t.Fatalf("an address not ours: %v", err)
	}
}
