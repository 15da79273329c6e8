package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestConcurrentWithdrawalsNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	// Covers exactly 10 withdrawals of 1 TON + 0.1 TON fee.
	if _, err := db.Post(ctx, deposit("d1", store.UserAccount(u.ID), store.TON.Symbol, 11_000_000_000)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, created, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.ID, IdemKey: fmt.Sprint("k", i),
				Asset: store.TON.Symbol, Amount: 1_000_000_000, Fee: 100_000_000, Destination: "UQdest"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && created:
				accepted++
			case errors.Is(err, store.ErrInsufficientFunds):
				refused++
			default:
				t.Errorf("request %d: created=%v err=%v", i, created, err)
			}
		}()
	}
	wg.Wait()
	if accepted != 10 || refused != 90 {
		t.Fatalf("accepted %d refused %d, want 10 and 90", accepted, refused)
	}
	if b := bal(t, db, store.UserAccount(u.ID), store.TON.Symbol); b != 0 {
		t.Fatalf("balance %d", b)
	}
	if h := bal(t, db, store.AccountHold, store.TON.Symbol); h != 11_000_000_000 {
		t.Fatalf("hold %d", h)
	}
	storetest.Audit(t, db)
}

func TestWithdrawalIdempotencyAndApproval(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	db.Post(ctx, deposit("d1", store.UserAccount(u.ID), store.TON.Symbol, 5_000_000_000))
	db.Post(ctx, deposit("d2", store.UserAccount(u.ID), "USDT", 50_000_000))
	n := store.NewWithdrawal{UserID: u.ID, IdemKey: "same", Asset: "USDT", Amount: 20_000_000, Fee: 100_000_000, FeeAsset: store.TON.Symbol,
		Destination: "UQdest", NeedsApproval: true}
	w, created, err := db.RequestWithdrawal(ctx, n)
	if err != nil || !created || w.Status != store.WithdrawalAwaitingApproval {
		t.Fatalf("request: %+v %v %v", w, created, err)
	}
	again, created, err := db.RequestWithdrawal(ctx, n)
	if err != nil || created || again.ID != w.ID {
		t.Fatalf("replay: %+v %v %v", again, created, err)
	}
	n.Amount++
	if _, _, err := db.RequestWithdrawal(ctx, n); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("key reused for other terms: %v", err)
	}
	if b := bal(t, db, store.UserAccount(u.ID), store.TON.Symbol); b != 4_900_000_000 {
		t.Fatalf("a jetton withdrawal's fee is charged in TON: %d", b)
	}
	if got, _ := db.Withdrawals(ctx, store.WithdrawalAwaitingApproval, 10); len(got) != 1 {
		t.Fatalf("awaiting: %d", len(got))
	}
	rej, err := db.RejectWithdrawal(ctx, store.AdminActor(99, ""), w.ID, "looks wrong")
	if err != nil || rej.Status != store.WithdrawalRejected {
		t.Fatalf("reject: %+v %v", rej, err)
	}
	if _, err := db.ApproveWithdrawal(ctx, store.AdminActor(99, ""), w.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approving a rejected withdrawal: %v", err)
	}
	if b := bal(t, db, store.UserAccount(u.ID), "USDT"); b != 50_000_000 {
		t.Fatalf("rejected withdrawal not refunded: %d", b)
	}
	if b := bal(t, db, store.UserAccount(u.ID), store.TON.Symbol); b != 5_000_000_000 {
		t.Fatalf("rejected withdrawal's fee not refunded: %d", b)
	}
	n.IdemKey, n.Amount = "other", 1_000_000
	w2, _, _ := db.RequestWithdrawal(ctx, n)
	if ok, err := db.ApproveWithdrawal(ctx, store.AdminActor(99, ""), w2.ID); err != nil || ok.Status != store.WithdrawalQueued {
		t.Fatalf("approve: %+v %v", ok, err)
	}
	n.IdemKey, n.Amount = "toomuch", 100_000_000
	if _, _, err := db.RequestWithdrawal(ctx, n); !errors.Is(err, store.ErrInsufficientFunds) {
		t.Fatalf("overdraft: %v", err)
	}
	storetest.Audit(t, db)
}
