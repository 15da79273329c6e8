package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// A flood of dust does not push a real unmatched deposit out of the admin's
// list: unmatched come before dust, newest first.
func TestUnmatchedListedBeforeDust(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	now := db.Now()
	apply := func(lt uint64, amt store.Amount, comment string) {
		t.Helper()
		if _, err := db.ApplyChainTx(ctx, chainTx(lt, now, store.TON.Symbol, amt, comment, 0)); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, 3_000_000_000, "NOBODY")
	for i := range 205 {
		apply(uint64(10+i), 1, fmt.Sprint("spam", i))
	}
	list, err := db.UnmatchedDeposits(ctx, now.Add(-time.Hour), 200)
	if err != nil || len(list) != 200 {
		t.Fatalf("%d listed, %v", len(list), err)
	}
	if e := list[0].Event; e.Kind != store.KindUnmatched || e.Amount != 3_000_000_000 {
		t.Fatalf("first listed %+v, want the 3 TON unmatched deposit", e)
	}
	if list[1].Event.LT != 214 {
		t.Fatalf("dust not newest first: lt %d", list[1].Event.LT)
	}
	if ov, _ := db.Overview(ctx); ov[store.TON.Symbol].UnmatchedCount != 206 || ov[store.TON.Symbol].Unmatched != 3_000_000_205 {
		t.Fatalf("overview %+v", ov[store.TON.Symbol])
	}
}

// The chart's days: every transfer in by its block's (UTC) day, 30 days,
// oldest first, today last.
func TestDailyFlows(t *testing.T) {
	ctx := context.Background()
	db := open(t)
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
