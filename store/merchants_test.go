package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestMerchantTokensAndWebhooks(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	a, tokenA, err := db.CreateMerchant(ctx, "shop", "https://shop.example/hook")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := db.CreateMerchant(ctx, "cafe", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ftp://x.example/", "/relative", "https://user:pw@x.example/", "https://"} {
		if _, _, err := db.CreateMerchant(ctx, "bad", bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("webhook %q: %v, want ErrInvalid", bad, err)
		}
	}
	list, err := db.ListMerchants(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID || list[0].WebhookURL != "https://shop.example/hook" {
		t.Fatalf("list = %+v, %v", list, err)
	}

	newToken, err := db.RotateToken(ctx, store.Operator, a.ID)
	if err != nil || newToken == tokenA {
		t.Fatalf("rotate: %q, %v", newToken, err)
	}
	if _, err := db.MerchantByToken(ctx, tokenA); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old token still works: %v", err)
	}
	if m, err := db.MerchantByToken(ctx, newToken); err != nil || m.ID != a.ID {
		t.Fatalf("new token: %+v, %v", m, err)
	}
	for _, garbage := range []string{"", "Bearer", "xx_" + newToken[3:], newToken + "0"} {
		if _, err := db.MerchantByToken(ctx, garbage); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token %q: %v", garbage, err)
		}
	}
	if _, err := db.RotateToken(ctx, store.Operator, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rotate unknown: %v", err)
	}

	if err := db.DisableWebhook(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := db.Merchant(ctx, a.ID); !m.WebhookDisabled {
		t.Fatal("not disabled")
	}
	if err := db.EnableWebhook(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Merchant(ctx, a.ID)
	if before.WebhookDisabled {
		t.Fatal("not enabled")
	}
	db.DisableWebhook(ctx, a.ID)
	secret, err := db.SetWebhook(ctx, store.Operator, a.ID, "https://shop.example/v2")
	if err != nil {
		t.Fatal(err)
	}
	after, _ := db.Merchant(ctx, a.ID)
	if after.WebhookURL != "https://shop.example/v2" || after.WebhookSecret != secret || secret == before.WebhookSecret || after.WebhookDisabled {
		t.Fatalf("set webhook: %+v (secret %q)", after, secret)
	}
	if _, err := db.SetWebhook(ctx, store.Operator, a.ID, "javascript:alert(1)"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad url: %v", err)
	}
	if _, err := db.SetWebhook(ctx, store.Operator, 999, "https://x.example/"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown merchant: %v", err)
	}
	if err := db.EnableWebhook(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("enable unknown: %v", err)
	}
}

func TestMerchantBalancesMoveInTheLedger(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	m, _, _ := db.CreateMerchant(ctx, "shop", "")
	if _, err := db.Post(ctx, deposit("d1", store.MerchantAccount(m.ID), store.TON.Symbol, 5_000_000_000)); err != nil {
		t.Fatal(err)
	}
	w, created, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{MerchantID: m.ID, IdemKey: "p1", Asset: store.TON.Symbol,
		Amount: 1_000_000_000, Fee: 100_000_000, Destination: "UQxx"})
	if err != nil || !created {
		t.Fatal(err)
	}
	bal, err := db.MerchantBalances(ctx, m.ID)
	if err != nil || bal[store.TON.Symbol] != 3_900_000_000 {
		t.Fatalf("balances %v, %v", bal, err)
	}
	if got, err := db.MerchantWithdrawal(ctx, m.ID, w.ID); err != nil || got.IdemKey != "p1" {
		t.Fatalf("own payout: %+v, %v", got, err)
	}
	other, _, _ := db.CreateMerchant(ctx, "other", "")
	if _, err := db.MerchantWithdrawal(ctx, other.ID, w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another merchant's payout: %v", err)
	}
	storetest.Audit(t, db)
}

