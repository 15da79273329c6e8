package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/store"
)

// starsTelegram is Telegram on both sides of a Stars payment: the Bot API
// the service calls (botapi: invoice links, the pre_checkout_query and
// successful_payment over long polling, getStarTransactions) and the
// client that pays the invoice the page opens (POST /invoice {slug} →
// {status}) or reports a change to the user's subscription (POST
// /subscription {state}).
type starsTelegram struct {
	t    *testing.T
	api  *botapi.API
	app  *httptest.Server
	user int64
}

func newStarsTelegram(t *testing.T, user int64) *starsTelegram {
	s := &starsTelegram{t: t, user: user,
		api: botapi.New(t, botapi.Options{Username: "tonpay_test_bot", InvoicePrefix: "e2e-invoice-", ChargePrefix: "stxE2E"})}
	s.api.User(user, "Grace", "en")
	s.app = httptest.NewServer(http.HandlerFunc(s.client))
	t.Cleanup(s.app.Close)
	return s
}

// client pays an invoice as the user's Telegram app does (botapi.Pay: a
// pre_checkout_query the bot must approve within 10 s, then the
// successful_payment message), or plays a subscription update.
func (s *starsTelegram) client(w http.ResponseWriter, r *http.Request) {
	var req struct{ Slug, State string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/invoice":
		status, err := s.api.Pay(r.Context(), s.user, botapi.InvoiceLink(req.Slug))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": status})
	case "/subscription":
		event := map[string]string{"failed": botapi.StarsFail, "canceled": botapi.StarsCancel, "active": botapi.StarsRestore}[req.State]
		if err := s.api.SubscriptionEvent(s.user, event); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		json.NewEncoder(w).Encode(map[string]bool{"ok": true})
	default:
		http.NotFound(w, r)
	}
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
	ctx := context.Background()
	const user = 777002
	tgm := newStarsTelegram(t, user)
	const token = "123456:E2E-stars"
	e := newE2E(t, token, 400*time.Millisecond, map[string]string{
		"TELEGRAM_API_URL": tgm.api.URL,
		"PACKAGES":         "starter:TON:1.5:100,starter:XTR:150:100,pro:XTR:500:1000:monthly",
	})
	e.start()
	svc := e.svc

	var res struct {
		OK         bool   `json:"ok"`
		Price      string `json:"price"`
		Done       string `json:"done"`
		Subscribed string `json:"subscribed"`
		Active     string `json:"active"`
		Canceled   string `json:"canceled"`
		Failed     string `json:"failed"`
	}
	last, err := e.driver("stars.mjs", []string{"INIT_DATA=" + strings.TrimPrefix(tma(t, token, user), "tma "), "TELEGRAM_URL=" + tgm.app.URL,
		"PACKAGE=starter", "EXPECT_CREDITS=100", "SUBSCRIBE=pro"}, &res)
	if err != nil || !res.OK {
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
	links := len(tgm.api.Sent("createInvoiceLink", 0))
	queries := map[string]bool{}
	for _, c := range tgm.api.Sent("answerPreCheckoutQuery", 0) {
		queries[c.Form.Get("pre_checkout_query_id")] = true
	}
	answers := len(queries)
	var edits []url.Values
	for _, c := range tgm.api.Sent("editUserStarSubscription", 0) {
		edits = append(edits, c.Form)
	}
	if links != 2 || answers != 2 {
		t.Fatalf("%d invoice links, %d pre-checkout answers", links, answers)
	}
	if len(edits) != 1 || edits[0].Get("is_canceled") != "true" || edits[0].Get("telegram_payment_charge_id") != "stxE2Ee2e-invoice-2" ||
		edits[0].Get("user_id") != strconv.Itoa(user) {
		t.Fatalf("editUserStarSubscription calls %v", edits)
	}
	db := e.db
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
