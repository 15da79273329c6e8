package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// statements counts what a store sends to its engine (WithQueryHook).
type statements struct {
	mu sync.Mutex
	qs []string
}

func (s *statements) add(q string) { s.mu.Lock(); s.qs = append(s.qs, q); s.mu.Unlock() }

// one runs fn and fails unless it sent exactly one statement.
func (s *statements) one(t *testing.T, what string, fn func()) {
	t.Helper()
	s.mu.Lock()
	s.qs = nil
	s.mu.Unlock()
	fn()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.qs) != 1 {
		t.Fatalf("%s sent %d statements, want 1:\n%s", what, len(s.qs), strings.Join(s.qs, "\n----\n"))
	}
}

func fundUser(t *testing.T, db *store.DB, id int64, asset string, amt store.Amount) {
	t.Helper()
	_, err := db.Post(context.Background(), store.Transfer{Key: fmt.Sprintf("fund:%d:%s:%d", id, asset, amt), Kind: store.TransferDeposit,
		Postings: []store.Posting{{Account: store.AccountHot, Asset: asset, Amount: -amt}, {Account: store.UserAccount(id), Asset: asset, Amount: amt}}})
	if err != nil {
		t.Fatal(err)
	}
}

// The hot reads read what their separate reads did, each in one statement,
// with the user's standing, on either engine.
func TestHotReads(t *testing.T) {
	t.Parallel()
	var log statements
	path := storetest.Path(t)
	db := storetest.OpenWith(t, storetest.Config{Path: path, Options: []store.Option{store.WithQueryHook(log.add)}})
	ctx := context.Background()
	const id, other = 41, 42
	for _, u := range []int64{id, other} {
		if _, err := db.UpsertUser(ctx, store.User{ID: u}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Me(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := db.UserHistory(ctx, 999, 0, 10); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user's history: %v", err)
	}

	// Nothing yet: no wallet, no deposit address, no merchants, no balances.
	var v store.MeView
	var err error
	log.one(t, "Me", func() { v, err = db.Me(ctx, id) })
	if err != nil || v.Blocked || len(v.Comment) != store.CommentLen || v.Wallet != nil || v.Deposit != "" || len(v.Merchants) != 0 || len(v.Balances) != 0 {
		t.Fatalf("fresh user: %+v %v", v, err)
	}
	var page store.UserHistoryPage
	log.one(t, "UserHistory", func() { page, err = db.UserHistory(ctx, id, 0, 10) })
	if err != nil || page.Blocked || len(page.Entries) != 0 {
		t.Fatalf("empty history: %+v %v", page, err)
	}

	fundUser(t, db, id, store.TON.Symbol, 5_000_000_000)
	fundUser(t, db, id, storetest.USDT.Symbol, 3_000_000)
	fundUser(t, db, other, store.TON.Symbol, 7)
	wallet := "0:" + strings.Repeat("ab", 32)
	if err := db.LinkWallet(ctx, store.Wallet{UserID: id, Address: wallet, PublicKey: strings.Repeat("01", 32)}, "nonce-41", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	deposit := "0:" + strings.Repeat("cd", 32)
	db.SetDepositDeriver(func(store.DepositOwner) (string, error) { return deposit, nil })
	if _, err := db.DepositWallet(ctx, store.UserOwner(id)); err != nil {
		t.Fatal(err)
	}
	var merchants []int64
	for _, name := range []string{"Second", "First"} {
		m, _, err := db.CreateMerchant(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetMerchantOwners(ctx, store.Actor{Role: "operator"}, m.ID, []int64{id}); err != nil {
			t.Fatal(err)
		}
		merchants = append(merchants, m.ID)
	}
	log.one(t, "Me", func() { v, err = db.Me(ctx, id) })
	if err != nil || v.Wallet == nil || v.Wallet.Address != wallet || v.Wallet.LinkedAt.IsZero() || v.Deposit != deposit {
		t.Fatalf("Me: %+v %v", v, err)
	}
	if len(v.Balances) != 2 || v.Balances[store.TON.Symbol] != 5_000_000_000 || v.Balances[storetest.USDT.Symbol] != 3_000_000 {
		t.Fatalf("balances: %v", v.Balances)
	}
	if len(v.Merchants) != 2 || v.Merchants[0].ID != merchants[0] || v.Merchants[0].Name != "Second" || v.Merchants[1].Name != "First" {
		t.Fatalf("merchants: %+v", v.Merchants)
	}

	// A withdrawal and its refund both name the withdrawal's transaction.
	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: id, IdemKey: "w1", Asset: store.TON.Symbol, Amount: 1_000_000_000,
		FeeAsset: store.TON.Symbol, Destination: wallet})
	if err != nil {
		t.Fatal(err)
	}
	txHash := strings.Repeat("ef", 32)
	setTx(t, path, w.ID, txHash)
	log.one(t, "UserHistory", func() { page, err = db.UserHistory(ctx, id, 0, 10) })
	if err != nil || len(page.Entries) != 3 {
		t.Fatalf("history: %+v %v", page, err)
	}
	if e := page.Entries[0]; e.Kind != store.TransferWithdrawal || e.Amount != -1_000_000_000 || e.WithdrawalTx != txHash || e.Account != store.UserAccount(id) {
		t.Fatalf("withdrawal entry: %+v", e)
	}
	if e := page.Entries[1]; e.Kind != store.TransferDeposit || e.WithdrawalTx != "" || e.Asset != storetest.USDT.Symbol {
		t.Fatalf("deposit entry: %+v", e)
	}
	old, err := db.History(ctx, store.UserAccount(id), 0, 10)
	if err != nil || len(old) != 3 {
		t.Fatal(old, err)
	}
	for i, e := range old {
		if page.Entries[i].Entry != e {
			t.Fatalf("entry %d: %+v, History has %+v", i, page.Entries[i].Entry, e)
		}
	}
	// Pages: before an entry, at most limit.
	page, err = db.UserHistory(ctx, id, old[0].ID, 1)
	if err != nil || len(page.Entries) != 1 || page.Entries[0].ID != old[1].ID {
		t.Fatalf("second page: %+v %v", page, err)
	}
	// Another user's withdrawal is not linked from this user's entries.
	page, err = db.UserHistory(ctx, other, 0, 10)
	if err != nil || len(page.Entries) != 1 || page.Entries[0].WithdrawalTx != "" {
		t.Fatalf("other user's history: %+v %v", page, err)
	}

	// Invoices: a top-up is its owner's only; a merchant's invoice anyone's,
	// with the merchant's name and the reader's linked wallet.
	top, err := db.CreateInvoice(ctx, store.NewInvoice{UserID: id, Asset: store.TON.Symbol, Amount: 1_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var inv store.Invoice
	var blocked bool
	log.one(t, "UserInvoiceView", func() { inv, blocked, err = db.UserInvoiceView(ctx, id, top.ID) })
	if err != nil || blocked || inv.ID != top.ID || inv.Amount != top.Amount || inv.Comment != top.Comment {
		t.Fatalf("top-up: %+v %v %v", inv, blocked, err)
	}
	if _, _, err := db.UserInvoiceView(ctx, other, top.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's top-up: %v", err)
	}
	minv, err := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: merchants[1], Asset: storetest.USDT.Symbol, Amount: 2_000, TTL: time.Hour, Description: "tea"})
	if err != nil {
		t.Fatal(err)
	}
	var pv store.PayInvoiceView
	log.one(t, "PayInvoiceView", func() { pv, err = db.PayInvoiceView(ctx, id, minv.ID) })
	if err != nil || pv.Blocked || pv.ID != minv.ID || pv.Merchant != "First" || pv.Wallet != wallet || pv.Description != "tea" {
		t.Fatalf("merchant invoice: %+v %v", pv, err)
	}
	if pv, err = db.PayInvoiceView(ctx, other, minv.ID); err != nil || pv.Wallet != "" || pv.Merchant != "First" {
		t.Fatalf("merchant invoice, user without a wallet: %+v %v", pv, err)
	}
	if pv, err = db.PayInvoiceView(ctx, id, top.ID); err != nil || pv.Merchant != "" || pv.ID != top.ID {
		t.Fatalf("own top-up: %+v %v", pv, err)
	}
	if _, err := db.PayInvoiceView(ctx, other, top.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's top-up: %v", err)
	}

	// The standing, in every one of them.
	if _, err := db.BlockUser(ctx, store.Actor{Role: "operator"}, id, "test"); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Me(ctx, id); err != nil || !v.Blocked {
		t.Fatalf("blocked Me: %+v %v", v, err)
	}
	if page, err := db.UserHistory(ctx, id, 0, 10); err != nil || !page.Blocked {
		t.Fatalf("blocked history: %+v %v", page, err)
	}
	if _, blocked, err := db.UserInvoiceView(ctx, id, top.ID); err != nil || !blocked {
		t.Fatalf("blocked top-up: %v %v", blocked, err)
	}
	if pv, err := db.PayInvoiceView(ctx, id, minv.ID); err != nil || !pv.Blocked {
		t.Fatalf("blocked invoice: %+v %v", pv, err)
	}
	for _, c := range []struct {
		id   int64
		want bool
	}{{id, true}, {other, false}, {999, false}} {
		if b, err := db.UserBlocked(ctx, c.id); err != nil || b != c.want {
			t.Fatalf("UserBlocked(%d): %v %v", c.id, b, err)
		}
	}
}

// setTx records the transaction that paid a withdrawal, as the payer does.
func setTx(t *testing.T, path string, id int64, hash string) {
	t.Helper()
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE withdrawals SET tx_hash = ? WHERE id = ?`, hash, id); err != nil {
		t.Fatal(err)
	}
}

// The generation moves with every commit before the write returns (a
// subscriber hears the change with the generation already moved) and not
// with reads or writes that fail; a new deposit deriver moves it too.
func TestHotReadsGeneration(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	ctx := context.Background()
	var heard []uint64
	var mu sync.Mutex
	defer db.Subscribe(func(store.Change) {
		mu.Lock()
		heard = append(heard, db.Generation())
		mu.Unlock()
	})()
	g := db.Generation()
	if _, err := db.UpsertUser(ctx, store.User{ID: 61}); err != nil {
		t.Fatal(err)
	}
	if g1 := db.Generation(); g1 == g {
		t.Fatal("a commit did not move the generation before it returned")
	} else {
		g = g1
	}
	if _, err := db.Me(ctx, 61); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BlockUser(ctx, store.Actor{Role: "operator"}, 999, "no such user"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("blocking an unknown user: %v", err)
	}
	if db.Generation() != g {
		t.Fatal("a read or a write that committed nothing moved the generation")
	}
	if _, err := db.BlockUser(ctx, store.Actor{Role: "operator"}, 61, "test"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	last := heard[len(heard)-1]
	mu.Unlock()
	if last == g || last != db.Generation() {
		t.Fatalf("the block was heard at generation %d (before it %d, now %d)", last, g, db.Generation())
	}
	g = db.Generation()
	db.SetDepositDeriver(nil)
	if db.Generation() == g {
		t.Fatal("a new deposit deriver did not move the generation")
	}
}