func TestMerchantInvoicePages(t *testing.T) {
	ctx := context.Background()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	db := storetest.OpenWith(t, storetest.Config{Options: []store.Option{store.WithClock(func() time.Time { return time.UnixMilli(now.Load()) })}, Assets: []store.Asset{}})
	db.SyncAssets(ctx, []store.Asset{store.TON})
	m, _, _ := db.CreateMerchant(ctx, "shop", "")
	other, _, _ := db.CreateMerchant(ctx, "other", "")
	db.CreateInvoice(ctx, store.NewInvoice{MerchantID: other.ID, Asset: store.TON.Symbol, Amount: 1, TTL: time.Hour})
	var ids []string
	for i := range 7 {
		if i%3 != 0 { // several invoices share a millisecond: the id breaks the tie
			now.Add(1)
		}
		inv, err := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: store.Amount(i + 1), TTL: time.Hour,
			ExternalID: "order-" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inv.ID)
	}
	var seen []string
	var cur store.InvoiceCursor
	for page := 0; ; page++ {
		got, err := db.MerchantInvoicesPage(ctx, m.ID, "", cur, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range got {
			if inv.MerchantID != m.ID {
				t.Fatalf("another merchant's invoice listed")
			}
			seen = append(seen, inv.ID)
		}
		if len(got) < 3 {
			break
		}
		cur = store.InvoiceCursor{CreatedAt: got[len(got)-1].CreatedAt, ID: got[len(got)-1].ID}
	}
	if len(seen) != len(ids) {
		t.Fatalf("pages listed %d invoices, want %d: %v", len(seen), len(ids), seen)
	}
	uniq := map[string]bool{}
	for _, id := range seen {
		uniq[id] = true
	}
	if len(uniq) != len(ids) {
		t.Fatalf("an invoice was listed twice: %v", seen)
	}
	if got, _ := db.MerchantInvoicesPage(ctx, m.ID, store.InvoicePaid, store.InvoiceCursor{}, 10); len(got) != 0 {
		t.Fatalf("status filter: %d", len(got))
	}
	if inv, err := db.MerchantInvoiceByExternalID(ctx, m.ID, "order-c"); err != nil || inv.ID != ids[2] {
		t.Fatalf("by external id: %v %v", inv.ID, err)
	}
	if _, err := db.MerchantInvoiceByExternalID(ctx, other.ID, "order-c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another merchant's external id: %v", err)
	}
}

func TestDueWebhookEventsKeepMerchantOrder(t *testing.T) {
	ctx := context.Background()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	clock := func() time.Time { return time.UnixMilli(now.Load()) }
	db := storetest.OpenWith(t, storetest.Config{Options: []store.Option{store.WithClock(clock)}, Assets: []store.Asset{}})
	a, _, _ := db.CreateMerchant(ctx, "a", "https://a.example/")
	b, _, _ := db.CreateMerchant(ctx, "b", "https://b.example/")
	emit := func(m int64) {
		t.Helper()
		if err := db.Emit(ctx, store.TopicWebhook, "invoice.paid", 0, m, map[string]any{"m": m}); err != nil {
			t.Fatal(err)
		}
	}
	emit(a.ID)
	emit(b.ID)
	emit(a.ID)
	db.Emit(ctx, store.TopicBot, "deposit.credited", 1, 0, map[string]any{})
	due, err := db.DueWebhookEvents(ctx, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("due = %+v, %v", due, err)
	}
	// a's first event fails: its second waits behind it, b's does not.
	if err := db.RetryEvent(ctx, due[0].ID, clock().Add(time.Minute), "500"); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueWebhookEvents(ctx, 10)
	if len(due) != 1 || due[0].MerchantID != b.ID {
		t.Fatalf("after a's failure due = %+v", due)
	}
	if next, _ := db.NextWebhookAt(ctx); !next.Equal(clock()) {
		t.Fatalf("next = %v, want now (b's event)", next)
	}
	db.MarkEventDone(ctx, due[0].ID)
	if next, _ := db.NextWebhookAt(ctx); !next.Equal(clock().Add(time.Minute)) {
		t.Fatalf("next = %v, want a's retry", next)
	}
	now.Add(time.Minute.Milliseconds())
	due, _ = db.DueWebhookEvents(ctx, 10)
	if len(due) != 2 || due[0].ID >= due[1].ID || due[0].MerchantID != a.ID {
		t.Fatalf("a's events after the retry time = %+v", due)
	}

	// Giving up disables the webhook and tells admins once.
	if err := db.GiveUpWebhook(ctx, due[0].ID, a.ID, "HTTP 500 for 24h"); err != nil {
		t.Fatal(err)
	}
	if err := db.GiveUpWebhook(ctx, due[1].ID, a.ID, "HTTP 500 for 24h"); err != nil {
		t.Fatal(err)
	}
	if err := db.GiveUpWebhook(ctx, due[1].ID, a.ID, "again"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("giving up a given up event: %v", err)
	}
	if m, _ := db.Merchant(ctx, a.ID); !m.WebhookDisabled {
		t.Fatal("webhook not disabled")
	}
	bot, _ := db.DueEvents(ctx, store.TopicBot, 10)
	var notices []store.WebhookDisabled
	for _, e := range bot {
		if e.Type == "webhook.disabled" {
			var n store.WebhookDisabled
			json.Unmarshal(e.Payload, &n)
			if e.UserID != 0 {
				t.Fatalf("admin notice addressed to user %d", e.UserID)
			}
			notices = append(notices, n)
		}
	}
	if len(notices) != 1 || notices[0].MerchantID != a.ID || notices[0].URL != "https://a.example/" {
		t.Fatalf("admin notices = %+v", notices)
	}
	if due, _ := db.DueWebhookEvents(ctx, 10); len(due) != 0 {
		t.Fatalf("given up events still due: %+v", due)
	}
	if next, _ := db.NextWebhookAt(ctx); !next.IsZero() {
		t.Fatalf("next = %v, want none", next)
	}
}
