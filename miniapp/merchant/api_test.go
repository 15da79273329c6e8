package merchant_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// USDT master and the deposit address used by the merchant API tests.
const (
	merchantUSDTMaster = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"
	merchantDeposit    = "0:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
	// A testnet-only payout address (0Q..) and a plain one.
	merchantPayoutTo = "0:" + "cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34"
)

var merchantAssets = []store.Asset{store.TON, {Symbol: "USDT", Decimals: 6, Master: merchantUSDTMaster}}

type merchantRig struct {
	t    *testing.T
	db   *store.DB
	echo *echo.Echo
	srv  *httptest.Server
	cfg  merchant.Config
}

func merchantAddr(t testing.TB, s string) *address.Address {
	t.Helper()
	a, err := ton.ParseAddress(s, true)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func merchantConfig(t testing.TB) merchant.Config {
	return merchant.Config{
		Testnet:        true,
		DepositAddress: merchantAddr(t, merchantDeposit),
		Assets:         merchantAssets,
		BotUsername:    "tonpay_bot",
		AppName:        "pay",
		RateLimit:      1000,
		RateBurst:      1000,
	}
}

func openMerchantStore(t testing.TB, opts ...store.Option) *store.DB {
	t.Helper()
	db := storetest.OpenWith(t, storetest.Config{Options: opts, Assets: merchantAssets})
	return db
}

// merchantRules is the rule book of the merchant API tests.
func merchantRules(t testing.TB) store.Rules {
	return store.Rules{Assets: merchantAssets, InvoiceTTL: 20 * time.Minute, InvoiceMaxTTL: 24 * time.Hour,
		WithdrawFee:      map[string]store.Amount{store.TON.Symbol: 100_000_000},
		WithdrawMin:      map[string]store.Amount{store.TON.Symbol: 500_000_000, "USDT": 1_000_000},
		ParseDestination: ton.Destinations(true),
		Own:              func() []string { return []string{merchantAddr(t, merchantDeposit).Bounce(true).StringRaw()} }}
}

func newMerchantRig(t *testing.T, edit func(*merchant.Config), rules ...func(*store.Rules)) *merchantRig {
	t.Helper()
	cfg := merchantConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	db := openMerchantStore(t)
	rs := merchantRules(t)
	rs.ParseDestination = ton.Destinations(cfg.Testnet)
	for _, f := range rules {
		f(&rs)
	}
	cfg.Policy = store.NewPolicy(db, rs)
	e := echo.New()
	merchant.New(cfg, db, merchantQuietLog).Register(e.Group("/api/v1"))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &merchantRig{t: t, db: db, echo: e, srv: srv, cfg: cfg}
}

func (r *merchantRig) merchant(name string) (store.Merchant, string) {
	r.t.Helper()
	m, token, err := r.db.CreateMerchant(context.Background(), name, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return m, token
}

// fund credits a merchant as a paid invoice would (hot wallet -> merchant).
func (r *merchantRig) fund(m store.Merchant, asset string, amt store.Amount) {
	r.t.Helper()
	_, err := r.db.Post(context.Background(), store.Transfer{Key: fmt.Sprintf("fund:%d:%s:%d", m.ID, asset, amt), Kind: store.TransferDeposit,
		Postings: []store.Posting{{Account: store.AccountHot, Asset: asset, Amount: -amt}, {Account: store.MerchantAccount(m.ID), Asset: asset, Amount: amt}}})
	if err != nil {
		r.t.Fatal(err)
	}
}

type merchantAnswer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (a merchantAnswer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (a merchantAnswer) str(k string) string { s, _ := a.body[k].(string); return s }

// call sends a request; body is JSON-encoded unless it is a string or
// []byte, which go as they are.
func (r *merchantRig) call(method, path, token string, body any) merchantAnswer {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, r.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := merchantAnswer{status: resp.StatusCode, header: resp.Header, raw: raw}
	json.Unmarshal(raw, &a.body)
	return a
}

func (r *merchantRig) expect(a merchantAnswer, status int, code string) {
	r.t.Helper()
	if a.status != status || a.code() != code {
		r.t.Fatalf("got %d %s, want %d %q", a.status, a.raw, status, code)
	}
	if code != "" {
		e, _ := a.body["error"].(map[string]any)
		if msg, _ := e["message"].(string); msg == "" {
			r.t.Fatalf("error without a message: %s", a.raw)
		}
	}
}

func TestMerchantAuth(t *testing.T) {
	r := newMerchantRig(t, nil)
	m, token := r.merchant("shop")
	for _, tt := range []struct{ name, header string }{
		{"missing", ""},
		{"wrong token", "Bearer tp_0000000000000000000000000000000000000000000000000"},
		{"garbage token", "Bearer hello"},
		{"basic scheme", "Basic " + token},
		{"token without scheme", token},
		{"empty bearer", "Bearer "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, route := range [][2]string{{"GET", "/api/v1/balance"}, {"POST", "/api/v1/invoices"}, {"GET", "/api/v1/invoices"},
				{"POST", "/api/v1/payouts"}, {"GET", "/api/v1/payouts/1"}, {"GET", "/api/v1/invoices/inv_x"}} {
				req, _ := http.NewRequest(route[0], r.srv.URL+route[1], strings.NewReader(`{"asset":"TON","amount":"1"}`))
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body struct {
					Error struct{ Code, Message string }
				}
				json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode != 401 || body.Error.Code != "unauthorized" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("%v: %d %+v", route, resp.StatusCode, body)
				}
			}
		})
	}
	r.expect(r.call("GET", "/api/v1/balance", token, nil), 200, "")
	// The scheme is case-insensitive.
	req, _ := http.NewRequest("GET", r.srv.URL+"/api/v1/balance", nil)
	req.Header.Set("Authorization", "bearer "+token)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 200 {
		t.Fatalf("lower-case scheme: %d", resp.StatusCode)
	}
	newToken, err := r.db.RotateToken(context.Background(), store.Operator, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.expect(r.call("GET", "/api/v1/balance", token, nil), 401, "unauthorized")
	r.expect(r.call("GET", "/api/v1/balance", newToken, nil), 200, "")
	if n, _ := r.db.MerchantInvoicesPage(context.Background(), m.ID, "", store.InvoiceCursor{}, 10); len(n) != 0 {
		t.Fatal("an unauthorized request created an invoice")
	}
}

func TestMerchantRateLimitPerToken(t *testing.T) {
	r := newMerchantRig(t, func(c *merchant.Config) { c.RateLimit, c.RateBurst = 0.5, 3 })
	_, a := r.merchant("a")
	_, b := r.merchant("b")
	for i := range 3 {
		r.expect(r.call("GET", "/api/v1/balance", a, nil), 200, "")
		_ = i
	}
	got := r.call("GET", "/api/v1/balance", a, nil)
	r.expect(got, 429, "rate_limited")
	if s, err := strconv.Atoi(got.header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Fatalf("Retry-After = %q", got.header.Get("Retry-After"))
	}
	r.expect(r.call("POST", "/api/v1/invoices", a, map[string]any{"asset": "GRAM", "amount": "1"}), 429, "rate_limited")
	// Another token has its own budget; refused requests did not spend a's.
	r.expect(r.call("GET", "/api/v1/balance", b, nil), 200, "")
	if n, _ := r.db.MerchantInvoicesPage(context.Background(), 1, "", store.InvoiceCursor{}, 10); len(n) != 0 {
		t.Fatal("a rate-limited request created an invoice")
	}
	// Bad tokens are refused before the limiter: they do not use a's budget either.
	r.expect(r.call("GET", "/api/v1/balance", "tp_nope", nil), 401, "unauthorized")
}

func TestMerchantCreateInvoice(t *testing.T) {
	r := newMerchantRig(t, nil)
	_, token := r.merchant("shop")
	before := time.Now()
	got := r.call("POST", "/api/v1/invoices", token, map[string]any{
		"asset": "TON", "amount": "1.5", "description": "Order #42", "payload": `{"order":42}`, "external_id": "order-42"})
	r.expect(got, 201, "")
	b := got.body
	id := got.str("id")
	addr := ton.FormatAddress(r.cfg.DepositAddress, true)
	want := map[string]any{"status": "created", "asset": "GRAM", "amount": "1.5", "amount_units": "1500000000", "paid": "0",
		"decimals": float64(9), "description": "Order #42", "payload": `{"order":42}`, "external_id": "order-42",
		"address": addr, "pay_url": "https://t.me/tonpay_bot/pay?startapp=" + id, "paid_at": nil}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("%s = %#v, want %#v", k, b[k], v)
		}
	}
	if !strings.HasPrefix(id, "inv_") {
		t.Fatalf("id %q", id)
	}
	comment := got.str("comment")
	if comment == "" || got.str("link") != ton.TransferLink(r.cfg.DepositAddress, true, 1_500_000_000, comment) {
		t.Fatalf("comment %q link %q", comment, got.str("link"))
	}
	exp, err := time.Parse(time.RFC3339, got.str("expires_at"))
	if err != nil || exp.Before(before.Add(20*time.Minute-time.Second)) || exp.After(time.Now().Add(20*time.Minute+time.Second)) {
		t.Fatalf("expires_at %v, want in 20 minutes", got.str("expires_at"))
	}
	inv, err := r.db.Invoice(context.Background(), id)
	if err != nil || inv.Amount != 1_500_000_000 || inv.Comment != comment || inv.Payload != `{"order":42}` {
		t.Fatalf("stored %+v, %v", inv, err)
	}

	// A jetton invoice: the link is a jetton transfer; expires_in is used.
	got = r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "usdt", "amount": "2.000001", "expires_in": 3600})
	r.expect(got, 201, "")
	if got.str("asset") != "USDT" || got.str("amount_units") != "2000001" || got.str("amount") != "2.000001" ||
		!strings.Contains(got.str("link"), "jetton=") || got.body["external_id"] != nil || got.str("jetton_master") == "" {
		t.Fatalf("jetton invoice: %s", got.raw)
	}
	exp, _ = time.Parse(time.RFC3339, got.str("expires_at"))
	if d := time.Until(exp); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expires in %v, want an hour", d)
	}
	r.expect(r.call("GET", "/api/v1/invoices/"+id, token, nil), 200, "")

	// Without an app name the pay_url opens the bot.
	r2 := newMerchantRig(t, func(c *merchant.Config) { c.AppName = "" })
	_, token2 := r2.merchant("shop")
	got = r2.call("POST", "/api/v1/invoices", token2, map[string]any{"asset": "GRAM", "amount": "1"})
	if got.str("pay_url") != "https://t.me/tonpay_bot?start="+got.str("id") {
		t.Fatalf("pay_url %q", got.str("pay_url"))
	}
}

