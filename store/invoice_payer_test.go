package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// changeLog collects what the store publishes.
type changeLog struct {
	mu  sync.Mutex
	all []store.Change
}

func (l *changeLog) add(c store.Change) {
	l.mu.Lock()
	l.all = append(l.all, c)
	l.mu.Unlock()
}

func (l *changeLog) take() []store.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.all
	l.all = nil
	return out
}

func invoiceChanges(cs []store.Change, id string) []store.Change {
	var out []store.Change
	for _, c := range cs {
		if c.Kind == "invoice" && c.ID == id {
			out = append(out, c)
		}
	}
	return out
}

func TestMerchantInvoicePayerHearsChanges(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	var log changeLog
	defer db.Subscribe(log.add)()

	payer, _ := db.UpsertUser(ctx, store.User{ID: 41})
	other, _ := db.UpsertUser(ctx, store.User{ID: 42})
	m, _, _ := db.CreateMerchant(ctx, "shop", "")
	inv, err := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2_000_000_000, TTL: time.Hour,
		Description: "two coffees"})
	if err != nil {
		t.Fatal(err)
	}
	top, _ := db.CreateInvoice(ctx, store.NewInvoice{UserID: other.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})

	// Any user sees a merchant invoice; a top-up only its owner.
	if got, err := db.InvoiceForUser(ctx, payer.ID, inv.ID); err != nil || got.ID != inv.ID {
		t.Fatalf("merchant invoice for a user: %+v %v", got, err)
	}
	if _, err := db.InvoiceForUser(ctx, payer.ID, top.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's top-up: %v", err)
	}
	if _, err := db.InvoiceForUser(ctx, other.ID, top.ID); err != nil {
		t.Fatalf("own top-up: %v", err)
	}
	// The merchant path never touches a top-up.
	if _, err := db.MarkMerchantInvoicePending(ctx, payer.ID, top.ID, "ab"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("top-up marked through the merchant path: %v", err)
	}
	if got, _ := db.Invoice(ctx, top.ID); got.Status != store.InvoiceCreated || got.PayerID != 0 || got.ExtMsgHash != "" {
		t.Fatalf("top-up changed: %+v", got)
	}
	log.take()

	got, err := db.MarkMerchantInvoicePending(ctx, payer.ID, inv.ID, "cafe")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.InvoicePending || got.PayerID != payer.ID || got.ExtMsgHash != "cafe" || got.UserID != 0 {
		t.Fatalf("pending: %+v", got)
	}
	cs := invoiceChanges(log.take(), inv.ID)
	if len(cs) != 1 || cs[0].UserID != payer.ID || cs[0].MerchantID != m.ID {
		t.Fatalf("pending change %+v", cs)
	}
	// Another user holding the pay link cannot take the invoice over; the
	// payer reporting again only updates the hash.
	late, _ := db.UpsertUser(ctx, store.User{ID: 42})
	if _, err := db.MarkMerchantInvoicePending(ctx, late.ID, inv.ID, "beef"); !errors.Is(err, store.ErrInvoiceTaken) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a later submitter: %v", err)
	}
	if got, _ := db.Invoice(ctx, inv.ID); got.PayerID != payer.ID || got.ExtMsgHash != "cafe" {
		t.Fatalf("a later submitter changed it: %+v", got)
	}
	if len(invoiceChanges(log.take(), inv.ID)) != 0 {
		t.Fatal("a refused report announced a change")
	}
	if got, err := db.MarkMerchantInvoicePending(ctx, payer.ID, inv.ID, "cafe"); err != nil || got.PayerID != payer.ID || got.Status != store.InvoicePending {
		t.Fatalf("the payer again: %+v %v", got, err)
	}
	log.take()

	// The scanner pays it: the payer's stream hears it, the merchant is credited.
	if _, err := db.ApplyChainTx(ctx, chainTx(1, db.Now(), store.TON.Symbol, 2_000_000_000, inv.Comment, 0)); err != nil {
		t.Fatal(err)
	}
	cs = invoiceChanges(log.take(), inv.ID)
	if len(cs) != 1 || cs[0].UserID != payer.ID || cs[0].MerchantID != m.ID {
		t.Fatalf("paid change %+v", cs)
	}
	if got, _ := db.Invoice(ctx, inv.ID); got.Status != store.InvoicePaid {
		t.Fatalf("status %s", got.Status)
	}
	if b := bal(t, db, store.MerchantAccount(m.ID), store.TON.Symbol); b != 2_000_000_000 {
		t.Fatalf("merchant balance %d", b)
	}
	if b := bal(t, db, store.UserAccount(payer.ID), store.TON.Symbol); b != 0 {
		t.Fatalf("the payer was credited %d", b)
	}

	// A paid invoice is returned as it stands and keeps its payer.
	got, err = db.MarkMerchantInvoicePending(ctx, other.ID, inv.ID, "beef")
	if err != nil || got.Status != store.InvoicePaid || got.PayerID != payer.ID || got.ExtMsgHash != "cafe" {
		t.Fatalf("boc on a paid invoice: %+v %v", got, err)
	}
	if cs := invoiceChanges(log.take(), inv.ID); len(cs) != 0 {
		t.Fatalf("boc on a paid invoice published %+v", cs)
	}
	storetest.Audit(t, db)
}

func TestMerchantInvoicePayerHearsExpiry(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := clock
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON}, Options: []store.Option{store.WithClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})}})
	var log changeLog
	defer db.Subscribe(log.add)()
	payer, _ := db.UpsertUser(ctx, store.User{ID: 7})
	m, _, _ := db.CreateMerchant(ctx, "shop", "")
	inv, _ := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: 20 * time.Minute})
	if _, err := db.MarkMerchantInvoicePending(ctx, payer.ID, inv.ID, "cafe"); err != nil {
		t.Fatal(err)
	}
	log.take()
	mu.Lock()
	now = clock.Add(21 * time.Minute)
	mu.Unlock()
	// Past its expiry (before the expirer ran) a BOC changes nothing.
	if got, err := db.MarkMerchantInvoicePending(ctx, 8, inv.ID, "beef"); err != nil || got.ExtMsgHash != "cafe" {
		t.Fatalf("boc after expiry: %+v %v", got, err)
	}
	if n, err := db.ExpireInvoices(ctx, now); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	cs := invoiceChanges(log.take(), inv.ID)
	if len(cs) != 1 || cs[0].UserID != payer.ID {
		t.Fatalf("expiry change %+v", cs)
	}
}
