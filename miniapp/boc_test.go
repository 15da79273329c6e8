package miniapp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

// bocSpec says how a test wallet signs a payment: which wallet, version,
// seqno (0 sends the state init), and what it pays.
type bocSpec struct {
	w       testWallet
	ver     wallet.VersionConfig
	seqno   uint32
	to      *address.Address // the native coin's destination; the jetton transfer's destination
	amount  store.Amount
	comment string
	jetton  bool // a jetton transfer through the wallet's own jetton wallet (fakeChain's)
	via     *address.Address
}

func signBOC(t *testing.T, s bocSpec) string {
	t.Helper()
	if s.ver == nil {
		s.ver = wallet.V4R2
	}
	var dst *address.Address
	var value int64
	body := cell.BeginCell().EndCell()
	if s.comment != "" {
		body = ton.CommentCell(s.comment)
	}
	if s.jetton {
		owner := walletAddress(t, s.w, s.ver)
		dst = s.via
		if dst == nil {
			dst, _ = (&fakeChain{}).JettonWallet(context.Background(), appAddr(t, usdtMaster), owner)
		}
		value = 50_000_000
		body = ton.JettonTransferBody(7, s.amount, s.to, owner, 1, s.comment)
	} else {
		dst, value = s.to, int64(s.amount)
	}
	msg := &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: s.jetton, DstAddr: dst, Amount: tlb.FromNanoTON(big.NewInt(value)), Body: body}}
	boc, _, err := tontest.SignExternal(s.w.key, s.ver, s.seqno, msg)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(boc)
}

func walletAddress(t *testing.T, w testWallet, v wallet.VersionConfig) *address.Address {
	t.Helper()
	ww, err := wallet.FromPrivateKey(nil, w.key, v)
	if err != nil {
		t.Fatal(err)
	}
	return ww.WalletAddress()
}

// payBOC is the BOC a wallet returns after paying the invoice id in full
// (V4R2, not yet deployed), as the Mini App's TON Connect request asks.
func payBOC(t *testing.T, e *env, id string, seed byte) string {
	t.Helper()
	inv, err := e.db.Invoice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return signBOC(t, bocSpec{w: newTestWallet(t, seed), to: e.hot, amount: inv.Amount, comment: inv.Comment, jetton: inv.Asset == usdt.Symbol})
}