func TestMerchantInvoiceExternalIDIsIdempotent(t *testing.T) {
	r := newMerchantRig(t, nil)
	m, token := r.merchant("shop")
	_, other := r.merchant("other")
	req := map[string]any{"asset": "GRAM", "amount": "3", "external_id": "order-1"}
	first := r.call("POST", "/api/v1/invoices", token, req)
	r.expect(first, 201, "")
	again := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "3.0", "external_id": "order-1", "description": "retry"})
	r.expect(again, 200, "")
	if again.str("id") != first.str("id") || again.str("comment") != first.str("comment") {
		t.Fatalf("replay returned another invoice: %s vs %s", again.raw, first.raw)
	}
	r.expect(r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "4", "external_id": "order-1"}), 409, "external_id_conflict")
	r.expect(r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "USDT", "amount": "3", "external_id": "order-1"}), 409, "external_id_conflict")
	// Another merchant's external ids are its own.
	r.expect(r.call("POST", "/api/v1/invoices", other, req), 201, "")

	// Concurrent requests with one external_id make one invoice.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]int{}
	statuses := map[int]int{}
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "5", "external_id": "race"})
			mu.Lock()
			ids[a.str("id")]++
			statuses[a.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(ids) != 1 || statuses[201] != 1 || statuses[200] != 11 {
		t.Fatalf("concurrent creates: ids %v statuses %v", ids, statuses)
	}
	invs, _ := r.db.MerchantInvoicesPage(context.Background(), m.ID, "", store.InvoiceCursor{}, 100)
	if len(invs) != 2 {
		t.Fatalf("merchant has %d invoices, want 2", len(invs))
	}
}

