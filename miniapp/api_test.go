package miniapp_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

func TestMe(t *testing.T) {
	e := newEnv(t)
	e.fund(7, store.TON.Symbol, 1_500_000_000)
	e.fund(7, "CREDITS", 5)
	r := e.do("GET", "/api/me", e.auth(7), nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	var me struct {
		User struct {
			ID        int64  `json:"id"`
			FirstName string `json:"first_name"`
			Username  string `json:"username"`
		} `json:"user"`
		Wallet  *struct{ Address, Friendly string } `json:"wallet"`
		Network string                              `json:"network"`
		Assets  []struct {
			Symbol   string `json:"symbol"`
			Decimals int    `json:"decimals"`
		} `json:"assets"`
		Balances []struct{ Asset, Amount, Formatted string } `json:"balances"`
		Deposit  struct{ Address, Comment, Link string }     `json:"deposit"`
	}
	if err := json.Unmarshal(r.body, &me); err != nil {
		t.Fatal(err)
	}
	u, err := e.db.User(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if me.User.ID != 7 || me.Wallet != nil || me.Network != "testnet" {
		t.Fatalf("me: %s", r.body)
	}
	if len(me.Assets) != 2 || me.Assets[0].Symbol != "GRAM" || me.Assets[0].Decimals != 9 || me.Assets[1].Symbol != "USDT" || me.Assets[1].Decimals != 6 {
		t.Fatalf("assets: %+v", me.Assets)
	}
	want := []struct{ Asset, Amount, Formatted string }{{"GRAM", "1500000000", "1.5"}, {"USDT", "0", "0"}, {"CREDITS", "5", "5"}}
	if len(me.Balances) != len(want) {
		t.Fatalf("balances: %+v", me.Balances)
	}
	for i, w := range want {
		if me.Balances[i] != w {
			t.Fatalf("balance %d: %+v, want %+v", i, me.Balances[i], w)
		}
	}
	if me.Deposit.Address != ton.FormatAddress(e.hot, true) || !strings.HasPrefix(me.Deposit.Address, "0Q") {
		t.Fatalf("deposit address %q", me.Deposit.Address)
	}
	if me.Deposit.Comment != u.Comment || me.Deposit.Link != "ton://transfer/"+me.Deposit.Address+"?text="+u.Comment {
		t.Fatalf("deposit: %+v", me.Deposit)
	}
}

func TestWalletLinkWithTonProof(t *testing.T) {
	e := newEnv(t)
	w := newTestWallet(t, 3)
	auth := e.auth(9)

	r := e.do("POST", "/api/wallet/payload", auth, nil)
	if r.status != 200 {
		t.Fatalf("payload: %d %s", r.status, r.body)
	}
	p := r.json(t)
	payload := p["payload"].(string)
	if len(payload) == 0 || len(payload) > 128 {
		t.Fatalf("payload %q", payload)
	}
	if exp, err := time.Parse(time.RFC3339, p["expires_at"].(string)); err != nil || exp.Before(time.Now()) {
		t.Fatalf("expires_at %v %v", p["expires_at"], err)
	}

	// Wrong domain, a foreign payload, and a bad signature fail and link nothing.
	bad := []struct {
		name string
		body map[string]any
	}{
		{"other domain", w.proofBody("evil.example.com", time.Now().Unix(), payload)},
		{"foreign payload", w.proofBody("pay.example.com", time.Now().Unix(), "mypayload")},
		{"old proof", w.proofBody("pay.example.com", time.Now().Add(-time.Hour).Unix(), payload)},
		{"other key", func() map[string]any {
			b := w.proofBody("pay.example.com", time.Now().Unix(), payload)
			b["proof"].(map[string]any)["signature"] = newTestWallet(t, 4).proofBody("pay.example.com", time.Now().Unix(), payload)["proof"].(map[string]any)["signature"]
			return b
		}()},
	}
	for _, tt := range bad {
		if r := e.do("POST", "/api/wallet", auth, tt.body); r.status != 400 || r.errCode() != "invalid_proof" {
			t.Fatalf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/wallet", auth, `{"account":`); r.status != 400 {
		t.Fatalf("malformed: %d %s", r.status, r.body)
	}
	if _, err := e.db.WalletOf(context.Background(), 9); err == nil {
		t.Fatal("a failed proof linked a wallet")
	}

	body := w.proofBody("pay.example.com", time.Now().Unix(), payload)
	r = e.do("POST", "/api/wallet", auth, body)
	if r.status != 200 {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	got := r.json(t)["wallet"].(map[string]any)
	if got["address"] != w.addr.StringRaw() || got["friendly"] != ton.FormatAddress(w.addr, true) {
		t.Fatalf("wallet: %v", got)
	}
	stored, err := e.db.WalletOf(context.Background(), 9)
	if err != nil || stored.Address != w.addr.StringRaw() {
		t.Fatalf("stored: %+v %v", stored, err)
	}
	// The same proof (same payload) again: refused, even for another user.
	if r := e.do("POST", "/api/wallet", auth, body); r.status != 409 || r.errCode() != "proof_used" {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/wallet", e.auth(10), body); r.status != 409 {
		t.Fatalf("replay by another user: %d %s", r.status, r.body)
	}
	me := e.do("GET", "/api/me", auth, nil).json(t)
	if me["wallet"].(map[string]any)["friendly"] != ton.FormatAddress(w.addr, true) {
		t.Fatalf("me wallet: %v", me["wallet"])
	}

	if r := e.do("DELETE", "/api/wallet", auth, nil); r.status != 204 {
		t.Fatalf("unlink: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/wallet", auth, nil); r.status != 204 {
		t.Fatalf("unlink again: %d", r.status)
	}
	if me := e.do("GET", "/api/me", auth, nil).json(t); me["wallet"] != nil {
		t.Fatalf("wallet after unlink: %v", me["wallet"])
	}
}

type depositAnswer struct {
	Invoice struct {
		ID, Asset, Amount, Formatted, Paid, Status, Comment, Address string
		ExpiresAt                                                    string `json:"expires_at"`
	} `json:"invoice"`
	Transaction ton.SendTransaction `json:"transaction"`
	Link        string              `json:"link"`
}

func decodePayload(t *testing.T, b64 string) *cell.Cell {
	t.Helper()
	if !strings.HasPrefix(b64, "te6cc") {
		t.Fatalf("payload %q is not a standard base64 BOC", b64)
	}
	boc, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cell.FromBOC(boc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDepositTON(t *testing.T) {
	e := newEnv(t)
	auth := e.auth(11)
	r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": "1.5"}) // the former code: an alias of GRAM
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var d depositAnswer
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	inv := d.Invoice
	if inv.Asset != "GRAM" || inv.Amount != "1500000000" || inv.Formatted != "1.5" || inv.Paid != "0" || inv.Status != "created" || inv.Comment == "" {
		t.Fatalf("invoice: %+v", inv)
	}
	deposit := ton.FormatAddress(e.hot, true)
	if inv.Address != deposit {
		t.Fatalf("invoice address %q", inv.Address)
	}
	if exp, err := time.Parse(time.RFC3339, inv.ExpiresAt); err != nil || time.Until(exp) < 19*time.Minute {
		t.Fatalf("expires_at %q", inv.ExpiresAt)
	}
	tx := d.Transaction
	if err := tx.Validate(time.Now()); err != nil {
		t.Fatalf("the SDK would refuse: %v", err)
	}
	if len(tx.Messages) != 1 {
		t.Fatalf("messages: %+v", tx.Messages)
	}
	m := tx.Messages[0]
	if m.Address != deposit || strings.Contains(m.Address, ":") || m.Amount != "1500000000" {
		t.Fatalf("message: %+v", m)
	}
	s := decodePayload(t, m.Payload).MustBeginParse()
	if op := s.MustLoadUInt(32); op != 0 {
		t.Fatalf("op %x", op)
	}
	if c, _ := s.LoadStringSnake(); c != inv.Comment {
		t.Fatalf("comment %q, want %q", c, inv.Comment)
	}
	if d.Link != "ton://transfer/"+deposit+"?amount=1500000000&text="+inv.Comment {
		t.Fatalf("link %q", d.Link)
	}
	// The raw JSON has exactly the keys the SDK knows.
	var raw map[string]map[string]any
	_ = json.Unmarshal(r.body, &raw)
	for k := range raw["transaction"] {
		if k != "validUntil" && k != "messages" && k != "network" {
			t.Fatalf("unexpected transaction key %q", k)
		}
	}

	got := e.do("GET", "/api/deposits/"+inv.ID, auth, nil)
	if got.status != 200 || got.json(t)["invoice"].(map[string]any)["id"] != inv.ID {
		t.Fatalf("get: %d %s", got.status, got.body)
	}
	if r := e.do("GET", "/api/deposits/"+inv.ID, e.auth(12), nil); r.status != 404 || r.errCode() != "not_found" {
		t.Fatalf("other user's invoice: %d %s", r.status, r.body)
	}
}

func TestDepositValidation(t *testing.T) {
	e := newEnv(t)
	auth := e.auth(13)
	cases := []struct {
		asset, amount, code string
	}{
		{store.TON.Symbol, "1.0000000001", "invalid_amount"},
		{"USDT", "1.0000001", "invalid_amount"},
		{store.TON.Symbol, "abc", "invalid_amount"},
		{store.TON.Symbol, "-1", "invalid_amount"},
		{store.TON.Symbol, "1e9", "invalid_amount"},
		{store.TON.Symbol, "0", "invalid_amount"},
		{store.TON.Symbol, "", "invalid_amount"},
		{store.TON.Symbol, "0.001", "below_minimum"},
		{store.TON.Symbol, "2000000", "above_maximum"},
		{store.TON.Symbol, "99999999999999999999", "invalid_amount"},
		{"DOGE", "1", "unknown_asset"},
		{"CREDITS", "1", "unknown_asset"},
	}
	for _, tt := range cases {
		r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": tt.asset, "amount": tt.amount})
		if r.status != 400 || r.errCode() != tt.code || r.errMessage() == "" {
			t.Fatalf("%s %q: %d %s", tt.asset, tt.amount, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/deposits", auth, "{not json"); r.status != 400 || r.errCode() != "bad_request" {
		t.Fatalf("bad json: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/deposits", auth, `{"asset":"TON","amount":"`+strings.Repeat("1", 70<<10)+`"}`); r.status != 413 || r.errCode() != "payload_too_large" {
		t.Fatalf("large body: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "USDT", "amount": "1"}); r.status != 409 || r.errCode() != "wallet_required" {
		t.Fatalf("jetton without wallet: %d %s", r.status, r.body)
	}
}

func TestDepositJetton(t *testing.T) {
	e := newEnv(t)
	w := newTestWallet(t, 5)
	e.linkWallet(14, w)
	auth := e.auth(14)

	e.chain.fail.Store(true)
	if r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "USDT", "amount": "2.5"}); r.status != 503 || r.errCode() != "unavailable" {
		t.Fatalf("chain down: %d %s", r.status, r.body)
	}
	e.chain.fail.Store(false)

	r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "USDT", "amount": "2.5"})
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var d depositAnswer
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Invoice.Amount != "2500000" || d.Invoice.Formatted != "2.5" || d.Invoice.Asset != "USDT" {
		t.Fatalf("invoice %+v", d.Invoice)
	}
	if err := d.Transaction.Validate(time.Now()); err != nil {
		t.Fatalf("the SDK would refuse: %v", err)
	}
	master := appAddr(t, usdtMaster)
	jw, _ := e.chain.JettonWallet(context.Background(), master, w.addr)
	m := d.Transaction.Messages[0]
	if m.Address != ton.FormatBounceable(jw, true) || m.Amount != "50000000" {
		t.Fatalf("message to %q amount %q, want the user's jetton wallet %q with 0.05 GRAM", m.Address, m.Amount, ton.FormatBounceable(jw, true))
	}
	s := decodePayload(t, m.Payload).MustBeginParse()
	if op := s.MustLoadUInt(32); op != ton.JettonTransferOp {
		t.Fatalf("op %x", op)
	}
	s.MustLoadUInt(64) // query id
	if amt := s.MustLoadBigCoins(); amt.Int64() != 2_500_000 {
		t.Fatalf("jetton amount %v", amt)
	}
	if dst := s.MustLoadAddr(); !dst.Equals(e.hot) {
		t.Fatalf("destination %v, want the hot wallet", dst)
	}
	if resp := s.MustLoadAddr(); !resp.Equals(w.addr) {
		t.Fatalf("response destination %v, want the user's wallet", resp)
	}
	if s.MustLoadMaybeRef() != nil {
		t.Fatal("custom payload")
	}
	if fwd := s.MustLoadBigCoins(); fwd.Int64() != 1 {
		t.Fatalf("forward_ton_amount %v", fwd)
	}
	if !s.MustLoadBoolBit() {
		t.Fatal("forward payload not in a ref")
	}
	fp := s.MustLoadRef()
	if fp.MustLoadUInt(32) != 0 {
		t.Fatal("forward payload is not a comment")
	}
	if c, _ := fp.LoadStringSnake(); c != d.Invoice.Comment {
		t.Fatalf("forward comment %q, want %q", c, d.Invoice.Comment)
	}
	if !strings.HasPrefix(d.Link, "ton://transfer/"+ton.FormatAddress(e.hot, true)+"?jetton=") || !strings.Contains(d.Link, "amount=2500000") {
		t.Fatalf("link %q", d.Link)
	}
	// The jetton wallet address is looked up once per owner.
	calls := e.chain.calls.Load()
	e.do("POST", "/api/deposits", auth, map[string]string{"asset": "USDT", "amount": "3"})
	if e.chain.calls.Load() != calls {
		t.Fatal("jetton wallet looked up again")
	}
}

func TestDepositBOCMarksPending(t *testing.T) {
	raw, err := os.ReadFile("../../shared/fixtures/normalized_hash.json")
	if err != nil {
		t.Skipf("shared fixtures not present: %v", err)
	}
	var fx struct {
		BOC        string `json:"boc"`
		Normalized string `json:"normalized_hash_hex"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	auth := e.auth(15)
	var d depositAnswer
	r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "GRAM", "amount": "1"})
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/deposits/"+d.Invoice.ID+"/boc", auth, map[string]string{"boc": "te6ccgEBAQEAAgAAAA=="}); r.status != 400 || r.errCode() != "invalid_boc" {
		t.Fatalf("bad boc: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/deposits/"+d.Invoice.ID+"/boc", auth, map[string]string{"boc": "%%%"}); r.status != 400 || r.errCode() != "invalid_boc" {
		t.Fatalf("not base64: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/deposits/"+d.Invoice.ID+"/boc", e.auth(16), map[string]string{"boc": fx.BOC}); r.status != 404 {
		t.Fatalf("other user's invoice: %d %s", r.status, r.body)
	}
	// A real wallet's signed transfer, but of another payment: refused,
	// nothing changed.
	r = e.do("POST", "/api/deposits/"+d.Invoice.ID+"/boc", auth, map[string]string{"boc": fx.BOC})
	if r.status != 400 || r.errCode() != "boc_mismatch" {
		t.Fatalf("a foreign BOC: %d %s", r.status, r.body)
	}
	if inv, _ := e.db.Invoice(context.Background(), d.Invoice.ID); inv.Status != store.InvoiceCreated || inv.ExtMsgHash != "" {
		t.Fatalf("a foreign BOC changed it: %+v", inv)
	}
	boc := payBOC(t, e, d.Invoice.ID, 15)
	want, err := ton.NormalizedHashBase64(boc)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/api/deposits/"+d.Invoice.ID+"/boc", auth, map[string]string{"boc": boc})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if st := r.json(t)["invoice"].(map[string]any)["status"]; st != "pending" {
		t.Fatalf("status %v", st)
	}
	inv, err := e.db.Invoice(context.Background(), d.Invoice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.ExtMsgHash != hex.EncodeToString(want) || inv.Status != store.InvoicePending || inv.Paid != 0 {
		t.Fatalf("stored: hash %s status %s paid %d", inv.ExtMsgHash, inv.Status, inv.Paid)
	}
	if b := e.balance(15, store.TON.Symbol); b != 0 {
		t.Fatalf("a reported BOC credited %d", b)
	}
}

func TestHistory(t *testing.T) {
	e := newEnv(t)
	e.fund(17, store.TON.Symbol, 100)
	e.fund(17, store.TON.Symbol, 2_000_000_000)
	e.fund(17, "USDT", 3_000_000)
	auth := e.auth(17)
	r := e.do("GET", "/api/history?limit=2", auth, nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var page struct {
		Items []struct {
			ID                                                int64
			Asset, Amount, Formatted, Kind, Description, Link string
			CreatedAt                                         string `json:"created_at"`
		}
		Next *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Next == nil || page.Items[0].Asset != "USDT" || page.Items[0].Formatted != "3" || page.Items[1].Formatted != "2" {
		t.Fatalf("page 1: %s", r.body)
	}
	if page.Items[0].Kind != "deposit" || !strings.HasPrefix(page.Items[0].Link, "https://testnet.tonviewer.com/transaction/") {
		t.Fatalf("item: %+v", page.Items[0])
	}
	if _, err := time.Parse(time.RFC3339, page.Items[0].CreatedAt); err != nil {
		t.Fatal(err)
	}
	r = e.do("GET", "/api/history?limit=2&cursor="+*page.Next, auth, nil)
	page.Items, page.Next = nil, nil
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Amount != "100" || page.Items[0].Formatted != "0.0000001" || page.Next != nil {
		t.Fatalf("page 2: %s", r.body)
	}
	for _, q := range []string{"?cursor=x", "?limit=0", "?limit=1000", "?cursor=-5"} {
		if r := e.do("GET", "/api/history"+q, auth, nil); r.status != 400 {
			t.Fatalf("%s: %d", q, r.status)
		}
	}
	// A withdrawal shows as a negative entry.
	e.fund(17, store.TON.Symbol, 1_000_000_000)
	if r := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "GRAM", "amount": "1", "address": ton.FormatAddress(newTestWallet(t, 6).addr, true)}, "Idempotency-Key", "h1"); r.status != 201 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/api/history?limit=1", auth, nil)
	if !strings.Contains(string(r.body), `"amount":"-1100000000","formatted":"-1.1","kind":"withdrawal"`) {
		t.Fatalf("withdrawal entry: %s", r.body)
	}
}

// A person's "1,5" is 1.5 in the Mini App (the page shows the invoice's
// amount before anything is paid); "1,500" could be 1500 or 1.5 and is
// refused with both, creating nothing.
func TestDepositAmountTypedByAPerson(t *testing.T) {
	e := newEnv(t)
	auth := e.auth(730)
	r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": "1,5"})
	if r.status != 201 || r.json(t)["invoice"].(map[string]any)["amount"] != "1500000000" {
		t.Fatalf("1,5: %d %s", r.status, r.body)
	}
	for _, amount := range []string{"1,500", "12,000"} {
		r = e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": amount})
		if r.status != 400 || r.errCode() != "ambiguous_amount" || !strings.Contains(r.errMessage(), "(no comma) or") {
			t.Fatalf("%s: %d %s", amount, r.status, r.body)
		}
	}
	r = e.do("POST", "/api/withdrawals/quote", auth, map[string]string{"asset": "TON", "amount": "1,000,000"})
	if r.status != 400 || r.errCode() != "invalid_amount" || !strings.Contains(r.errMessage(), "without thousands separators") {
		t.Fatalf("1,000,000: %d %s", r.status, r.body)
	}
	if n := e.count(`SELECT count(*) FROM invoices WHERE user_id = 730`); n != 1 {
		t.Fatalf("%d invoices, want the one of 1,5", n)
	}
}

// A user's open top-up invoices are bounded: the same one asked again is
// handed out again, a new one beyond the bound is refused (409
// too_many_open_invoices) and creates nothing.
func TestOpenDepositsPerUserAreBounded(t *testing.T) {
	e := newEnvRules(t, func(r *store.Rules) { r.MaxOpenInvoices = 3 })
	auth := e.auth(740)
	id := func(r resp) string { return r.json(t)["invoice"].(map[string]any)["id"].(string) }
	first := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": "1"})
	if first.status != 201 {
		t.Fatalf("%d %s", first.status, first.body)
	}
	for range 20 {
		if r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": "1"}); r.status != 201 || id(r) != id(first) {
			t.Fatalf("the same invoice again: %d %s", r.status, r.body)
		}
	}
	for _, a := range []string{"2", "3"} {
		if r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": a}); r.status != 201 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	for _, a := range []string{"4", "5", "6"} {
		r := e.do("POST", "/api/deposits", auth, map[string]string{"asset": "TON", "amount": a})
		if r.status != 409 || r.errCode() != "too_many_open_invoices" || !strings.Contains(r.errMessage(), "3 top-up invoices are open") {
			t.Fatalf("%s: %d %s", a, r.status, r.body)
		}
	}
	if n := e.count(`SELECT count(*) FROM invoices WHERE user_id = 740`); n != 3 {
		t.Fatalf("%d invoices, want 3", n)
	}
	// Another user has their own bound.
	if r := e.do("POST", "/api/deposits", e.auth(741), map[string]string{"asset": "TON", "amount": "4"}); r.status != 201 {
		t.Fatalf("another user: %d %s", r.status, r.body)
	}
}
