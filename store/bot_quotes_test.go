package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// A quote the bot keeps is found by key until its time is up, replaced by
// a second save, gone once cancelled; old rows are removed as new ones come.
func TestBotQuotes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	move := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	db := storetest.OpenWith(t, storetest.Config{Options: []store.Option{store.WithClock(clock)}})
	req := store.WithdrawRequest{UserID: 5, Asset: store.TON.Symbol, Amount: "1,5", Destination: "EQabc", Typed: true}
	if err := db.SaveBotQuote(ctx, "5:10", req); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.BotQuote(ctx, "5:10", 10*time.Minute)
	if err != nil || !ok || got != req {
		t.Fatalf("quote %+v %v %v, want %+v", got, ok, err, req)
	}
	if _, ok, _ := db.BotQuote(ctx, "5:11", 10*time.Minute); ok {
		t.Fatal("a quote found under another key")
	}
	move(10 * time.Minute)
	if _, ok, _ := db.BotQuote(ctx, "5:10", 10*time.Minute); ok {
		t.Fatal("a quote honoured past its time")
	}
	req.Amount = "2"
	if err := db.SaveBotQuote(ctx, "5:10", req); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := db.BotQuote(ctx, "5:10", 10*time.Minute); !ok || got.Amount != "2" {
		t.Fatalf("saved again: %+v %v", got, ok)
	}
	if err := db.DeleteBotQuote(ctx, "5:10"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.BotQuote(ctx, "5:10", 10*time.Minute); ok {
		t.Fatal("a cancelled quote found")
	}
	// A day later, saving another removes what is older.
	if err := db.SaveBotQuote(ctx, "5:12", req); err != nil {
		t.Fatal(err)
	}
	move(25 * time.Hour)
	if err := db.SaveBotQuote(ctx, "5:13", req); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.BotQuote(ctx, "5:12", 48*time.Hour); ok {
		t.Fatal("a quote older than a day kept")
	}
	if err := db.SaveBotQuote(ctx, "5:14", store.WithdrawRequest{UserID: 5, By: &store.Actor{}}); err == nil {
		t.Fatal("a request with an actor kept as a bot quote")
	}
}