func TestMerchantValidationChangesNothing(t *testing.T) {
	r := newMerchantRig(t, nil)
	m, token := r.merchant("shop")
	r.fund(m, store.TON.Symbol, 1_000_000_000)
	ctx := context.Background()
	big := strings.Repeat("x", 4097)
	invoices := []struct {
		name string
		body any
		code string
	}{
		{"unknown asset", map[string]any{"asset": "BTC", "amount": "1"}, "unknown_asset"},
		{"no asset", map[string]any{"amount": "1"}, "unknown_asset"},
		{"too many decimals", map[string]any{"asset": "GRAM", "amount": "1.0000000001"}, "invalid_amount"},
		{"usdt decimals", map[string]any{"asset": "USDT", "amount": "1.0000001"}, "invalid_amount"},
		{"negative", map[string]any{"asset": "GRAM", "amount": "-1"}, "invalid_amount"},
		{"zero", map[string]any{"asset": "GRAM", "amount": "0"}, "invalid_amount"},
		{"exponent", map[string]any{"asset": "GRAM", "amount": "1e3"}, "invalid_amount"},
		{"overflow", map[string]any{"asset": "GRAM", "amount": "99999999999999999999"}, "invalid_amount"},
		{"number amount", `{"asset":"TON","amount":1.5}`, "bad_request"},
		{"payload too big", map[string]any{"asset": "GRAM", "amount": "1", "payload": big}, "bad_request"},
		{"description too long", map[string]any{"asset": "GRAM", "amount": "1", "description": big[:1025]}, "bad_request"},
		{"expires too soon", map[string]any{"asset": "GRAM", "amount": "1", "expires_in": 10}, "bad_request"},
		{"expires too late", map[string]any{"asset": "GRAM", "amount": "1", "expires_in": 25 * 3600}, "bad_request"},
		{"expires not a number", `{"asset":"TON","amount":"1","expires_in":"60"}`, "bad_request"},
		{"external id control chars", map[string]any{"asset": "GRAM", "amount": "1", "external_id": "a\nb"}, "bad_request"},
		{"external id too long", map[string]any{"asset": "GRAM", "amount": "1", "external_id": big[:129]}, "bad_request"},
		{"unknown field", map[string]any{"asset": "GRAM", "amount": "1", "expire_in": 60}, "bad_request"},
		{"not json", "asset=TON", "bad_request"},
		{"two objects", `{"asset":"TON","amount":"1"}{}`, "bad_request"},
		{"array", `[]`, "bad_request"},
	}
	for _, tt := range invoices {
		t.Run("invoice "+tt.name, func(t *testing.T) {
			r.expect(r.call("POST", "/api/v1/invoices", token, tt.body), 400, tt.code)
		})
	}
	r.expect(r.call("POST", "/api/v1/invoices", token, []byte(`{"asset":"TON","amount":"1","payload":"`+strings.Repeat("y", 20<<10)+`"}`)), 413, "payload_too_large")

	mainnetOnly, _ := ton.ParseAddress(merchantPayoutTo, true)
	payouts := []struct {
		name string
		body any
		code string
		want int
	}{
		{"no spend id", map[string]any{"asset": "GRAM", "amount": "1", "address": merchantPayoutTo}, "bad_request", 400},
		{"bad address", map[string]any{"asset": "GRAM", "amount": "1", "address": "EQnope", "spend_id": "p"}, "invalid_address", 400},
		{"checksum", map[string]any{"asset": "GRAM", "amount": "1", "address": merchantFlipLast(ton.FormatAddress(mainnetOnly, true)), "spend_id": "p"}, "invalid_address", 400},
		{"own deposit address", map[string]any{"asset": "GRAM", "amount": "1", "address": merchantDeposit, "spend_id": "p"}, "own_address", 400},
		{"below minimum", map[string]any{"asset": "GRAM", "amount": "0.4", "address": merchantPayoutTo, "spend_id": "p"}, "below_minimum", 400},
		{"too many decimals", map[string]any{"asset": "GRAM", "amount": "0.0000000001", "address": merchantPayoutTo, "spend_id": "p"}, "invalid_amount", 400},
		{"unknown asset", map[string]any{"asset": "XYZ", "amount": "1", "address": merchantPayoutTo, "spend_id": "p"}, "unknown_asset", 400},
		{"insufficient", map[string]any{"asset": "GRAM", "amount": "0.95", "address": merchantPayoutTo, "spend_id": "p"}, "insufficient_funds", 409},
		{"no usdt", map[string]any{"asset": "USDT", "amount": "5", "address": merchantPayoutTo, "spend_id": "p"}, "insufficient_funds", 409},
		{"long comment", map[string]any{"asset": "GRAM", "amount": "0.5", "address": merchantPayoutTo, "spend_id": "p", "comment": big[:121]}, "bad_request", 400},
	}
	for _, tt := range payouts {
		t.Run("payout "+tt.name, func(t *testing.T) {
			r.expect(r.call("POST", "/api/v1/payouts", token, tt.body), tt.want, tt.code)
		})
	}
	if invs, _ := r.db.MerchantInvoicesPage(ctx, m.ID, "", store.InvoiceCursor{}, 10); len(invs) != 0 {
		t.Fatalf("refused requests created %d invoices", len(invs))
	}
	if b, _ := r.db.MerchantBalances(ctx, m.ID); b[store.TON.Symbol] != 1_000_000_000 {
		t.Fatalf("refused payouts moved the balance: %v", b)
	}
	if ws, _ := r.db.Withdrawals(ctx, store.WithdrawalQueued, 10); len(ws) != 0 {
		t.Fatalf("refused payouts queued %d withdrawals", len(ws))
	}
	// The same spend_id still works after all those refusals.
	r.expect(r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "0.5", "address": merchantPayoutTo, "spend_id": "p"}), 201, "")
	storetest.Audit(t, r.db)
}

