package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// A flood of dust does not push a real unmatched deposit out of the admin's
// list: unmatched come before dust, newest first.
func TestUnmatchedListedBeforeDust(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
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

// Every kind of chain event that leaves money on the unmatched account is
// listed (dashboard and bot) and resolvable exactly once, with what it left
// there; an aborted transaction that took back only our own message's
// value leaves nothing there and is not listed.
func TestUnmatchedOfEveryKind(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	now := db.Now()
	if _, err := db.UpsertUser(ctx, store.User{ID: 77}); err != nil {
		t.Fatal(err)
	}
	ev := func(lt uint64, kind string, moves ...store.Move) store.ChainTx {
		c := chainTxOf(hotAcct, lt, store.TON.Symbol, moves...)
		c.Event.Kind, c.Event.Sender, c.Event.Time = kind, "0:"+fmt.Sprintf("%064x", 9), now
		return c
	}
	applied := []store.ChainTx{
		chainTx(1, now, store.TON.Symbol, 3_000_000_000, "NOBODY", 0), // unmatched
		chainTx(2, now, store.TON.Symbol, 5, "", 0),                   // dust
		ev(3, store.KindAborted, store.Move{Kind: store.MoveUnmatched, Amount: 700_000_000}, store.Move{Kind: store.MoveNetworkFee, Amount: -1_000_000}),
		ev(4, store.KindFakeJetton, store.Move{Kind: store.MoveUnmatched, Amount: 200_000_000}),
		ev(5, store.KindAborted, store.Move{Kind: store.MoveFeeIncome, Amount: 9_000_000}), // our own, bounced back
	}
	for _, c := range applied {
		if _, err := db.ApplyChainTx(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.UnmatchedDeposits(ctx, now.Add(-time.Hour), 200)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Amount{store.KindUnmatched: 3_000_000_000, store.KindDust: 5, store.KindAborted: 700_000_000, store.KindFakeJetton: 200_000_000}
	if len(list) != len(want) {
		t.Fatalf("%d listed, want %d: %+v", len(list), len(want), list)
	}
	for _, u := range list {
		if want[u.Event.Kind] != u.Event.Amount || u.Resolution != nil {
			t.Errorf("%s listed with %d", u.Event.Kind, u.Event.Amount)
		}
	}
	page, err := db.UnmatchedPage(ctx, 0, 10)
	if err != nil || len(page) != 4 || page[0].Event.Kind != store.KindFakeJetton {
		t.Fatalf("bot page: %+v %v", page, err)
	}
	if ov, _ := db.Overview(ctx); ov[store.TON.Symbol].UnmatchedCount != 4 || ov[store.TON.Symbol].Unmatched != 3_900_000_005 {
		t.Fatalf("overview %+v", ov[store.TON.Symbol])
	}
	admin := store.Actor{ID: 1, Role: "admin"}
	var aborted, fake int64
	for _, u := range list {
		switch u.Event.Kind {
		case store.KindAborted:
			aborted = u.Event.ID
		case store.KindFakeJetton:
			fake = u.Event.ID
		}
	}
	// The aborted value goes to a user, once: a replay moves nothing, any
	// other resolution is refused.
	for range 2 {
		u, err := db.AssignUnmatched(ctx, admin, aborted, 77, 0)
		if err != nil || u.Resolution == nil || u.Event.Amount != 700_000_000 {
			t.Fatalf("assign aborted: %+v %v", u, err)
		}
	}
	if bal(t, db, store.UserAccount(77), store.TON.Symbol) != 700_000_000 {
		t.Fatal("the aborted value was not credited exactly once")
	}
	if _, err := db.RefundUnmatched(ctx, admin, aborted, fmt.Sprintf("%064x", 999)); err == nil {
		t.Fatal("resolved twice")
	}
	// The fake jetton's coin is refunded by hand.
	if _, err := db.RefundUnmatched(ctx, admin, fake, fmt.Sprintf("%064x", 998)); err != nil {
		t.Fatal(err)
	}
	if got := bal(t, db, store.AccountUnmatched, store.TON.Symbol); got != 3_000_000_005 {
		t.Fatalf("unmatched holds %d", got)
	}
	// The event that left nothing there cannot be resolved.
	page, _ = db.UnmatchedPage(ctx, 0, 10)
	var own int64
	evs, _ := db.ChainEvents(ctx, 0, 10, store.KindAborted)
	for _, e := range evs {
		if e.ID != aborted {
			own = e.ID
		}
	}
	if _, err := db.AssignUnmatched(ctx, admin, own, 77, 0); err == nil {
		t.Fatal("an event that left nothing on unmatched was assigned")
	}
	if len(page) != 4 || page[len(page)-1].Event.Kind != store.KindUnmatched {
		t.Fatalf("bot page after resolving: %+v", page)
	}
	if ov, _ := db.Overview(ctx); ov[store.TON.Symbol].UnmatchedCount != 2 {
		t.Fatalf("overview after resolving %+v", ov[store.TON.Symbol])
	}
	storetest.Audit(t, db)
}
