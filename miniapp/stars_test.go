package miniapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
)

// fakeStars stands in for the bot (whose Telegram calls bot's own tests
// drive through the real library): links from the rule book, subscription
// edits recorded in the store.
type fakeStars struct {
	pol  *store.Policy
	db   *store.DB
	mu   sync.Mutex
	fail error
	asks []string
}

func (f *fakeStars) InvoiceLink(_ context.Context, userID int64, pkg string) (string, error) {
	inv, err := f.pol.StarsInvoice(userID, pkg)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asks = append(f.asks, inv.Payload)
	return "https://t.me/$" + inv.Payload, nil
}

func (f *fakeStars) SetSubscriptionCanceled(ctx context.Context, userID int64, pkg string, canceled bool) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return fail
	}
	return f.db.SetStarSubscriptionCanceled(ctx, userID, pkg, canceled)
}

// starsEnv is newEnv's server rebuilt with a rule book that sells
// packages for Stars (the rule book needs newEnv's database) and a
// fakeStars for the bot.
func starsEnv(t *testing.T) (*env, *fakeStars) {
	e := newEnv(t)
	pol := store.NewPolicy(e.db, store.Rules{Packages: []store.Package{
		{Name: "starter", Asset: store.TON.Symbol, Price: 1_500_000_000, Credits: 100},
		{Name: "starter", Asset: "XTR", Price: 150, Credits: 100},
		{Name: "pro", Asset: "XTR", Price: 500, Credits: 1000, Period: store.StarsSubscriptionPeriod},
	}})
	e.srv.Close()
	e.ts.Close()
	e.cfg.Policy = pol
	e.srv = miniapp.New(e.cfg, e.db, nil)
	fs := &fakeStars{pol: pol, db: e.db}
	e.srv.SetStars(fs)
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		e.ts.Close()
	})
	return e, fs
}