// merchantFlipLast changes the last character of a user-friendly address, breaking
// its checksum.
func merchantFlipLast(s string) string {
	if s[len(s)-1] == 'A' {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

func TestMerchantPayouts(t *testing.T) {
	r := newMerchantRig(t, nil, func(rs *store.Rules) {
		rs.ApprovalAbove = map[string]store.Amount{store.TON.Symbol: 5_000_000_000}
	})
	m, token := r.merchant("shop")
	_, otherToken := r.merchant("other")
	r.fund(m, store.TON.Symbol, 10_000_000_000)
	ctx := context.Background()
	req := map[string]any{"asset": "TON", "amount": "2.5", "address": merchantPayoutTo, "spend_id": "payout-1", "comment": "thanks"} // TON: the former code, an alias
	first := r.call("POST", "/api/v1/payouts", token, req)
	r.expect(first, 201, "")
	to := merchantAddr(t, merchantPayoutTo)
	want := map[string]any{"spend_id": "payout-1", "status": "queued", "asset": "GRAM", "amount": "2.5", "amount_units": "2500000000",
		"fee": "0.1", "fee_units": "100000000", "fee_asset": "GRAM", "address": ton.FormatAddress(to, true), "comment": "thanks"}
	for k, v := range want {
		if first.body[k] != v {
			t.Errorf("%s = %#v, want %#v", k, first.body[k], v)
		}
	}
	if b, _ := r.db.MerchantBalances(ctx, m.ID); b[store.TON.Symbol] != 7_400_000_000 {
		t.Fatalf("balance after payout %d, want 7.4 GRAM", b[store.TON.Symbol])
	}
	// The same spend_id, even with the address in another form and the asset by its new code: the same payout, no second debit.
	again := r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "2.50", "address": ton.FormatBounceable(to, true), "spend_id": "payout-1"})
	r.expect(again, 200, "")
	if again.body["id"] != first.body["id"] {
		t.Fatalf("replay: %s", again.raw)
	}
	if b, _ := r.db.MerchantBalances(ctx, m.ID); b[store.TON.Symbol] != 7_400_000_000 {
		t.Fatalf("balance after replay %d", b[store.TON.Symbol])
	}
	r.expect(r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "3", "address": merchantPayoutTo, "spend_id": "payout-1"}), 409, "idempotency_conflict")
	r.expect(r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "2.5", "address": merchantDeposit[:len(merchantDeposit)-1] + "0", "spend_id": "payout-1"}), 409, "idempotency_conflict")

	id := strconv.FormatFloat(first.body["id"].(float64), 'f', 0, 64)
	got := r.call("GET", "/api/v1/payouts/"+id, token, nil)
	r.expect(got, 200, "")
	if got.body["spend_id"] != "payout-1" {
		t.Fatalf("get payout: %s", got.raw)
	}
	r.expect(r.call("GET", "/api/v1/payouts/"+id, otherToken, nil), 404, "not_found")
	r.expect(r.call("GET", "/api/v1/payouts/abc", token, nil), 404, "not_found")

	big := r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "6", "address": merchantPayoutTo, "spend_id": "payout-2"})
	r.expect(big, 201, "")
	if big.str("status") != store.WithdrawalAwaitingApproval {
		t.Fatalf("a payout above the approval limit is %s", big.str("status"))
	}
	bal := r.call("GET", "/api/v1/balance", token, nil)
	r.expect(bal, 200, "")
	var balances struct {
		Balances []struct{ Asset, Amount, AmountUnits string }
	}
	json.Unmarshal(bal.raw, &balances)
	if len(balances.Balances) != 2 || balances.Balances[0].Asset != "GRAM" || balances.Balances[0].Amount != "1.3" || balances.Balances[1].Amount != "0" {
		t.Fatalf("balance: %s", bal.raw)
	}
	storetest.Audit(t, r.db)

	// Payouts run on the withdrawal machinery: a rejection refunds, and the
	// merchant hears of it by webhook (see webhooks_test.go).
	wid, _ := strconv.ParseInt(strconv.FormatFloat(big.body["id"].(float64), 'f', 0, 64), 10, 64)
	if _, err := r.db.RejectWithdrawal(ctx, store.AdminActor(1, ""), wid, "too large"); err != nil {
		t.Fatal(err)
	}
	got = r.call("GET", fmt.Sprintf("/api/v1/payouts/%d", wid), token, nil)
	if got.str("status") != "rejected" || got.str("failure_reason") != "too large" {
		t.Fatalf("rejected payout: %s", got.raw)
	}
	if b, _ := r.db.MerchantBalances(ctx, m.ID); b[store.TON.Symbol] != 7_400_000_000 {
		t.Fatalf("balance after the refund %d", b[store.TON.Symbol])
	}
	storetest.Audit(t, r.db)
}

