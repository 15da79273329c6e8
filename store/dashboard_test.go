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
		if _, err := db.ApplyChainTx(ctx, chainTx(lt, now, "TON", amt, comment, 0)); err != nil {
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
	if ov, _ := db.Overview(ctx); ov["TON"].UnmatchedCount != 206 || ov["TON"].Unmatched != 3_000_000_205 {
		t.Fatalf("overview %+v", ov["TON"])
	}
}
