package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// One node leads at a time; a node paused past its lease wakes fenced: its
// writes and its sends are refused and change nothing, while the new
// leader's go through.
func TestLeaseFencesAPausedLeader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).UnixMilli())
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON},
		Options: []store.Option{store.WithClock(func() time.Time { return time.UnixMilli(now.Load()) })}})
	const ttl = 15 * time.Second

	a, ok, err := db.AcquireLease(ctx, "node-a", ttl)
	if err != nil || !ok || a.Epoch != 1 {
		t.Fatalf("first acquire: %+v %v %v", a, ok, err)
	}
	if b, ok, err := db.AcquireLease(ctx, "node-b", ttl); err != nil || ok || b.Holder != "node-a" {
		t.Fatalf("node-b took a valid lease: %+v %v %v", b, ok, err)
	}
	now.Add((10 * time.Second).Milliseconds())
	if r, ok, err := db.AcquireLease(ctx, "node-a", ttl); err != nil || !ok || r.Epoch != 1 {
		t.Fatalf("renewal: %+v %v %v", r, ok, err)
	}
	leaderA := store.WithLease(ctx, a)
	if _, err := db.ApplyChainTx(leaderA, store.DepositTx(store.ChainEvent{Account: "0:aa", LT: 1, Hash: "01", Kind: store.KindUnmatched,
		Time: time.UnixMilli(now.Load())}, store.Incoming{Asset: store.TON.Symbol, Amount: 5}, 0)); err != nil {
		t.Fatalf("the leader's booking: %v", err)
	}

	// node-a freezes; its lease runs out; node-b takes over.
	now.Add((ttl + time.Second).Milliseconds())
	b, ok, err := db.AcquireLease(ctx, "node-b", ttl)
	if err != nil || !ok || b.Epoch != 2 {
		t.Fatalf("takeover: %+v %v %v", b, ok, err)
	}
	// node-a wakes: it can neither book nor send.
	_, err = db.ApplyChainTx(leaderA, store.DepositTx(store.ChainEvent{Account: "0:aa", LT: 2, Hash: "02", Kind: store.KindUnmatched,
		Time: time.UnixMilli(now.Load())}, store.Incoming{Asset: store.TON.Symbol, Amount: 7}, 0))
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the old leader's booking: %v, want ErrFenced", err)
	}
	if err := db.CheckLease(leaderA); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the old leader may send: %v", err)
	}
	if bal, _ := db.Balance(ctx, store.AccountUnmatched, store.TON.Symbol); bal != 5 {
		t.Fatalf("unmatched %d: the fenced booking changed the books", bal)
	}
	// Renewing does not bring the old epoch back.
	if l, ok, _ := db.AcquireLease(ctx, "node-a", ttl); ok {
		t.Fatalf("node-a renewed a lease it lost: %+v", l)
	}
	leaderB := store.WithLease(ctx, b)
	if _, err := db.ApplyChainTx(leaderB, store.DepositTx(store.ChainEvent{Account: "0:aa", LT: 2, Hash: "02", Kind: store.KindUnmatched,
		Time: time.UnixMilli(now.Load())}, store.Incoming{Asset: store.TON.Symbol, Amount: 7}, 0)); err != nil {
		t.Fatalf("the new leader's booking: %v", err)
	}
	if err := db.CheckLease(leaderB); err != nil {
		t.Fatal(err)
	}
	// Writes without a lease (the faces) are never fenced.
	if _, err := db.UpsertUser(ctx, store.User{ID: 1}); err != nil {
		t.Fatal(err)
	}
	// Released at shutdown: the next node takes it at once, with the next epoch.
	if err := db.ReleaseLease(ctx, b); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := db.AcquireLease(ctx, "node-c", ttl); err != nil || !ok || c.Epoch != 3 {
		t.Fatalf("after release: %+v %v %v", c, ok, err)
	}
	if l, err := db.Leader(ctx); err != nil || l.Holder != "node-c" {
		t.Fatalf("leader %+v %v", l, err)
	}
}

// Nodes racing for an expired lease: exactly one wins.
func TestLeaseOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := db.AcquireLease(ctx, fmt.Sprint("node-", i), time.Minute); err != nil {
				t.Error(err)
			} else if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d nodes lead", wins.Load())
	}
}
