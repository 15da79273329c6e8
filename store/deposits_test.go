package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

const hotAcct = "0:1111111111111111111111111111111111111111111111111111111111111111"

// chainTx is a TON arrival on the hot wallet at lt, seen at time at.
func chainTx(lt uint64, at time.Time, asset string, amt store.Amount, comment string, fee store.Amount) store.ChainTx {
	h := fmt.Sprintf("%064x", lt)
	return store.DepositTx(store.ChainEvent{Account: hotAcct, LT: lt, Hash: h, Time: at, Kind: store.KindCredited}, store.Incoming{Asset: asset, Amount: amt, Sender: "0:" + fmt.Sprintf("%064x", 7), Comment: comment, Min: 1000}, fee)
}

func bal(t *testing.T, db *store.DB, account, asset string) store.Amount {
	t.Helper()
	b, err := db.Balance(context.Background(), account, asset)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func depositEvents(t *testing.T, db *store.DB) []store.DepositEvent {
	t.Helper()
	evs, err := db.DueEvents(context.Background(), store.TopicBot, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.DepositEvent
	for _, e := range evs {
		if e.Type != "deposit.credited" {
			continue
		}
		var d store.DepositEvent
		if err := json.Unmarshal(e.Payload, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestDepositMatching(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	now := db.Now()
	alice, _ := db.UpsertUser(ctx, store.User{ID: 1, FirstName: "Alice"})
	bob, _ := db.UpsertUser(ctx, store.User{ID: 2, FirstName: "Bob"})
	inv, err := db.CreateInvoice(ctx, store.NewInvoice{UserID: alice.ID, Asset: store.TON.Symbol, Amount: 1_500_000_000, TTL: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Comment) != store.CommentLen || inv.Status != store.InvoiceCreated {
		t.Fatalf("invoice: %+v", inv)
	}
	lt := uint64(100)
	apply := func(c store.ChainTx) store.Applied {
		t.Helper()
		r, err := db.ApplyChainTx(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// Part payment: pending; the rest (typed in lower case): paid.
	r := apply(chainTx(lt, now, store.TON.Symbol, 500_000_000, inv.Comment, 0))
	if r.Kind != store.KindCredited || r.InvoiceID != inv.ID || r.UserID != alice.ID {
		t.Fatalf("first part: %+v", r)
	}
	if got, _ := db.Invoice(ctx, inv.ID); got.Status != store.InvoicePending || got.Paid != 500_000_000 {
		t.Fatalf("after first part: %s %d", got.Status, got.Paid)
	}
	lt++
	apply(chainTx(lt, now, store.TON.Symbol, 1_000_000_000, " "+lowercase(inv.Comment)+" ", 0))
	paid, _ := db.Invoice(ctx, inv.ID)
	if paid.Status != store.InvoicePaid || paid.Paid != 1_500_000_000 || paid.PaidAt.IsZero() {
		t.Fatalf("after second part: %+v", paid)
	}
	if b := bal(t, db, store.UserAccount(alice.ID), store.TON.Symbol); b != 1_500_000_000 {
		t.Fatalf("alice balance %d", b)
	}

	// Paying a paid invoice again: credited to Alice, marked duplicate.
	lt++
	apply(chainTx(lt, now, store.TON.Symbol, 2_000_000, inv.Comment, 0))
	if got, _ := db.Invoice(ctx, inv.ID); !got.Duplicate || got.Status != store.InvoicePaid {
		t.Fatalf("duplicate: %+v", got)
	}

	// Bob's personal comment.
	lt++
	apply(chainTx(lt, now, store.TON.Symbol, 3_000_000_000, bob.Comment, 0))
	if b := bal(t, db, store.UserAccount(bob.ID), store.TON.Symbol); b != 3_000_000_000 {
		t.Fatalf("bob balance %d", b)
	}

	// Unknown comment, no comment, dust: unmatched, never a user.
	lt++
	if r := apply(chainTx(lt, now, store.TON.Symbol, 7_000_000, "NOPE1234", 0)); r.Kind != store.KindUnmatched || r.UserID != 0 {
		t.Fatalf("unknown comment: %+v", r)
	}
	lt++
	if r := apply(chainTx(lt, now, store.TON.Symbol, 8_000_000, "", 0)); r.Kind != store.KindUnmatched {
		t.Fatalf("no comment: %+v", r)
	}
	lt++
	if r := apply(chainTx(lt, now, store.TON.Symbol, 999, bob.Comment, 0)); r.Kind != store.KindDust {
		t.Fatalf("dust: %+v", r)
	}
	if b := bal(t, db, store.AccountUnmatched, store.TON.Symbol); b != 7_000_000+8_000_000+999 {
		t.Fatalf("unmatched %d", b)
	}

	// A jetton sent with Alice's invoice comment: credited to Alice in USDT; the invoice is untouched.
	lt++
	apply(chainTx(lt, now, "USDT", 5_000_000, inv.Comment, 0))
	if b := bal(t, db, store.UserAccount(alice.ID), "USDT"); b != 5_000_000 {
		t.Fatalf("alice USDT %d", b)
	}

	// Replaying a recorded transaction changes nothing.
	before := bal(t, db, store.UserAccount(bob.ID), store.TON.Symbol)
	if r := apply(chainTx(lt-4, now, store.TON.Symbol, 3_000_000_000, bob.Comment, 0)); !r.Replayed {
		t.Fatalf("replay not detected: %+v", r)
	}
	if after := bal(t, db, store.UserAccount(bob.ID), store.TON.Symbol); after != before {
		t.Fatalf("replay changed bob's balance %d -> %d", before, after)
	}

	evs := depositEvents(t, db)
	if len(evs) != 5 { // 2 parts + duplicate + bob + USDT
		t.Fatalf("want 5 deposit.credited events, got %d: %+v", len(evs), evs)
	}
	if evs[1].Status != store.InvoicePaid || evs[1].Balance != "1500000000" || evs[1].InvoiceID != inv.ID {
		t.Fatalf("paid event: %+v", evs[1])
	}
	cur, _ := db.Cursor(ctx, hotAcct)
	if cur.LT != lt {
		t.Fatalf("cursor %d, want %d", cur.LT, lt)
	}
	storetest.Audit(t, db)
}

func lowercase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestLateAndExpiredInvoices(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var offset atomic.Int64
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON}, Options: []store.Option{store.WithClock(func() time.Time {
		return clock.Add(time.Duration(offset.Load()))
	})}})
	u, _ := db.UpsertUser(ctx, store.User{ID: 5})
	m, _, _ := db.CreateMerchant(ctx, "shop", "https://shop.example/hook")
	userInv, _ := db.CreateInvoice(ctx, store.NewInvoice{UserID: u.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: 20 * time.Minute})
	shopInv, _ := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2_000_000_000, TTL: 20 * time.Minute, ExternalID: "order-1"})
	if _, err := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 1, TTL: time.Minute, ExternalID: "order-1"}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second invoice for one external id: %v", err)
	}

	offset.Store(int64(21 * time.Minute))
	n, err := db.ExpireInvoices(ctx, clock.Add(21*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("expire: %d %v", n, err)
	}
	late := clock.Add(22 * time.Minute)
	if _, err := db.ApplyChainTx(ctx, chainTx(10, late, store.TON.Symbol, 1_000_000_000, userInv.Comment, 0)); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Invoice(ctx, userInv.ID)
	if got.Status != store.InvoiceExpired || !got.Late || got.Paid != 0 {
		t.Fatalf("late user invoice (a late payment is the payer's, never the invoice's): %+v", got)
	}
	if b := bal(t, db, store.UserAccount(u.ID), store.TON.Symbol); b != 1_000_000_000 {
		t.Fatalf("a late payment must still reach the payer: %d", b)
	}
	// A late payment of a merchant invoice by an unknown wallet: unmatched, never the merchant.
	r, err := db.ApplyChainTx(ctx, chainTx(11, late, store.TON.Symbol, 2_000_000_000, shopInv.Comment, 0))
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != store.KindUnmatched || bal(t, db, store.MerchantAccount(m.ID), store.TON.Symbol) != 0 {
		t.Fatalf("late merchant payment: %+v", r)
	}
	if got, _ := db.Invoice(ctx, shopInv.ID); got.Paid != 0 || !got.Late || got.Status != store.InvoiceExpired {
		t.Fatalf("a late payment raised the merchant invoice's paid amount (the merchant would ship for free): %+v", got)
	}
	hooks, _ := db.DueEvents(ctx, store.TopicWebhook, 10)
	var types []string
	for _, h := range hooks {
		types = append(types, string(h.Type))
	}
	if fmt.Sprint(types) != "[invoice.expired invoice.payment]" {
		t.Fatalf("webhook events %v", types)
	}
	storetest.Audit(t, db)
}

func TestMerchantInvoicePaid(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	m, token, _ := db.CreateMerchant(ctx, "shop", "")
	if got, err := db.MerchantByToken(ctx, token); err != nil || got.ID != m.ID {
		t.Fatalf("token lookup: %v %v", got, err)
	}
	if _, err := db.MerchantByToken(ctx, token+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong token: %v", err)
	}
	inv, _ := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: "USDT", Amount: 25_000_000, TTL: time.Hour})
	if _, err := db.ApplyChainTx(ctx, chainTx(1, db.Now(), "USDT", 25_000_000, inv.Comment, 0)); err != nil {
		t.Fatal(err)
	}
	if b := bal(t, db, store.MerchantAccount(m.ID), "USDT"); b != 25_000_000 {
		t.Fatalf("merchant balance %d", b)
	}
	hooks, _ := db.DueEvents(ctx, store.TopicWebhook, 10)
	if len(hooks) != 1 || hooks[0].Type != "invoice.paid" || hooks[0].MerchantID != m.ID {
		t.Fatalf("webhooks %+v", hooks)
	}
	var ev store.InvoiceEvent
	json.Unmarshal(hooks[0].Payload, &ev)
	if ev.InvoiceID != inv.ID || ev.Paid != "25000000" || ev.TxHash == "" {
		t.Fatalf("payload %+v", ev)
	}
	if len(depositEvents(t, db)) != 0 {
		t.Fatal("a merchant payment must not notify a user")
	}
}

