package miniapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

type withdrawalAnswer struct {
	Withdrawal struct {
		ID                                     int64
		Asset, Amount, Fee, Formatted          string
		FeeAsset                               string `json:"fee_asset"`
		FeeFormatted                           string `json:"fee_formatted"`
		Destination, Status, TxHash, Link, Err string
	} `json:"withdrawal"`
}

func TestWithdrawalValidationChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.fund(20, store.TON.Symbol, 2_000_000_000)
	e.fund(20, "USDT", 10_000_000)
	auth := e.auth(20)
	dest := ton.FormatAddress(newTestWallet(t, 21).addr, true)
	mainnetForm := ton.FormatAddress(newTestWallet(t, 21).addr, false)
	corrupt := []byte(dest)
	corrupt[10] ^= 1
	if corrupt[10] == '-' || corrupt[10] == '_' {
		corrupt[10] = 'A'
	}

	cases := []struct {
		name   string
		body   any
		key    string
		status int
		code   string
	}{
		{"no idempotency key", map[string]string{"asset": "GRAM", "amount": "1", "address": dest}, "", 400, "idempotency_key_required"},
		{"not an address", map[string]string{"asset": "GRAM", "amount": "1", "address": "hello"}, "k1", 400, "invalid_address"},
		{"checksum", map[string]string{"asset": "GRAM", "amount": "1", "address": string(corrupt)}, "k2", 400, "invalid_address"},
		{"raw with bad hex", map[string]string{"asset": "GRAM", "amount": "1", "address": "0:zz"}, "k3", 400, "invalid_address"},
		{"own deposit address", map[string]string{"asset": "GRAM", "amount": "1", "address": ton.FormatAddress(e.hot, true)}, "k4", 400, "own_address"},
		{"too many decimals", map[string]string{"asset": "GRAM", "amount": "1.0000000001", "address": dest}, "k5", 400, "invalid_amount"},
		{"jetton decimals", map[string]string{"asset": "USDT", "amount": "1.0000001", "address": dest}, "k6", 400, "invalid_amount"},
		{"below minimum", map[string]string{"asset": "GRAM", "amount": "0.1", "address": dest}, "k7", 400, "below_minimum"},
		{"zero", map[string]string{"asset": "GRAM", "amount": "0", "address": dest}, "k8", 400, "invalid_amount"},
		{"insufficient", map[string]string{"asset": "GRAM", "amount": "1.95", "address": dest}, "k9", 409, "insufficient_funds"},
		{"jetton insufficient", map[string]string{"asset": "USDT", "amount": "11", "address": dest}, "k10", 409, "insufficient_funds"},
		{"unknown asset", map[string]string{"asset": "DOGE", "amount": "1", "address": dest}, "k11", 400, "unknown_asset"},
		{"no address, no wallet", map[string]string{"asset": "GRAM", "amount": "1"}, "k12", 400, "address_required"},
		{"bad json", "{", "k13", 400, "bad_request"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.key != "" {
				hdr = []string{"Idempotency-Key", tt.key}
			}
			r := e.do("POST", "/api/withdrawals", auth, tt.body, hdr...)
			if r.status != tt.status || r.errCode() != tt.code || r.errMessage() == "" {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	if m := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "GRAM", "amount": "1.95", "address": dest}, "Idempotency-Key", "x").errMessage(); !strings.Contains(m, "2.05 GRAM") || !strings.Contains(m, "0.1 GRAM fee") {
		t.Fatalf("insufficient message: %q", m)
	}
	if e.balance(20, store.TON.Symbol) != 2_000_000_000 || e.balance(20, "USDT") != 10_000_000 {
		t.Fatal("a refused withdrawal moved money")
	}
	if ws, _ := e.db.UserWithdrawals(context.Background(), 20, 10); len(ws) != 0 {
		t.Fatalf("refused withdrawals stored: %+v", ws)
	}

	// On mainnet a testnet-only address is refused with a clear reason; the
	// mainnet form is fine.
	m := newEnv(t, func(c *miniapp.Config) { c.Testnet = false })
	m.fund(20, store.TON.Symbol, 2_000_000_000)
	r := m.do("POST", "/api/withdrawals", m.auth(20), map[string]string{"asset": "GRAM", "amount": "1", "address": dest}, "Idempotency-Key", "n1")
	if r.status != 400 || r.errCode() != "wrong_network" || !strings.Contains(r.errMessage(), "testnet") {
		t.Fatalf("testnet address on mainnet: %d %s", r.status, r.body)
	}
	if r := m.do("POST", "/api/withdrawals", m.auth(20), map[string]string{"asset": "GRAM", "amount": "1", "address": mainnetForm}, "Idempotency-Key", "n2"); r.status != 201 {
		t.Fatalf("mainnet address on mainnet: %d %s", r.status, r.body)
	}
}

