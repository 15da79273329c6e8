package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// Two nodes on one PostgreSQL database: what one commits, the other's
// subscribers hear (an event stream on any node hears a deposit the leader
// booked); what a transaction rolled back, nobody hears; a node does not
// hear its own changes twice.
func TestChangesReachTheOtherNodes(t *testing.T) {
	t.Parallel()
	url := storetest.Schema(t) // PostgreSQL only: skips (or fails in CI) without it
	ctx := context.Background()
	a, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	heardB := make(chan store.Change, 16)
	defer b.Subscribe(func(c store.Change) { heardB <- c })()
	heardA := make(chan store.Change, 16)
	defer a.Subscribe(func(c store.Change) { heardA <- c })()

	if err := a.SyncAssets(ctx, []store.Asset{store.TON}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpsertUser(ctx, store.User{ID: 42}); err != nil {
		t.Fatal(err)
	}
	inv, err := a.CreateInvoice(ctx, store.NewInvoice{UserID: 42, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case c := <-heardB:
			got = c.Kind == store.ChangeInvoice && c.ID == inv.ID && c.UserID == 42
		case <-deadline:
			t.Fatal("node b never heard of the invoice node a created")
		}
	}
	// Node a heard its own change once, from itself.
	n := 0
	for loop := true; loop; {
		select {
		case c := <-heardA:
			if c.Kind == store.ChangeInvoice && c.ID == inv.ID {
				n++
			}
		case <-time.After(500 * time.Millisecond):
			loop = false
		}
	}
	if n != 1 {
		t.Fatalf("node a heard its own invoice %d times", n)
	}
}
