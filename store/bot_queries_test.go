package store_test

import (
	"context"
	"fmt"
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
	db := storetest.OpenWith(t, storetest.Config{Options: []store.Option{store.WithClock(clock)}, Assets: []store.Asset{store.TON, {Symbol: "USDT", Decimals: 6}}})
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

func TestDueEventsPerUserTakesTheOldestOfEachUser(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := storetest.OpenWith(t, storetest.Config{Options: []store.Option{store.WithClock(clock)}, Assets: []store.Asset{}})
	emit := func(user int64, typ string) {
		t.Helper()
		if err := db.Emit(ctx, store.TopicBot, typ, user, 0, map[string]string{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
	}
	for range 5 {
		emit(1, "a") // a long queue for user 1 first
	}
	emit(2, "b")
	emit(0, "admin1")
	emit(0, "admin2")
	emit(3, "c")
	if err := db.Emit(ctx, store.TopicWebhook, "invoice.paid", 4, 0, map[string]string{}); err != nil {
		t.Fatal(err)
	}

	got, err := db.DueEventsPerUser(ctx, store.TopicBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range got {
		seen = append(seen, fmt.Sprint(e.UserID, ":", e.Type))
	}
	if want := []string{"1:a", "2:b", "0:admin1", "3:c"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("due per user %v, want %v", seen, want)
	}
	if got, _ := db.DueEventsPerUser(ctx, store.TopicBot, 2); len(got) != 2 || got[1].UserID != 2 {
		t.Fatalf("limit 2: %+v", got)
	}

	// Done, and retried later: the user's next event comes forward; one not
	// yet due is left out.
	if err := db.MarkEventDone(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RetryEvent(ctx, got[1].ID, now.Add(time.Hour), "later"); err != nil {
		t.Fatal(err)
	}
	got, err = db.DueEventsPerUser(ctx, store.TopicBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen = seen[:0]
	for _, e := range got {
		seen = append(seen, fmt.Sprint(e.UserID, ":", e.Type))
	}
	if want := []string{"1:a", "0:admin1", "3:c"}; fmt.Sprint(seen) != fmt.Sprint(want) || got[0].ID == 1 {
		t.Fatalf("after done and retry %v (first id %d), want %v", seen, got[0].ID, want)
	}
}
