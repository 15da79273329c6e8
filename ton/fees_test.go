package ton_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

// The default withdrawal fee covers what a payout really costs the hot
// wallet, as the ledger books it: payouts with no fee on the emulated
// chain, which runs the real wallet and USDT code under mainnet's
// configuration (gas, forwarding, import and storage fees as the network
// charges them), once in a batch of one and once in a batch of many, TON
// and a jetton. The network fee booked per payout (what the fees account
// lost) must be within the default fee, and a payout alone within the
// derivation's worst case (store.PayoutCost).
func TestPayoutFeesCoverTheChain(t *testing.T) {
	t.Parallel()
	usdt := store.Asset{Symbol: "USDT", Decimals: 6, Master: "set"}
	for _, tt := range []struct {
		name  string
		asset store.Asset
		n     int
	}{
		{"TON, a batch of one", store.TON, 1},
		{"TON, a batch of 40", store.TON, 40},
		{"jetton, a batch of one", usdt, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigWith(t, tontest.Options{})
			r.chain.AutoMine(200 * time.Millisecond)
			db := r.open()
			defer db.Close()
			var want []payout
			if tt.asset.Master == "" {
				want = r.queuePayouts(db, tt.n)
			} else {
				want = r.queueJettonPayout(db)
			}
			// Book the funding first: from here the fees account moves
			// only by what the payouts cost.
			r.catchUp(r.scanner(db, nil))
			before := balance(t, db, store.AccountFees, store.TON.Symbol)
			p := r.payer(db, nil)
			if err := r.runPayer(db, p, want, 90*time.Second); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			for _, w := range want {
				got, err := db.Withdrawal(context.Background(), w.id)
				must(t, err)
				if got.Status != store.WithdrawalConfirmed {
					t.Fatalf("withdrawal %d is %s (%s)", w.id, got.Status, got.Error)
				}
			}
			cost := before - balance(t, db, store.AccountFees, store.TON.Symbol)
			per := cost / store.Amount(len(want))
			fee := store.NewPolicy(nil, store.Rules{}).Fee(tt.asset)
			t.Logf("%s: %d payout(s) in %d external(s) booked %s TON of network fees, %s TON each; default fee %s TON, derived bound %s TON",
				tt.name, len(want), r.externals(), cost.Format(9), per.Format(9), fee.Format(9), store.PayoutCost(tt.asset).Format(9))
			if per <= 0 || per > fee {
				t.Fatalf("a payout cost %d nanoton, the default fee is %d", per, fee)
			}
			if tt.n == 1 && per > store.PayoutCost(tt.asset) {
				t.Fatalf("a payout cost %d nanoton, more than the derived bound %d", per, store.PayoutCost(tt.asset))
			}
		})
	}
}

// queueJettonPayout gives the hot wallet USDT and TON and queues one USDT
// withdrawal without a fee.
func (r *rig) queueJettonPayout(db *store.DB) []payout {
	r.t.Helper()
	ctx := context.Background()
	r.chain.Fund(r.hot, 5*tonUnit)
	r.usdt.Mint(r.hot, big.NewInt(100_000_000))
	_, err := db.UpsertUser(ctx, store.User{ID: 7})
	must(r.t, err)
	_, err = db.Post(ctx, store.Transfer{Key: "fund-7", Kind: "deposit", Ref: fmt.Sprintf("%064x", 7), Postings: []store.Posting{
		{Account: store.AccountUnmatched, Asset: "USDT", Amount: -40_000_000}, {Account: store.UserAccount(7), Asset: "USDT", Amount: 40_000_000}}})
	must(r.t, err)
	dest := r.wallet(1)
	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 7, IdemKey: "j1", Asset: "USDT", Amount: 12_345_678,
		FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest.Address(), true), Comment: "order 12345"})
	must(r.t, err)
	return []payout{{id: w.ID, dest: dest.Address(), amount: 12_345_678}}
}
