package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// starsTelegram stands in for Telegram on both sides of a Stars payment:
// the Bot API the service calls (createInvoiceLink, long polling that
// delivers pre_checkout_query and successful_payment, answerPreCheckoutQuery,
// getStarTransactions listing what was paid) and the client that pays the
// invoice the page opens (POST /invoice {slug} → {status}).
type starsTelegram struct {
	t   *testing.T
	api *httptest.Server
	app *httptest.Server

	mu       sync.Mutex
	user     int64
	invoices map[string]url.Values // slug → the createInvoiceLink form
	updates  []map[string]any
	answers  map[string]url.Values // pre_checkout_query_id → the answer
	paid     []map[string]any      // star transactions Telegram lists
	links    int
	edits    []url.Values // editUserStarSubscription calls
}

func newStarsTelegram(t *testing.T, user int64) *starsTelegram {
	s := &starsTelegram{t: t, user: user, invoices: map[string]url.Values{}, answers: map[string]url.Values{}}
	s.api = httptest.NewServer(http.HandlerFunc(s.botAPI))
	s.app = httptest.NewServer(http.HandlerFunc(s.client))
	t.Cleanup(s.api.Close)
	t.Cleanup(s.app.Close)
	return s
}

func (s *starsTelegram) botAPI(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	_ = r.ParseMultipartForm(1 << 20)
	var result any = true
	switch method {
	case "getMe":
		result = map[string]any{"id": 123456, "is_bot": true, "first_name": "tonpay", "username": "tonpay_test_bot"}
	case "createInvoiceLink":
		s.mu.Lock()
		s.links++
		slug := fmt.Sprintf("e2e-invoice-%d", s.links)
		s.invoices[slug] = r.Form
		s.mu.Unlock()
		result = "https://t.me/$" + slug
	case "answerPreCheckoutQuery":
		s.mu.Lock()
		s.answers[r.FormValue("pre_checkout_query_id")] = r.Form
		s.mu.Unlock()
	case "getStarTransactions":
		s.mu.Lock()
		txs := append([]map[string]any{}, s.paid...)
		s.mu.Unlock()
		if r.FormValue("offset") != "" && r.FormValue("offset") != "0" {
			txs = nil
		}
		result = map[string]any{"transactions": txs}
	case "editUserStarSubscription":
		s.mu.Lock()
		s.edits = append(s.edits, r.Form)
		s.mu.Unlock()
	case "getMyStarBalance":
		result = map[string]any{"amount": 0}
	case "getUpdates":
		offset, _ := strconv.Atoi(r.FormValue("offset"))
		deadline := time.Now().Add(300 * time.Millisecond)
		var out []map[string]any
		for {
			s.mu.Lock()
			for _, u := range s.updates {
				if u["update_id"].(int) >= offset {
					out = append(out, u)
				}
			}
			s.mu.Unlock()
			if len(out) > 0 || time.Now().After(deadline) || r.Context().Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if out == nil {
			out = []map[string]any{}
		}
		result = out
	case "sendMessage", "sendPhoto", "editMessageText":
		result = map[string]any{"message_id": 1, "date": time.Now().Unix(), "chat": map[string]any{"id": s.user, "type": "private"}}
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func (s *starsTelegram) push(u map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u["update_id"] = len(s.updates) + 1
	s.updates = append(s.updates, u)
}

// client pays an invoice as the user's Telegram app does: a
// pre_checkout_query the bot must approve within 10 s, then the
// successful_payment message.
func (s *starsTelegram) client(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/subscription" {
		s.subscriptionUpdate(w, r)
		return
	}
	var req struct{ Slug string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/invoice" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	inv, ok := s.invoices[req.Slug]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown invoice "+req.Slug, http.StatusNotFound)
		return
	}
	var prices []struct {
		Amount int `json:"amount"`
	}
	if err := json.Unmarshal([]byte(inv.Get("prices")), &prices); err != nil || len(prices) != 1 || inv.Get("currency") != "XTR" {
		http.Error(w, "not a Stars invoice: "+inv.Encode(), http.StatusBadRequest)
		return
	}
	total, payload := prices[0].Amount, inv.Get("payload")
	from := map[string]any{"id": s.user, "is_bot": false, "first_name": "Grace", "language_code": "en"}
	qid := "pcq-" + req.Slug
	s.push(map[string]any{"pre_checkout_query": map[string]any{"id": qid, "from": from, "currency": "XTR",
		"total_amount": total, "invoice_payload": payload}})
	var answer url.Values
	for deadline := time.Now().Add(10 * time.Second); answer == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			http.Error(w, "no answer to the pre-checkout query within 10 s", http.StatusGatewayTimeout)
			return
		}
		s.mu.Lock()
		answer = s.answers[qid]
		s.mu.Unlock()
	}
	if answer.Get("ok") != "true" {
		s.t.Logf("pre-checkout refused: %s", answer.Get("error_message"))
		json.NewEncoder(w).Encode(map[string]string{"status": "failed"})
		return
	}
	charge := "stxE2E" + req.Slug
	s.mu.Lock()
	s.paid = append(s.paid, map[string]any{"id": charge, "amount": total, "date": time.Now().Unix(), "source": map[string]any{
		"type": "user", "transaction_type": "invoice_payment", "user": from, "invoice_payload": payload}})
	s.mu.Unlock()
	sp := map[string]any{"currency": "XTR", "total_amount": total, "invoice_payload": payload,
		"telegram_payment_charge_id": charge, "provider_payment_charge_id": ""}
	if period, _ := strconv.Atoi(inv.Get("subscription_period")); period > 0 {
		sp["is_recurring"], sp["is_first_recurring"] = true, true
		sp["subscription_expiration_date"] = time.Now().Unix() + int64(period)
	}
	s.push(map[string]any{"message": map[string]any{"message_id": 10, "date": time.Now().Unix(),
		"chat": map[string]any{"id": s.user, "type": "private"}, "from": from, "successful_payment": sp}})
	json.NewEncoder(w).Encode(map[string]string{"status": "paid"})
}