func TestMerchantPayoutNetwork(t *testing.T) {
	r := newMerchantRig(t, func(c *merchant.Config) { c.Testnet = false })
	m, token := r.merchant("shop")
	r.fund(m, store.TON.Symbol, 10_000_000_000)
	testnetForm := ton.FormatAddress(merchantAddr(t, merchantPayoutTo), true)
	r.expect(r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "1", "address": testnetForm, "spend_id": "x"}), 400, "wrong_network")
	got := r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "GRAM", "amount": "1", "address": merchantPayoutTo, "spend_id": "x"})
	r.expect(got, 201, "")
	if got.str("address") != ton.FormatAddress(merchantAddr(t, merchantPayoutTo), false) {
		t.Fatalf("mainnet destination %q", got.str("address"))
	}
}

func TestMerchantSeesOnlyItsOwn(t *testing.T) {
	r := newMerchantRig(t, nil)
	_, a := r.merchant("a")
	_, b := r.merchant("b")
	inv := r.call("POST", "/api/v1/invoices", a, map[string]any{"asset": "GRAM", "amount": "1", "external_id": "x"})
	r.expect(inv, 201, "")
	r.expect(r.call("GET", "/api/v1/invoices/"+inv.str("id"), b, nil), 404, "not_found")
	r.expect(r.call("GET", "/api/v1/invoices/inv_doesnotexist", a, nil), 404, "not_found")
	list := r.call("GET", "/api/v1/invoices", b, nil)
	r.expect(list, 200, "")
	if items := list.body["items"].([]any); len(items) != 0 {
		t.Fatalf("b lists a's invoices: %s", list.raw)
	}
	// b's external_id "x" is not a's.
	r.expect(r.call("POST", "/api/v1/invoices", b, map[string]any{"asset": "GRAM", "amount": "2", "external_id": "x"}), 201, "")
}

