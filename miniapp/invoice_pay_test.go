package miniapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// payAnswer is GET /api/invoices/{id}.
type payAnswer struct {
	Invoice struct {
		ID, Asset, Amount, Formatted, Paid, Status, Comment, Address string
		Merchant, Description                                        string
		ExpiresAt                                                    string `json:"expires_at"`
	} `json:"invoice"`
	Transaction *ton.SendTransaction `json:"transaction"`
	Link        string               `json:"link"`
}

func decodePay(t *testing.T, r resp) payAnswer {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var a payAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// withMerchants mounts the merchant API on the env's server, as cmd does,
// and registers a merchant; it returns the merchant and its Bearer header.
func withMerchants(t *testing.T, e *env, name string) (store.Merchant, string) {
	t.Helper()
	merchant.New(merchant.Config{
		Testnet: true, DepositAddress: e.hot, Assets: []store.Asset{store.TON, usdt}, Policy: e.cfg.Policy,
		BotUsername: "tonpay_bot", AppName: "pay", RateLimit: 1000,
	}, e.db, slog.New(slog.DiscardHandler)).Register(e.srv.Group("/api/v1"))
	m, token, err := e.db.CreateMerchant(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return m, "Bearer " + token
}

// merchantInvoice creates an invoice over the merchant API and returns its
// id, checking the pay_url that opens the Mini App on it.
func merchantInvoice(t *testing.T, e *env, bearer, asset, amount, description string) string {
	t.Helper()
	r := e.do("POST", "/api/v1/invoices", bearer, map[string]any{"asset": asset, "amount": amount, "description": description})
	if r.status != 201 {
		t.Fatalf("create invoice: %d %s", r.status, r.body)
	}
	m := r.json(t)
	id, _ := m["id"].(string)
	if want := "https://t.me/tonpay_bot/pay?startapp=" + id; m["pay_url"] != want || !strings.HasPrefix(id, "inv_") {
		t.Fatalf("pay_url %v, want %s", m["pay_url"], want)
	}
	return id
}

// payChainTx is the scanner seeing amt of asset arrive at the hot wallet
// with comment.
func payChainTx(e *env, lt uint64, asset string, amt store.Amount, comment string) store.ChainTx {
	h := fmt.Sprintf("%064x", lt)
	return store.DepositTx(store.ChainEvent{Account: hotRaw, LT: lt, Hash: h, Time: time.Now(), Kind: store.KindCredited}, store.Incoming{Asset: asset, Amount: amt, Sender: "0:" + strings.Repeat("77", 32), Comment: comment, Min: 1000}, 0)
}

func TestPayMerchantInvoiceTON(t *testing.T) {
	e := newEnv(t)
	m, bearer := withMerchants(t, e, "Coffee shop")
	id := merchantInvoice(t, e, bearer, store.TON.Symbol, "2.5", "Two flat whites")
	auth := e.auth(501)

	a := decodePay(t, e.do("GET", "/api/invoices/"+id, auth, nil))
	inv := a.Invoice
	if inv.ID != id || inv.Merchant != "Coffee shop" || inv.Description != "Two flat whites" || inv.Asset != "GRAM" ||
		inv.Amount != "2500000000" || inv.Formatted != "2.5" || inv.Status != "created" || inv.Comment == "" {
		t.Fatalf("invoice %+v", inv)
	}
	deposit := ton.FormatAddress(e.hot, true)
	if inv.Address != deposit {
		t.Fatalf("address %q", inv.Address)
	}
	if a.Transaction == nil {
		t.Fatal("no transaction for an open invoice")
	}
	if err := a.Transaction.Validate(time.Now()); err != nil {
		t.Fatalf("the SDK would refuse: %v", err)
	}
	if len(a.Transaction.Messages) != 1 {
		t.Fatalf("messages %+v", a.Transaction.Messages)
	}
	msg := a.Transaction.Messages[0]
	if msg.Address != deposit || msg.Amount != "2500000000" {
		t.Fatalf("message %+v, want 2.5 GRAM to the hot wallet", msg)
	}
	s := decodePayload(t, msg.Payload).MustBeginParse()
	if op := s.MustLoadUInt(32); op != 0 {
		t.Fatalf("op %x", op)
	}
	if c, _ := s.LoadStringSnake(); c != inv.Comment {
		t.Fatalf("comment %q, want %q", c, inv.Comment)
	}
	if a.Link != "ton://transfer/"+deposit+"?amount=2500000000&text="+inv.Comment {
		t.Fatalf("link %q", a.Link)
	}

	// The wallet's BOC marks it pending, and from then on the payer's
	// stream hears the invoice.
	events, stop := openEvents(t, e, auth)
	defer stop()
	nextEvent(t, events, "balance")
	if r := e.do("POST", "/api/invoices/"+id+"/boc", auth, map[string]string{"boc": "%%%"}); r.status != 400 || r.errCode() != "invalid_boc" {
		t.Fatalf("bad boc: %d %s", r.status, r.body)
	}
	b := decodePay(t, e.do("POST", "/api/invoices/"+id+"/boc", auth, map[string]string{"boc": payBOC(t, e, id, 5)}))
	if b.Invoice.Status != "pending" || b.Invoice.Merchant != "Coffee shop" {
		t.Fatalf("boc answer %+v", b.Invoice)
	}
	ev := nextEvent(t, events, "invoice")
	if !strings.Contains(ev.data, id) || !strings.Contains(ev.data, `"status":"pending"`) || !strings.Contains(ev.data, `"merchant":"Coffee shop"`) {
		t.Fatalf("pending event %s", ev.data)
	}
	stored, _ := e.db.Invoice(context.Background(), id)
	if stored.PayerID != 501 || stored.ExtMsgHash == "" || stored.Paid != 0 {
		t.Fatalf("stored %+v", stored)
	}

	// The scanner sees the payment: paid is pushed; the merchant is credited.
	if _, err := e.db.ApplyChainTx(context.Background(), payChainTx(e, 1, store.TON.Symbol, 2_500_000_000, inv.Comment)); err != nil {
		t.Fatal(err)
	}
	for {
		ev := nextEvent(t, events, "invoice")
		if strings.Contains(ev.data, `"status":"paid"`) {
			break
		}
	}
	if bal, _ := e.db.Balance(context.Background(), store.MerchantAccount(m.ID), store.TON.Symbol); bal != 2_500_000_000 {
		t.Fatalf("merchant balance %d", bal)
	}
	if bal := e.balance(501, store.TON.Symbol); bal != 0 {
		t.Fatalf("the payer was credited %d", bal)
	}

	// Paid: its status and no transaction, to anyone holding the link.
	p := decodePay(t, e.do("GET", "/api/invoices/"+id, e.auth(502), nil))
	if p.Invoice.Status != "paid" || p.Transaction != nil || p.Link != "" {
		t.Fatalf("paid invoice: %+v", p)
	}
	e.audit()
}

func TestInvoiceOfAnotherUserIsNotFound(t *testing.T) {
	e := newEnv(t)
	withMerchants(t, e, "shop")
	owner := e.auth(601)
	r := e.do("POST", "/api/deposits", owner, map[string]string{"asset": "GRAM", "amount": "1"})
	if r.status != 201 {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	var d depositAnswer
	_ = json.Unmarshal(r.body, &d)

	other := e.auth(602)
	for _, path := range []string{
		"/api/invoices/" + d.Invoice.ID,
		"/api/invoices/inv_00000000000000000000",
		"/api/invoices/not-an-invoice",
	} {
		if r := e.do("GET", path, other, nil); r.status != 404 || r.errCode() != "not_found" {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/invoices/"+d.Invoice.ID+"/boc", other, map[string]string{"boc": payBOC(t, e, d.Invoice.ID, 6)}); r.status != 404 {
		t.Fatalf("boc on another user's top-up: %d %s", r.status, r.body)
	}
	if got, _ := e.db.Invoice(context.Background(), d.Invoice.ID); got.Status != store.InvoiceCreated || got.ExtMsgHash != "" {
		t.Fatalf("another user touched the top-up: %+v", got)
	}
	// Its owner sees it like any invoice.
	a := decodePay(t, e.do("GET", "/api/invoices/"+d.Invoice.ID, owner, nil))
	if a.Invoice.ID != d.Invoice.ID || a.Transaction == nil || a.Invoice.Merchant != "" {
		t.Fatalf("own top-up: %+v", a)
	}
	if r := e.do("GET", "/api/invoices/"+d.Invoice.ID, "", nil); r.status != 401 {
		t.Fatalf("without initData: %d", r.status)
	}
}

func TestExpiredMerchantInvoice(t *testing.T) {
	e := newEnv(t)
	m, _ := withMerchants(t, e, "shop")
	ctx := context.Background()
	inv, err := e.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	auth := e.auth(701)
	// Past its time, before the expirer ran: expired, nothing to pay.
	a := decodePay(t, e.do("GET", "/api/invoices/"+inv.ID, auth, nil))
	if a.Invoice.Status != "expired" || a.Transaction != nil || a.Link != "" {
		t.Fatalf("expired invoice: %+v", a)
	}
	b := decodePay(t, e.do("POST", "/api/invoices/"+inv.ID+"/boc", auth, map[string]string{"boc": payBOC(t, e, inv.ID, 7)}))
	if b.Invoice.Status != "expired" {
		t.Fatalf("boc after expiry: %+v", b.Invoice)
	}
	if n, err := e.db.ExpireInvoices(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	a = decodePay(t, e.do("GET", "/api/invoices/"+inv.ID, auth, nil))
	if a.Invoice.Status != "expired" || a.Transaction != nil {
		t.Fatalf("expired invoice: %+v", a)
	}
}

func TestJettonMerchantInvoiceNeedsWallet(t *testing.T) {
	e := newEnv(t)
	_, bearer := withMerchants(t, e, "shop")
	id := merchantInvoice(t, e, bearer, "USDT", "3", "A sticker pack")
	auth := e.auth(801)
	r := e.do("GET", "/api/invoices/"+id, auth, nil)
	if r.status != 409 || r.errCode() != "wallet_required" || !strings.Contains(r.errMessage(), "USDT") {
		t.Fatalf("without a wallet: %d %s", r.status, r.body)
	}
	w := newTestWallet(t, 8)
	e.linkWallet(801, w)
	a := decodePay(t, e.do("GET", "/api/invoices/"+id, auth, nil))
	if a.Transaction == nil || len(a.Transaction.Messages) != 1 {
		t.Fatalf("jetton invoice: %+v", a)
	}
	jw, _ := e.chain.JettonWallet(context.Background(), appAddr(t, usdtMaster), w.addr)
	msg := a.Transaction.Messages[0]
	if msg.Address != ton.FormatBounceable(jw, true) {
		t.Fatalf("message to %q, want the user's jetton wallet", msg.Address)
	}
	s := decodePayload(t, msg.Payload).MustBeginParse()
	if op := s.MustLoadUInt(32); op != ton.JettonTransferOp {
		t.Fatalf("op %x", op)
	}
	s.MustLoadUInt(64)
	if amt := s.MustLoadBigCoins(); amt.Int64() != 3_000_000 {
		t.Fatalf("jetton amount %v", amt)
	}
	if dst := s.MustLoadAddr(); !dst.Equals(e.hot) {
		t.Fatalf("destination %v", dst)
	}
}
