package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestDepositsSinceAndCountWithdrawals(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{}, Options: []store.Option{store.WithClock(clock)}})
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
	apply(chainTx(1, now, store.TON.Symbol, 5_000_000_000, u.Comment, 0)) // yesterday
	mu.Lock()
	now = now.Add(2 * time.Hour) // next day, 01:00
	mu.Unlock()
	apply(chainTx(2, now, store.TON.Symbol, 1_500_000_000, u.Comment, 0))
	apply(chainTx(3, now, store.TON.Symbol, 2_000_000_000, u.Comment, 0))
	apply(chainTx(4, now, "USDT", 7_000_000, u.Comment, 0))
	apply(chainTx(5, now, store.TON.Symbol, 9_000_000_000, "NOBODY99", 0)) // unmatched: not a deposit

	today := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	got, err := db.DepositsSince(ctx, today)
	if err != nil {
		t.Fatal(err)
	}
	if got[store.TON.Symbol] != (store.DepositTotal{Count: 2, Sum: 3_500_000_000}) || got["USDT"] != (store.DepositTotal{Count: 1, Sum: 7_000_000}) || len(got) != 2 {
		t.Fatalf("deposits since %v: %+v", today, got)
	}

	for i, amt := range []store.Amount{1_000_000_000, 2_000_000_000} {
		_, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.ID, IdemKey: string(rune('a' + i)), Asset: store.TON.Symbol,
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

// The chart's days: every transfer in by its block's (UTC) day, 30 days,
// oldest first, today last.
func TestDailyFlows(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	now := db.Now().UTC()
	alice, _ := db.UpsertUser(ctx, store.User{ID: 1})
	for i, c := range []struct {
		at      time.Time
		amt     store.Amount
		comment string
	}{
		{now, 1_000_000_000, alice.Comment},                    // credited today
		{now, 500_000_000, "NOBODY"},                           // unmatched today
		{now.AddDate(0, 0, -2), 2_000_000_000, alice.Comment},  // two days ago
		{now.AddDate(0, 0, -40), 9_000_000_000, alice.Comment}, // before the window
	} {
		if _, err := db.ApplyChainTx(ctx, chainTx(uint64(i+1), c.at, store.TON.Symbol, c.amt, c.comment, 0)); err != nil {
			t.Fatal(err)
		}
	}
	days, err := db.DailyFlows(ctx, 30)
	if err != nil || len(days) != 30 {
		t.Fatalf("%d days, %v", len(days), err)
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !days[29].Day.Equal(today) || !days[0].Day.Equal(today.AddDate(0, 0, -29)) {
		t.Fatalf("window %s .. %s", days[0].Day, days[29].Day)
	}
	var total store.Amount
	for _, d := range days {
		total += d.Deposits[store.TON.Symbol]
	}
	if days[29].Deposits[store.TON.Symbol] != 1_500_000_000 || days[27].Deposits[store.TON.Symbol] != 2_000_000_000 || total != 3_500_000_000 {
		t.Fatalf("today %d, two days ago %d, total %d", days[29].Deposits[store.TON.Symbol], days[27].Deposits[store.TON.Symbol], total)
	}
}