func TestBOCMustPayItsInvoice(t *testing.T) {
	e := newEnv(t)
	m, _ := withMerchants(t, e, "shop")
	ctx := context.Background()
	inv, err := e.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2_000_000_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	payer, late := e.auth(801), e.auth(802)
	w := newTestWallet(t, 21)
	other := appAddr(t, "0:"+"ab"+"00000000000000000000000000000000000000000000000000000000000000")
	path := "/api/invoices/" + inv.ID + "/boc"
	unchanged := func(what string) {
		t.Helper()
		got, _ := e.db.Invoice(ctx, inv.ID)
		if got.Status != store.InvoiceCreated || got.PayerID != 0 || got.ExtMsgHash != "" {
			t.Fatalf("%s changed the invoice: %+v", what, got)
		}
	}
	for name, c := range map[string]struct {
		boc, code string
	}{
		"made up":          {externalBOC(t), "invalid_boc"},
		"to another":       {signBOC(t, bocSpec{w: w, to: other, amount: inv.Amount, comment: inv.Comment}), "boc_mismatch"},
		"too little":       {signBOC(t, bocSpec{w: w, to: e.hot, amount: inv.Amount - 1, comment: inv.Comment}), "boc_mismatch"},
		"another comment":  {signBOC(t, bocSpec{w: w, to: e.hot, amount: inv.Amount, comment: "NOTOURS"}), "boc_mismatch"},
		"no comment":       {signBOC(t, bocSpec{w: w, to: e.hot, amount: inv.Amount}), "boc_mismatch"},
		"jetton, not coin": {signBOC(t, bocSpec{w: w, to: e.hot, amount: inv.Amount, comment: inv.Comment, jetton: true}), "boc_mismatch"},
		// Deployed (no state init), the chain not asked: nobody's key.
		"key unknown": {signBOC(t, bocSpec{w: w, seqno: 3, to: e.hot, amount: inv.Amount, comment: inv.Comment}), "invalid_boc"},
	} {
		if r := e.do("POST", path, payer, map[string]string{"boc": c.boc}); r.status != 400 || r.errCode() != c.code {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
		unchanged(name)
	}

	// The wallet linked with ton_proof gives the key of a deployed wallet;
	// a message signed by another key for that address is refused.
	e.linkWallet(801, w)
	forged := signBOC(t, bocSpec{w: newTestWallet(t, 22), seqno: 3, to: e.hot, amount: inv.Amount, comment: inv.Comment})
	if r := e.do("POST", path, payer, map[string]string{"boc": forged}); r.status != 400 {
		t.Fatalf("another wallet's key: %d %s", r.status, r.body)
	}
	unchanged("a forged signature")

	// W5, deployed, linked: pays it; its payer is the first submitter.
	w5 := wallet.ConfigV5R1Final{NetworkGlobalID: wallet.TestnetGlobalID}
	good := signBOC(t, bocSpec{w: w, ver: wallet.V4R2, seqno: 3, to: e.hot, amount: inv.Amount + 5, comment: inv.Comment})
	b := decodePay(t, e.do("POST", path, payer, map[string]string{"boc": good}))
	if b.Invoice.Status != "pending" {
		t.Fatalf("answer %+v", b.Invoice)
	}
	got, _ := e.db.Invoice(ctx, inv.ID)
	if got.PayerID != 801 || got.ExtMsgHash == "" {
		t.Fatalf("stored %+v", got)
	}
	hash := got.ExtMsgHash
	// Another user with a valid payment of their own cannot take it over.
	theirs := signBOC(t, bocSpec{w: newTestWallet(t, 23), ver: w5, to: e.hot, amount: inv.Amount, comment: inv.Comment})
	if r := e.do("POST", path, late, map[string]string{"boc": theirs}); r.status != 409 || r.errCode() != "invoice_taken" {
		t.Fatalf("a later submitter: %d %s", r.status, r.body)
	}
	if got, _ := e.db.Invoice(ctx, inv.ID); got.PayerID != 801 || got.ExtMsgHash != hash {
		t.Fatalf("a later submitter changed it: %+v", got)
	}
	// The payer reporting again is fine.
	decodePay(t, e.do("POST", path, payer, map[string]string{"boc": good}))
	if got, _ := e.db.Invoice(ctx, inv.ID); got.PayerID != 801 || got.ExtMsgHash != hash || got.Status != store.InvoicePending {
		t.Fatalf("the payer again: %+v", got)
	}

	// A W5 wallet not deployed yet (state init) pays a top-up.
	r := e.do("POST", "/api/deposits", e.auth(803), map[string]string{"asset": store.TON.Symbol, "amount": "1"})
	var d depositAnswer
	if err := json.Unmarshal(r.body, &d); err != nil || r.status != 201 {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	top, _ := e.db.Invoice(ctx, d.Invoice.ID)
	w5boc := signBOC(t, bocSpec{w: newTestWallet(t, 24), ver: w5, to: e.hot, amount: top.Amount, comment: top.Comment})
	if r := e.do("POST", "/api/deposits/"+top.ID+"/boc", e.auth(803), map[string]string{"boc": w5boc}); r.status != 200 {
		t.Fatalf("w5 top-up: %d %s", r.status, r.body)
	}
	if got, _ := e.db.Invoice(ctx, top.ID); got.Status != store.InvoicePending {
		t.Fatalf("w5 top-up: %+v", got)
	}

	// A memo-less invoice: exactly its amount, no comment.
	ml, err := e.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 3_000_000_000, TTL: time.Hour, MemoLess: true})
	if err != nil {
		t.Fatal(err)
	}
	mlPath := "/api/invoices/" + ml.ID + "/boc"
	for name, amt := range map[string]store.Amount{"more": ml.Amount + 1, "less": ml.Amount - 1} {
		if r := e.do("POST", mlPath, payer, map[string]string{"boc": signBOC(t, bocSpec{w: w, to: e.hot, amount: amt})}); r.status != 400 || r.errCode() != "boc_mismatch" {
			t.Errorf("memo-less %s: %d %s", name, r.status, r.body)
		}
	}
	decodePay(t, e.do("POST", mlPath, payer, map[string]string{"boc": signBOC(t, bocSpec{w: w, to: e.hot, amount: ml.Amount})}))
}

func TestBOCJettonInvoice(t *testing.T) {
	e := newEnv(t)
	m, _ := withMerchants(t, e, "shop")
	ctx := context.Background()
	inv, err := e.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: "USDT", Amount: 2_500_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w := newTestWallet(t, 31)
	auth := e.auth(901)
	path := "/api/invoices/" + inv.ID + "/boc"
	other := appAddr(t, "0:"+"cd"+"00000000000000000000000000000000000000000000000000000000000000")
	for name, s := range map[string]bocSpec{
		"to another":            {w: w, to: other, amount: inv.Amount, comment: inv.Comment, jetton: true},
		"another jetton wallet": {w: w, to: e.hot, amount: inv.Amount, comment: inv.Comment, jetton: true, via: other},
		"too little":            {w: w, to: e.hot, amount: inv.Amount - 1, comment: inv.Comment, jetton: true},
		"no forward comment":    {w: w, to: e.hot, amount: inv.Amount, jetton: true},
		"the coin instead":      {w: w, to: e.hot, amount: inv.Amount, comment: inv.Comment},
	} {
		if r := e.do("POST", path, auth, map[string]string{"boc": signBOC(t, s)}); r.status != 400 || r.errCode() != "boc_mismatch" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if got, _ := e.db.Invoice(ctx, inv.ID); got.Status != store.InvoiceCreated || got.PayerID != 0 {
		t.Fatalf("changed: %+v", got)
	}
	decodePay(t, e.do("POST", path, auth, map[string]string{"boc": payBOC(t, e, inv.ID, 31)}))
	if got, _ := e.db.Invoice(ctx, inv.ID); got.Status != store.InvoicePending || got.PayerID != 901 {
		t.Fatalf("paid with the jetton: %+v", got)
	}
	// The chain cannot be asked for the payer's jetton wallet: 503, nothing changed.
	inv2, _ := e.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: "USDT", Amount: 1_000_000, TTL: time.Hour})
	e.chain.fail.Store(true)
	if r := e.do("POST", "/api/invoices/"+inv2.ID+"/boc", e.auth(902), map[string]string{"boc": payBOC(t, e, inv2.ID, 32)}); r.status != 503 {
		t.Fatalf("chain down: %d %s", r.status, r.body)
	}
}