func TestMemoLessInvoices(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u1, _ := db.UpsertUser(ctx, store.User{ID: 1})
	u2, _ := db.UpsertUser(ctx, store.User{ID: 2})
	a, _ := db.CreateInvoice(ctx, store.NewInvoice{UserID: u1.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: 20 * time.Minute, MemoLess: true})
	b, _ := db.CreateInvoice(ctx, store.NewInvoice{UserID: u2.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: 20 * time.Minute, MemoLess: true})
	if a.Comment != "" || a.Amount == b.Amount || b.Amount-1_000_000_000 > 10 {
		t.Fatalf("memo-less amounts must differ by a few units: %d %d", a.Amount, b.Amount)
	}
	// The exact amount without a comment pays b; another amount pays nothing.
	r, _ := db.ApplyChainTx(ctx, chainTx(1, db.Now(), store.TON.Symbol, b.Amount, "", 0))
	if r.InvoiceID != b.ID || r.UserID != u2.ID {
		t.Fatalf("memo-less match: %+v", r)
	}
	r, _ = db.ApplyChainTx(ctx, chainTx(2, db.Now(), store.TON.Symbol, a.Amount+3, "", 0))
	if r.Kind != store.KindUnmatched {
		t.Fatalf("near amount must not match: %+v", r)
	}
	// Within the tolerance after expiry it still matches; beyond it, not.
	late := a.ExpiresAt.Add(store.MemoLessTolerance + time.Second)
	r, _ = db.ApplyChainTx(ctx, chainTx(3, late, store.TON.Symbol, a.Amount, "", 0))
	if r.Kind != store.KindUnmatched {
		t.Fatalf("after tolerance: %+v", r)
	}
	r, _ = db.ApplyChainTx(ctx, chainTx(4, a.ExpiresAt.Add(time.Minute), store.TON.Symbol, a.Amount, "", 0))
	if r.InvoiceID != a.ID {
		t.Fatalf("within tolerance: %+v", r)
	}
	if got, _ := db.Invoice(ctx, a.ID); got.Status != store.InvoicePaid {
		t.Fatalf("a: %+v", got)
	}
	storetest.Audit(t, db)
}