func TestWithdrawal(t *testing.T) {
	e := newEnv(t)
	w := newTestWallet(t, 22)
	e.linkWallet(23, w)
	e.fund(23, store.TON.Symbol, 5_000_000_000)
	e.fund(23, "USDT", 10_000_000)
	auth := e.auth(23)

	// No address: the linked wallet.
	r := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "TON", "amount": "1.5"}, "Idempotency-Key", "w1")
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var a withdrawalAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	got := a.Withdrawal
	if got.Asset != "GRAM" || got.Amount != "1500000000" || got.Fee != "100000000" || got.Formatted != "1.5" || got.FeeFormatted != "0.1" ||
		got.FeeAsset != "GRAM" || got.Destination != ton.FormatAddress(w.addr, true) || got.Status != store.WithdrawalQueued {
		t.Fatalf("withdrawal: %s", r.body)
	}
	if b := e.balance(23, store.TON.Symbol); b != 3_400_000_000 {
		t.Fatalf("balance %d", b)
	}
	// Replay: the first withdrawal, 200, nothing debited again.
	r2 := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "TON", "amount": "1.5"}, "Idempotency-Key", "w1")
	var a2 withdrawalAnswer
	_ = json.Unmarshal(r2.body, &a2)
	if r2.status != 200 || a2.Withdrawal.ID != got.ID {
		t.Fatalf("replay: %d %s", r2.status, r2.body)
	}
	if b := e.balance(23, store.TON.Symbol); b != 3_400_000_000 {
		t.Fatalf("replay debited: %d", b)
	}
	if r := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "GRAM", "amount": "2"}, "Idempotency-Key", "w1"); r.status != 409 || r.errCode() != "idempotency_conflict" {
		t.Fatalf("key reused for other terms: %d %s", r.status, r.body)
	}

	g := e.do("GET", fmt.Sprintf("/api/withdrawals/%d", got.ID), auth, nil)
	if g.status != 200 || !strings.Contains(string(g.body), `"status":"queued"`) {
		t.Fatalf("get: %d %s", g.status, g.body)
	}
	for _, p := range []string{fmt.Sprintf("/api/withdrawals/%d", got.ID+100), "/api/withdrawals/abc"} {
		if r := e.do("GET", p, auth, nil); r.status != 404 {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
	if r := e.do("GET", fmt.Sprintf("/api/withdrawals/%d", got.ID), e.auth(24), nil); r.status != 404 {
		t.Fatalf("other user's withdrawal: %d", r.status)
	}

	// Jetton: the fee is charged in Gram.
	r = e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "USDT", "amount": "2", "address": ton.FormatAddress(w.addr, false)}, "Idempotency-Key", "w2")
	if r.status != 201 {
		t.Fatalf("jetton: %d %s", r.status, r.body)
	}
	var j withdrawalAnswer
	_ = json.Unmarshal(r.body, &j)
	if j.Withdrawal.Fee != "50000000" || j.Withdrawal.FeeAsset != "GRAM" || j.Withdrawal.FeeFormatted != "0.05" || j.Withdrawal.Formatted != "2" {
		t.Fatalf("jetton withdrawal: %s", r.body)
	}
	if e.balance(23, "USDT") != 8_000_000 || e.balance(23, store.TON.Symbol) != 3_350_000_000 {
		t.Fatalf("balances %d %d", e.balance(23, "USDT"), e.balance(23, store.TON.Symbol))
	}

	// Above the approval threshold it waits for an admin.
	e.fund(23, store.TON.Symbol, 200_000_000_000)
	r = e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "GRAM", "amount": "150"}, "Idempotency-Key", "w3")
	if r.status != 201 || !strings.Contains(string(r.body), `"status":"awaiting_approval"`) {
		t.Fatalf("approval: %d %s", r.status, r.body)
	}
	e.audit()
}

func TestJettonWithdrawalNeedsTONForFee(t *testing.T) {
	e := newEnv(t)
	e.fund(25, "USDT", 10_000_000)
	e.fund(25, store.TON.Symbol, 10_000_000) // 0.01 GRAM: less than the 0.05 GRAM fee
	r := e.do("POST", "/api/withdrawals", e.auth(25), map[string]string{"asset": "USDT", "amount": "5", "address": ton.FormatAddress(newTestWallet(t, 26).addr, true)}, "Idempotency-Key", "j1")
	if r.status != 409 || r.errCode() != "fee_not_covered" || !strings.Contains(r.errMessage(), "fee is charged in Gram") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if e.balance(25, "USDT") != 10_000_000 || e.balance(25, store.TON.Symbol) != 10_000_000 {
		t.Fatal("money moved")
	}
}