func TestMerchantListInvoices(t *testing.T) {
	r := newMerchantRig(t, nil)
	m, token := r.merchant("shop")
	var created []string
	for i := range 5 {
		a := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": strconv.Itoa(i + 1)})
		r.expect(a, 201, "")
		created = append(created, a.str("id"))
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		page := r.call("GET", "/api/v1/invoices?"+q.Encode(), token, nil)
		r.expect(page, 200, "")
		for _, it := range page.body["items"].([]any) {
			seen = append(seen, it.(map[string]any)["id"].(string))
		}
		next, _ := page.body["next_cursor"].(string)
		if next == "" {
			if _, ok := page.body["next_cursor"]; !ok {
				t.Fatal("next_cursor missing")
			}
			break
		}
		cursor = next
	}
	// Pages of 2 list what one page of 100 lists, in the same order (newest
	// first; invoices of one millisecond by id), and every invoice once.
	whole := r.call("GET", "/api/v1/invoices?limit=100", token, nil)
	var all []string
	for _, it := range whole.body["items"].([]any) {
		all = append(all, it.(map[string]any)["id"].(string))
	}
	if !slices.Equal(seen, all) {
		t.Fatalf("pages listed %v, one page %v", seen, all)
	}
	slices.Sort(seen)
	slices.Sort(created)
	if !slices.Equal(seen, created) {
		t.Fatalf("pages listed %v, created %v", seen, created)
	}
	// Status filter.
	if _, err := r.db.ExpireInvoices(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	page := r.call("GET", "/api/v1/invoices?status=paid", token, nil)
	if items := page.body["items"].([]any); len(items) != 0 || page.body["next_cursor"] != nil {
		t.Fatalf("paid: %s", page.raw)
	}
	page = r.call("GET", "/api/v1/invoices?status=created&limit=100", token, nil)
	if items := page.body["items"].([]any); len(items) != 5 {
		t.Fatalf("created: %d", len(items))
	}
	r.expect(r.call("GET", "/api/v1/invoices?status=weird", token, nil), 400, "bad_request")
	r.expect(r.call("GET", "/api/v1/invoices?limit=0", token, nil), 400, "bad_request")
	r.expect(r.call("GET", "/api/v1/invoices?limit=101", token, nil), 400, "bad_request")
	r.expect(r.call("GET", "/api/v1/invoices?cursor=!!", token, nil), 400, "invalid_cursor")
	_ = m
}

func TestMerchantUnknownRoute(t *testing.T) {
	r := newMerchantRig(t, nil)
	_, token := r.merchant("shop")
	r.expect(r.call("GET", "/api/v1/nope", token, nil), 404, "not_found")
	r.expect(r.call("GET", "/api/v1/nope", "", nil), 404, "not_found")
}

func TestMerchantOpenAPIListsEveryRoute(t *testing.T) {
	r := newMerchantRig(t, nil)
	got := r.call("GET", "/api/v1/openapi.json", "", nil) // public: no token
	if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", got.status, got.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Servers []struct{ URL string }                `json:"servers"`
	}
	if err := json.Unmarshal(got.raw, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %+v", doc.OpenAPI, doc.Servers)
	}
	routes := 0
	documented := map[string]bool{}
	for _, rt := range r.echo.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Method == echo.RouteNotFound {
			continue
		}
		routes++
		p := strings.TrimPrefix(rt.Path, "/api/v1")
		for _, part := range strings.Split(p, "/") {
			if strings.HasPrefix(part, ":") {
				p = strings.Replace(p, part, "{"+part[1:]+"}", 1)
			}
		}
		op, ok := doc.Paths[p][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s is not documented", rt.Method, p)
			continue
		}
		var o struct {
			Responses map[string]json.RawMessage `json:"responses"`
		}
		json.Unmarshal(op, &o)
		if len(o.Responses) == 0 {
			t.Errorf("%s %s documents no responses", rt.Method, p)
		}
		documented[strings.ToLower(rt.Method)+" "+p] = true
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !documented[m+" "+p] {
				t.Errorf("documented %s %s is not a route", m, p)
			}
		}
	}
	if routes != 7 {
		t.Fatalf("%d routes under /api/v1, want 7", routes)
	}
	// Every $ref points at something.
	var all map[string]any
	json.Unmarshal(got.raw, &all)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "$ref" {
					ref := strings.TrimPrefix(c.(string), "#/")
					var node any = all
					for _, part := range strings.Split(ref, "/") {
						node = node.(map[string]any)[part]
						if node == nil {
							t.Errorf("dangling $ref %s", c)
							return
						}
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(all)
}

// A machine's amount is never guessed: "1,500" from an en-US formatter is
// 1500, from a German one 1.5. Any comma or space is refused with 400, a
// message saying how to write it, and nothing created.
func TestMerchantAmountsAreNeverGuessed(t *testing.T) {
	r := newMerchantRig(t, nil)
	m, token := r.merchant("shop")
	r.fund(m, store.TON.Symbol, 10_000_000_000)
	for i, amount := range []string{"1,500", "1,5", "1 500", " 1 ", "1.5\n", "1\u00a0500", "1.000,5"} {
		for _, call := range []struct {
			path string
			body map[string]any
		}{
			{"/api/v1/invoices", map[string]any{"asset": "TON", "amount": amount}},
			{"/api/v1/payouts", map[string]any{"asset": "TON", "amount": amount, "address": merchantPayoutTo, "spend_id": fmt.Sprint("p", i)}},
		} {
			got := r.call("POST", call.path, token, call.body)
			r.expect(got, 400, "invalid_amount")
			if e, _ := got.body["error"].(map[string]any); !strings.Contains(fmt.Sprint(e["message"]), "like 1500 or 1.5") {
				t.Fatalf("%s %q: the message does not say how to write it: %s", call.path, amount, got.raw)
			}
		}
	}
	if list := r.call("GET", "/api/v1/invoices", token, nil); list.status != 200 || strings.Contains(string(list.raw), `"id"`) {
		t.Fatalf("invoices created: %s", list.raw)
	}
	if b, err := r.db.Balance(context.Background(), store.MerchantAccount(m.ID), store.TON.Symbol); err != nil || b != 10_000_000_000 {
		t.Fatalf("balance %d %v", b, err)
	}
	if h, err := r.db.Balance(context.Background(), store.AccountHold, store.TON.Symbol); err != nil || h != 0 {
		t.Fatalf("hold %d %v", h, err)
	}
	// Written as a machine writes it, the same amount is fine.
	r.expect(r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "TON", "amount": "1500"}), 201, "")
	r.expect(r.call("POST", "/api/v1/payouts", token, map[string]any{"asset": "TON", "amount": "1.5", "address": merchantPayoutTo, "spend_id": "ok"}), 201, "")
}

