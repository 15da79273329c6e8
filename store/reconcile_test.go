package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestReconcileDriftPausesOnceAndResumes(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	db.Post(ctx, deposit("d", store.UserAccount(u.ID), store.TON.Symbol, 5_000_000_000))
	at := time.Unix(1_800_000_000, 0)
	notices := func() int {
		evs, _ := db.DueEvents(ctx, store.TopicBot, 1000)
		n := 0
		for _, e := range evs {
			if e.Type == "ledger.drift" {
				n++
			}
		}
		return n
	}

	// Equal books: nothing paused.
	res, err := db.Reconcile(ctx, 10, at, map[string]store.Amount{store.TON.Symbol: 5_000_000_000, "USDT": 0})
	if err != nil || res.Drifting() || res.Paused {
		t.Fatalf("equal books: %+v %v", res, err)
	}
	// The chain holds 1 nanoton less: drift, one notice, payouts paused.
	res, _ = db.Reconcile(ctx, 11, at, map[string]store.Amount{store.TON.Symbol: 4_999_999_999})
	if !res.NewDrift || !res.Paused || notices() != 1 {
		t.Fatalf("drift: %+v, %d notices", res, notices())
	}
	if p, ok, _ := db.PayoutPause(ctx); !ok || p.Cause != "drift" {
		t.Fatalf("pause %+v %v", p, ok)
	}
	// The same drift next block: no second notice. USDT keeps its figure.
	res, _ = db.Reconcile(ctx, 12, at, map[string]store.Amount{store.TON.Symbol: 4_999_999_999})
	if res.NewDrift || notices() != 1 || len(res.Assets) != 2 {
		t.Fatalf("same drift again: %+v, %d notices", res, notices())
	}
	// An admin resumes: the same drift does not pause again...
	if _, was, err := db.ResumePayouts(ctx, store.AdminActor(99, "")); err != nil || !was {
		t.Fatalf("resume: %v %v", was, err)
	}
	res, _ = db.Reconcile(ctx, 13, at, map[string]store.Amount{store.TON.Symbol: 4_999_999_999})
	if res.Paused {
		t.Fatal("an acknowledged drift paused payouts again")
	}
	// ...a different one does, and is announced.
	res, _ = db.Reconcile(ctx, 14, at, map[string]store.Amount{store.TON.Symbol: 4_999_999_000})
	if !res.NewDrift || !res.Paused || notices() != 2 {
		t.Fatalf("new drift: %+v, %d notices", res, notices())
	}
	// Back to zero: the drift's pause is lifted by itself.
	res, _ = db.Reconcile(ctx, 15, at, map[string]store.Amount{store.TON.Symbol: 5_000_000_000})
	if !res.Cleared || res.Paused || res.Drifting() {
		t.Fatalf("cleared: %+v", res)
	}
	rs, _ := db.Reconciliations(ctx)
	if len(rs) != 2 || rs[0].Asset != store.TON.Symbol || rs[0].Block != 15 || rs[0].Drift != 0 {
		t.Fatalf("reconciliations %+v", rs)
	}
	// An admin's own pause is not lifted by equal books.
	db.PausePayouts(ctx, store.AdminActor(1, ""), "maintenance")
	if res, _ = db.Reconcile(ctx, 16, at, nil); !res.Paused {
		t.Fatal("an admin's pause was lifted by reconciliation")
	}
}

func TestOnTimeByBlockTime(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	m, _, _ := db.CreateMerchant(ctx, "shop", "")
	inv, _ := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Minute})
	// The server's clock is past the expiry, the last booked block is not:
	// nothing expires.
	if n, _ := db.ExpireInvoices(ctx, inv.ExpiresAt); n != 0 {
		t.Fatalf("expired by a block dated at its expiry: %d", n)
	}
	// Even marked expired (by a block after it), a payment in a block dated
	// before the expiry is on time and the merchant's.
	db.ExpireInvoices(ctx, inv.ExpiresAt.Add(time.Second))
	r, err := db.ApplyChainTx(ctx, store.DepositTx(store.ChainEvent{Account: "hot", LT: 1, Hash: "aa", Time: inv.ExpiresAt.Add(-time.Second)},
		store.Incoming{Asset: store.TON.Symbol, Amount: 1_000_000_000, Comment: inv.Comment}, 0))
	if err != nil || r.MerchantID != m.ID {
		t.Fatalf("on-time payment: %+v %v", r, err)
	}
	if got, _ := db.Invoice(ctx, inv.ID); got.Status != store.InvoicePaid || got.Paid != 1_000_000_000 || got.Late {
		t.Fatalf("invoice %+v", got)
	}
	if b := bal(t, db, store.MerchantAccount(m.ID), store.TON.Symbol); b != 1_000_000_000 {
		t.Fatalf("merchant %d", b)
	}
	_ = u
	storetest.Audit(t, db)
}

func TestPausesDoNotOverrideEachOther(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	db.Post(ctx, deposit("d", store.UserAccount(1), store.TON.Symbol, 5))
	at := time.Unix(1_800_000_000, 0)
	// An admin's pause survives a drift that comes and goes.
	db.PausePayouts(ctx, store.AdminActor(1, ""), "maintenance")
	db.Reconcile(ctx, 1, at, map[string]store.Amount{store.TON.Symbol: 4})
	db.Reconcile(ctx, 2, at, map[string]store.Amount{store.TON.Symbol: 5})
	if p, ok, _ := db.PayoutPause(ctx); !ok || p.Cause != store.PauseAdmin {
		t.Fatalf("an admin's pause was lifted by a drift that cleared: %+v %v", p, ok)
	}
	db.ResumePayouts(ctx, store.AdminActor(1, ""))
	// A foreign message's hold outlives the drift too.
	db.Reconcile(ctx, 3, at, map[string]store.Amount{store.TON.Symbol: 4})
	db.HoldForeign(ctx, store.ForeignNotice{Note: "someone signed"})
	db.Reconcile(ctx, 4, at, map[string]store.Amount{store.TON.Symbol: 5})
	if p, ok, _ := db.PayoutPause(ctx); !ok || p.Cause != store.PauseForeign {
		t.Fatalf("a foreign hold was lifted by reconciliation: %+v %v", p, ok)
	}
	db.ResumePayouts(ctx, store.AdminActor(1, ""))
	// An acknowledged drift that cleared does not cover a later one of the same figure.
	db.Reconcile(ctx, 5, at, map[string]store.Amount{store.TON.Symbol: 4})
	db.ResumePayouts(ctx, store.AdminActor(1, ""))
	db.Reconcile(ctx, 6, at, map[string]store.Amount{store.TON.Symbol: 5})
	if res, _ := db.Reconcile(ctx, 7, at, map[string]store.Amount{store.TON.Symbol: 4}); !res.Paused {
		t.Fatal("a new drift of an old figure was taken as acknowledged")
	}
}