func TestHotWalletBooking(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	// What arrives minus the fees the hot wallet paid is what the chain holds.
	db.ApplyChainTx(ctx, chainTx(1, db.Now(), store.TON.Symbol, 2_000_000_000, u.Comment, 300_000))
	excess := chainTxOf(hotAcct, 2, store.TON.Symbol, store.Move{Kind: store.MoveFeeIncome, Amount: 50_000_000}, store.Move{Kind: store.MoveNetworkFee, Amount: -200_000})
	excess.Event.Kind = store.KindExcesses
	if _, err := db.ApplyChainTx(ctx, excess); err != nil {
		t.Fatal(err)
	}
	onChain := store.Amount(2_000_000_000 - 300_000 + 50_000_000 - 200_000)
	if hot := bal(t, db, store.AccountHot, store.TON.Symbol); -hot != onChain {
		t.Fatalf("chain:hot = %d, want -%d", hot, onChain)
	}
	if fees := bal(t, db, store.AccountFees, store.TON.Symbol); fees != 50_000_000-500_000 {
		t.Fatalf("fees %d", fees)
	}
	storetest.Audit(t, db)
}

func TestChainTxFailureAtEveryStepChangesNothing(t *testing.T) {
	ctx := context.Background()
	for _, step := range []string{"event", "recorded", "booked", "matched", "commit"} {
		t.Run(step, func(t *testing.T) {
			var armed atomic.Bool
			db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON}, Options: []store.Option{store.WithFailpoint(func(s string) error {
				if s == step && armed.Load() {
					return errors.New("injected at " + s)
				}
				return nil
			})}})
			u, _ := db.UpsertUser(ctx, store.User{ID: 1})
			inv, _ := db.CreateInvoice(ctx, store.NewInvoice{UserID: u.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})
			c := chainTx(9, db.Now(), store.TON.Symbol, 1_000_000_000, inv.Comment, 1000)
			armed.Store(true)
			if _, err := db.ApplyChainTx(ctx, c); err == nil {
				t.Fatal("failpoint did not fire")
			}
			if b := bal(t, db, store.UserAccount(u.ID), store.TON.Symbol); b != 0 {
				t.Fatalf("a failed apply left a balance %d", b)
			}
			if _, err := db.Cursor(ctx, hotAcct); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a failed apply moved the cursor: %v", err)
			}
			if n, _ := db.CountChainEvents(ctx); len(n) != 0 {
				t.Fatalf("a failed apply recorded %v", n)
			}
			armed.Store(false)
			if _, err := db.ApplyChainTx(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.Invoice(ctx, inv.ID); got.Status != store.InvoicePaid {
				t.Fatalf("retry did not pay: %+v", got)
			}
			if evs := depositEvents(t, db); len(evs) != 1 {
				t.Fatalf("want one notification, got %d", len(evs))
			}
			storetest.Audit(t, db)
		})
	}
}