// own_address gives an invoice a deposit address of its own: shown with no
// comment and a link without one, distinct per invoice; without deposit
// addresses in the service the request is refused and creates nothing.
func TestMerchantInvoiceOwnAddress(t *testing.T) {
	r := newMerchantRig(t, nil)
	m, token := r.merchant("shop")
	ctx := context.Background()
	got := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "2", "own_address": true})
	r.expect(got, 503, "own_address_unavailable")
	if invs, _ := r.db.MerchantInvoices(ctx, m.ID, "", 10); len(invs) != 0 {
		t.Fatalf("%d invoices after a refused request", len(invs))
	}

	keys, err := ton.NewDepositKeys(strings.Fields("olympic crawl ethics wire junior access acoustic fetch learn job switch happy "+
		"cricket coin cloud catalog very nation sense bachelor safe thumb exhibit trust"), true)
	if err != nil {
		t.Fatal(err)
	}
	r.db.SetDepositDeriver(keys.Deriver())
	a := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "2", "own_address": true})
	r.expect(a, 201, "")
	b := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "2", "own_address": true})
	r.expect(b, 201, "")
	hot := ton.FormatAddress(r.cfg.DepositAddress, true)
	if a.str("address") == hot || a.str("address") == b.str("address") || a.body["own_address"] != true {
		t.Fatalf("own addresses %q and %q (hot %q): %s", a.str("address"), b.str("address"), hot, a.raw)
	}
	if a.str("comment") != "" || strings.Contains(a.str("link"), "text=") || !strings.Contains(a.str("link"), a.str("address")) {
		t.Fatalf("comment %q link %q", a.str("comment"), a.str("link"))
	}
	inv, err := r.db.Invoice(ctx, a.str("id"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ton.DepositAddressText(inv.Address, true)
	if err != nil || want != a.str("address") {
		t.Fatalf("stored address %q shown as %q, answered %q", inv.Address, want, a.str("address"))
	}
	// A plain invoice is unchanged: the service's address and a comment.
	c := r.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "2"})
	r.expect(c, 201, "")
	if c.str("address") != hot || c.str("comment") == "" || c.body["own_address"] != nil {
		t.Fatalf("plain invoice: %s", c.raw)
	}
}