func TestConcurrentWithdrawalsNeverOverdraw(t *testing.T) {
	e := newEnvRules(t, func(r *store.Rules) { r.MaxQueuedWithdrawals = 100 })
	// 10 withdrawals of 1 GRAM with a 0.1 GRAM fee.
	e.fund(30, store.TON.Symbol, 11_000_000_000)
	auth := e.auth(30)
	dest := ton.FormatAddress(newTestWallet(t, 31).addr, true)
	if r := e.do("GET", "/api/me", auth, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": "GRAM", "amount": "1", "address": dest}, "Idempotency-Key", fmt.Sprintf("c%d", i))
			k := fmt.Sprint(r.status)
			if c := r.errCode(); c != "" {
				k += " " + c
			}
			mu.Lock()
			codes[k]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["201"] != 10 || codes["409 insufficient_funds"] != 90 || len(codes) != 2 {
		t.Fatalf("answers: %v", codes)
	}
	if b := e.balance(30, store.TON.Symbol); b != 0 {
		t.Fatalf("balance %d", b)
	}
	ws, err := e.db.UserWithdrawals(context.Background(), 30, 1000)
	if err != nil || len(ws) != 10 {
		t.Fatalf("withdrawals %d %v", len(ws), err)
	}
	e.audit()
}

func TestPackagesAndPurchases(t *testing.T) {
	e := newEnv(t)
	auth := e.auth(40)
	r := e.do("GET", "/api/packages", auth, nil)
	if r.status != 200 || string(r.body) != `{"packages":[{"name":"starter","asset":"GRAM","price":"1500000000","formatted":"1.5","credits":100},{"name":"pro","asset":"USDT","price":"5000000","formatted":"5","credits":1000}]}`+"\n" {
		t.Fatalf("packages: %d %s", r.status, r.body)
	}

	e.fund(40, store.TON.Symbol, 1_000_000_000)
	r = e.do("POST", "/api/purchases", auth, map[string]string{"package": "starter"})
	if r.status != 409 || r.errCode() != "insufficient_funds" || !strings.Contains(r.errMessage(), "Top up 0.5 GRAM") {
		t.Fatalf("insufficient: %d %s", r.status, r.body)
	}
	if e.balance(40, store.TON.Symbol) != 1_000_000_000 || e.balance(40, "CREDITS") != 0 {
		t.Fatal("a refused purchase moved money")
	}
	if r := e.do("POST", "/api/purchases", auth, map[string]string{"package": "mega"}); r.status != 404 || r.errCode() != "unknown_package" {
		t.Fatalf("unknown package: %d %s", r.status, r.body)
	}

	e.fund(40, store.TON.Symbol, 2_000_000_000)
	r = e.do("POST", "/api/purchases", auth, map[string]string{"package": "starter"}, "Idempotency-Key", "p1")
	if r.status != 201 {
		t.Fatalf("buy: %d %s", r.status, r.body)
	}
	var got struct {
		Purchase struct {
			Package, Asset, Price string
			Credits               int64
		}
		Balances []struct{ Asset, Amount, Formatted string }
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Purchase.Package != "starter" || got.Purchase.Price != "1500000000" || got.Purchase.Credits != 100 {
		t.Fatalf("purchase: %s", r.body)
	}
	want := map[string]string{"GRAM": "1.5", "USDT": "0", "CREDITS": "100"}
	for _, b := range got.Balances {
		if want[b.Asset] != b.Formatted {
			t.Fatalf("balances: %s", r.body)
		}
		delete(want, b.Asset)
	}
	if len(want) != 0 {
		t.Fatalf("balances missing %v", want)
	}
	r = e.do("POST", "/api/purchases", auth, map[string]string{"package": "starter"}, "Idempotency-Key", "p1")
	if r.status != 200 || e.balance(40, "CREDITS") != 100 || e.balance(40, store.TON.Symbol) != 1_500_000_000 {
		t.Fatalf("replay: %d %s credits %d", r.status, r.body, e.balance(40, "CREDITS"))
	}
	if b, _ := e.db.Balance(context.Background(), store.AccountSales, store.TON.Symbol); b != 1_500_000_000 {
		t.Fatalf("sales %d", b)
	}
	e.audit()
}