func TestStarsFromTheMiniApp(t *testing.T) {
	e, fs := starsEnv(t)
	auth := e.auth(50)
	ctx := context.Background()

	r := e.do("GET", "/api/packages", auth, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `{"name":"starter","asset":"XTR","price":"150","formatted":"150","credits":100}`) ||
		!strings.Contains(string(r.body), `"name":"pro","asset":"XTR","price":"500","formatted":"500","credits":1000,"period":2592000`) {
		t.Fatalf("packages: %s", r.body)
	}
	// A Stars-only package is not sold from the balance.
	if r := e.do("POST", "/api/purchases", auth, map[string]string{"package": "pro"}); r.status != 400 || r.errCode() != "stars_only" {
		t.Fatalf("pro from the balance: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/stars/invoices", auth, map[string]string{"package": "mega"}); r.status != 404 || r.errCode() != "unknown_package" {
		t.Fatalf("unknown package: %d %s", r.status, r.body)
	}

	events, stop := openEvents(t, e, auth)
	defer stop()
	nextEvent(t, events, "balance")

	r = e.do("POST", "/api/stars/invoices", auth, map[string]string{"package": "starter"})
	var inv struct {
		Link    string
		Package struct{ Name, Asset, Price string }
	}
	if err := json.Unmarshal(r.body, &inv); err != nil || r.status != 201 || inv.Package.Asset != "XTR" || inv.Package.Price != "150" {
		t.Fatalf("invoice: %d %s", r.status, r.body)
	}
	payload := strings.TrimPrefix(inv.Link, "https://t.me/$")
	if pl, ok := store.ParseStarsPayload(payload); !ok || pl.UserID != 50 {
		t.Fatalf("link %q", inv.Link)
	}
	// Nothing is booked until the bot hears successful_payment.
	if e.balance(50, "CREDITS") != 0 {
		t.Fatal("credits before the payment")
	}
	// The bot books it (twice: a redelivered update); the page hears it once.
	for range 2 {
		if _, _, err := fs.pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "ch-m", UserID: 50, Amount: 150, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for len(got) < 2 {
		select {
		case ev := <-events:
			got[ev.name] += ev.data
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far %v", got)
		}
	}
	if p := got["purchase"]; !strings.Contains(p, `"charge_id":"ch-m"`) || !strings.Contains(p, `"status":"paid"`) || !strings.Contains(p, `"credits":100`) {
		t.Fatalf("purchase event %s", p)
	}
	if b := got["balance"]; !strings.Contains(b, `"asset":"CREDITS","amount":"100"`) {
		t.Fatalf("balance event %s", b)
	}
	// The redelivered payment pushed nothing more.
	select {
	case ev := <-events:
		t.Fatalf("a second event %s %s", ev.name, ev.data)
	case <-time.After(300 * time.Millisecond):
	}
	if e.balance(50, "CREDITS") != 100 {
		t.Fatalf("credits %d", e.balance(50, "CREDITS"))
	}
	r = e.do("GET", "/api/stars/payments", auth, nil)
	if r.status != 200 || strings.Count(string(r.body), `"charge_id"`) != 1 {
		t.Fatalf("payments: %s", r.body)
	}
	if r := e.do("GET", "/api/stars/payments", e.auth(51), nil); strings.Contains(string(r.body), "ch-m") {
		t.Fatalf("another user sees the payment: %s", r.body)
	}
	e.audit()
}

func TestStarsSubscriptionInTheMiniApp(t *testing.T) {
	e, fs := starsEnv(t)
	auth := e.auth(52)
	ctx := context.Background()
	inv, _ := fs.pol.StarsInvoice(52, "pro")
	expires := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	if _, _, err := fs.pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "s-1", UserID: 52, Amount: 500, Payload: inv.Payload,
		Recurring: true, FirstRecurring: true, ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
	want := `{"subscriptions":[{"package":"pro","stars":"500","credits":1000,"status":"active","expires_at":"` + expires.UTC().Format(time.RFC3339) + `"}]}` + "\n"
	if r := e.do("GET", "/api/stars/subscriptions", auth, nil); r.status != 200 || string(r.body) != want {
		t.Fatalf("subscriptions: %s", r.body)
	}
	if r := e.do("POST", "/api/stars/subscriptions/pro", auth, map[string]any{}); r.status != 400 {
		t.Fatalf("no canceled: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/api/stars/subscriptions/pro", auth, map[string]any{"canceled": true})
	if r.status != 200 || !strings.Contains(string(r.body), `"status":"canceled"`) {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/stars/subscriptions/nope", auth, map[string]any{"canceled": true}); r.status != 404 {
		t.Fatalf("unknown subscription: %d %s", r.status, r.body)
	}
	fs.mu.Lock()
	fs.fail = errors.New("telegram: Bad Request: SUBSCRIPTION_NOT_FOUND")
	fs.mu.Unlock()
	if r := e.do("POST", "/api/stars/subscriptions/pro", auth, map[string]any{"canceled": false}); r.status != 502 || strings.Contains(string(r.body), "SUBSCRIPTION") {
		t.Fatalf("telegram refusing: %d %s", r.status, r.body)
	}
	if s, _ := e.db.StarSubscription(ctx, 52, "pro"); !s.Canceled {
		t.Fatal("changed although Telegram refused")
	}

	// Telegram reports the renewal failed (a subscription update the bot
	// books): the page hears it and the list says so.
	events, stop := openEvents(t, e, auth)
	defer stop()
	nextEvent(t, events, "balance")
	if _, err := e.db.BookSubscriptionUpdate(ctx, store.SubscriptionUpdate{UpdateID: 9, UserID: 52, Payload: inv.Payload,
		Change: store.SubscriptionPaymentFailed}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events, "subscription"); !strings.Contains(ev.data, `"status":"payment_failed"`) {
		t.Fatalf("subscription event %s", ev.data)
	}
	want = strings.Replace(want, `"status":"active"`, `"status":"payment_failed"`, 1)
	if r := e.do("GET", "/api/stars/subscriptions", auth, nil); r.status != 200 || string(r.body) != want {
		t.Fatalf("subscriptions after the failed renewal: %s", r.body)
	}
	if e.balance(52, "CREDITS") != 1000 {
		t.Fatalf("credits %d after the failed renewal", e.balance(52, "CREDITS"))
	}
}
