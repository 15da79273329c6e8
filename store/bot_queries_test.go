package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

func TestDepositsSinceAndCountWithdrawals(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "tonpay.db"), store.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SyncAssets(ctx, []store.Asset{store.TON, {Symbol: "USDT", Decimals: 6}}); err != nil {
		t.Fatal(err)
	}
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})

	apply := func(c store.ChainTx) {
		t.Helper()
		if _, err := db.ApplyChainTx(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	apply(chainTx(1, now, "TON", 5_000_000_000, u.Comment, 0)) // yesterday
	mu.Lock()
	now = now.Add(2 * time.Hour) // next day, 01:00
	mu.Unlock()
	apply(chainTx(2, now, "TON", 1_500_000_000, u.Comment, 0))
	apply(chainTx(3, now, "TON", 2_000_000_000, u.Comment, 0))
	apply(chainTx(4, now, "USDT", 7_000_000, u.Comment, 0))
	apply(chainTx(5, now, "TON", 9_000_000_000, "NOBODY99", 0)) // unmatched: not a deposit

	today := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	got, err := db.DepositsSince(ctx, today)
	if err != nil {
		t.Fatal(err)
	}
	if got["TON"] != (store.DepositTotal{Count: 2, Sum: 3_500_000_000}) || got["USDT"] != (store.DepositTotal{Count: 1, Sum: 7_000_000}) || len(got) != 2 {
		t.Fatalf("deposits since %v: %+v", today, got)
	}

	for i, amt := range []store.Amount{1_000_000_000, 2_000_000_000} {
		_, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.ID, IdemKey: string(rune('a' + i)), Asset: "TON",
			Amount: amt, Destination: "UQdest", NeedsApproval: i == 1})
		if err != nil {
			t.Fatal(err)
		}
	}
	counts, err := db.CountWithdrawals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[store.WithdrawalQueued] != 1 || counts[store.WithdrawalAwaitingApproval] != 1 || len(counts) != 2 {
		t.Fatalf("counts %v", counts)
	}
}