// subscriptionUpdate has Telegram report a change to the user's latest
// subscription (POST /subscription {state}): a Bot API 10.2 subscription
// update, delivered by getUpdates.
func (s *starsTelegram) subscriptionUpdate(w http.ResponseWriter, r *http.Request) {
	var req struct{ State string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.State == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	payload := ""
	for i := 1; i <= s.links; i++ {
		if inv := s.invoices[fmt.Sprintf("e2e-invoice-%d", i)]; inv.Get("subscription_period") != "" {
			payload = inv.Get("payload")
		}
	}
	s.mu.Unlock()
	if payload == "" {
		http.Error(w, "no subscription", http.StatusConflict)
		return
	}
	s.push(map[string]any{"subscription": map[string]any{"user": map[string]any{"id": s.user, "is_bot": false, "first_name": "Grace",
		"language_code": "en"}, "invoice_payload": payload, "state": req.State}})
	json.NewEncoder(w).Encode(map[string]bool{"ok": true})
}

// TestMiniAppBuysStarsInBrowser: the page opens Telegram's invoice for a
// package priced in Stars, the Telegram stand-in takes the payment (the
// bot approves the pre-checkout from the rule book, then books the
// successful_payment) and closes the sheet as paid, and the page announces
// the credits pushed over the event stream. Then a monthly package: the
// page lists the subscription with its renewal date and cancels it
// (editUserStarSubscription), after which it runs to that date; then
// Telegram reports the renewal payment failed (a subscription update over
// getUpdates) and the page shows it as pushed. The ledger holds each
// payment once; the failed renewal took no credits back.
func TestMiniAppBuysStarsInBrowser(t *testing.T) {
	t.Parallel()
	root, chromium, node := browser(t)
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(400 * time.Millisecond)

	const user = 777002
	tgm := newStarsTelegram(t, user)
	const token = "123456:E2E-stars"
	httpAddr := freeAddr(t)
	base := "http://" + httpAddr
	env := map[string]string{
		"BOT_TOKEN":           token,
		"PUBLIC_URL":          base,
		"TELEGRAM_API_URL":    tgm.api.URL,
		"DB_PATH":             filepath.Join(t.TempDir(), "tonpay.db"),
		"HTTP_ADDR":           httpAddr,
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(tonrig.Seed(), " "),
		"PACKAGES":            "starter:TON:1.5:100,starter:XTR:150:100,pro:XTR:500:1000:monthly",
		"LOG_LEVEL":           "warn",
	}
	svc := startService(t, env)

	cmd := exec.Command(node, filepath.Join(root, "webapp", "e2e", "stars.mjs"))
	cmd.Env = append(os.Environ(), "BASE_URL="+base, "INIT_DATA="+strings.TrimPrefix(tma(t, token, user), "tma "), "TELEGRAM_URL="+tgm.app.URL,
		"PACKAGE=starter", "EXPECT_CREDITS=100", "SUBSCRIBE=pro", "ARTIFACTS_DIR="+filepath.Join(root, "test-artifacts", "e2e"), "CHROMIUM="+chromium)
	cmd.Dir = filepath.Join(root, "webapp")
	out, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	var res struct {
		OK         bool   `json:"ok"`
		Price      string `json:"price"`
		Done       string `json:"done"`
		Subscribed string `json:"subscribed"`
		Active     string `json:"active"`
		Canceled   string `json:"canceled"`
		Failed     string `json:"failed"`
	}
	if jerr := json.Unmarshal([]byte(last), &res); jerr != nil || err != nil || !res.OK {
		t.Fatalf("browser run failed (%v): %s\nservice log:\n%s", err, last, svc.log())
	}
	if !strings.Contains(res.Price, "150") || !strings.HasPrefix(res.Done, "100 credits added (starter, ⭐ 150)") {
		t.Fatalf("the page showed price %q and %q", res.Price, res.Done)
	}

	renews := time.Now().Add(30 * 24 * time.Hour)
	day := renews.Format("Jan") + " " + strconv.Itoa(renews.Day())
	if !strings.HasPrefix(res.Subscribed, "1,000 credits added (pro, ⭐ 500)") ||
		!strings.Contains(res.Active, "renews "+day) || !strings.Contains(res.Canceled, "canceled, runs to "+day) ||
		!strings.Contains(res.Failed, "renewal payment failed, credits stop "+day) {
		t.Fatalf("subscription on the page: %q, then %q, then %q, then %q", res.Subscribed, res.Active, res.Canceled, res.Failed)
	}

	// Two invoice links, two approved pre-checkouts, one cancellation sent
	// to Telegram; the credits and the Stars revenue booked once each.
	tgm.mu.Lock()
	links, answers, edits := tgm.links, len(tgm.answers), tgm.edits
	tgm.mu.Unlock()
	if links != 2 || answers != 2 {
		t.Fatalf("%d invoice links, %d pre-checkout answers", links, answers)
	}
	if len(edits) != 1 || edits[0].Get("is_canceled") != "true" || edits[0].Get("telegram_payment_charge_id") != "stxE2Ee2e-invoice-2" ||
		edits[0].Get("user_id") != strconv.Itoa(user) {
		t.Fatalf("editUserStarSubscription calls %v", edits)
	}
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	if b, _ := db.Balance(ctx, store.UserAccount(user), "CREDITS"); b != 1100 {
		t.Fatalf("credits %d, want 1100", b)
	}
	if b, _ := db.Balance(ctx, store.AccountStarsRevenue, "XTR"); b != 650 {
		t.Fatalf("Stars revenue %d, want 650", b)
	}
	if sub, err := db.StarSubscription(ctx, user, "pro"); err != nil || !sub.Canceled || !sub.PaymentFailed {
		t.Fatalf("subscription %+v %v", sub, err)
	}
	if p, err := db.StarPayment(ctx, "stxE2Ee2e-invoice-1"); err != nil || p.Credits != 100 || p.Status == store.StarRefunded {
		t.Fatalf("payment %+v %v", p, err)
	}
	t.Logf("stars e2e: %s", last)
}
