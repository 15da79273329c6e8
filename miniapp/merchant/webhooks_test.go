package merchant_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// merchantQuietLog keeps the expected delivery failures out of the test output.
var merchantQuietLog = slog.New(slog.DiscardHandler)

// whClock is a settable clock for the store (and so the dispatcher).
type whClock struct{ ms atomic.Int64 }

func newWHClock() *whClock {
	c := &whClock{}
	c.ms.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli())
	return c
}
func (c *whClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *whClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// whDelivery is one request the receiver got.
type whDelivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

// whReceiver is a merchant's webhook endpoint: it answers with the next
// status of its script (the last one repeats) and records every request.
type whReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	script   []int
	got      []whDelivery
	inFlight int
	maxIn    int
	delay    time.Duration
}

func newWHReceiver(t testing.TB, script ...int) *whReceiver {
	r := &whReceiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.inFlight++
		r.maxIn = max(r.maxIn, r.inFlight)
		status := 200
		if len(r.script) > 0 {
			status = r.script[0]
			if len(r.script) > 1 {
				r.script = r.script[1:]
			}
		}
		r.got = append(r.got, whDelivery{header: req.Header.Clone(), body: body, at: time.Now()})
		delay := r.delay
		r.mu.Unlock()
		time.Sleep(delay)
		r.mu.Lock()
		r.inFlight--
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *whReceiver) deliveries() []whDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]whDelivery(nil), r.got...)
}

// whBody is a webhook body as a merchant parses it.
type whBody struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// whVerify checks Tonpay-Signature the way a merchant would, with
// nothing but crypto/hmac: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
func whVerify(t testing.TB, d whDelivery, secret string) whBody {
	t.Helper()
	var ts, v1 string
	for _, part := range strings.Split(d.header.Get("Tonpay-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil || v1 == "" {
		t.Fatalf("Tonpay-Signature %q", d.header.Get("Tonpay-Signature"))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(d.body)))
	got, err := hex.DecodeString(v1)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		t.Fatalf("signature does not verify: %q over %s", d.header.Get("Tonpay-Signature"), d.body)
	}
	if ct := d.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if ua := d.header.Get("User-Agent"); !strings.HasPrefix(ua, "tonpay") {
		t.Fatalf("User-Agent %q", ua)
	}
	var b whBody
	if err := json.Unmarshal(d.body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

type whRig struct {
	t     *testing.T
	clock *whClock
	db    *store.DB
	path  string
}

func newWHRig(t *testing.T) *whRig {
	clock := newWHClock()
	path := filepath.Join(t.TempDir(), "tonpay.db")
	db := storetest.OpenWith(t, storetest.Config{Path: path, Options: []store.Option{store.WithClock(clock.Now)}, Assets: merchantAssets})
	return &whRig{t: t, clock: clock, db: db, path: path}
}

func (r *whRig) webhooks(edit func(*merchant.WebhookConfig)) *merchant.Webhooks {
	cfg := merchant.WebhookConfig{Merchant: merchantConfig(r.t), AllowPrivate: true, Timeout: 5 * time.Second,
		BackoffBase: time.Minute, BackoffMax: time.Hour, Poll: 20 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	return merchant.NewWebhooks(cfg, r.db, merchantQuietLog)
}

func (r *whRig) merchant(url string) store.Merchant {
	r.t.Helper()
	m, _, err := r.db.CreateMerchant(context.Background(), "shop", url)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// expire creates a merchant invoice and lets it expire: the store queues an
// invoice.expired event. It returns the invoice id.
func (r *whRig) expire(m store.Merchant, externalID string) string {
	r.t.Helper()
	ctx := context.Background()
	inv, err := r.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2_000_000_000, TTL: time.Minute,
		ExternalID: externalID, Payload: "order-" + externalID})
	if err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(time.Minute)
	if _, err := r.db.ExpireInvoices(ctx, r.clock.Now().Add(time.Second)); err != nil {
		r.t.Fatal(err)
	}
	return inv.ID
}

func (r *whRig) deliver(w *merchant.Webhooks) int {
	r.t.Helper()
	n, err := w.DeliverDue(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// event reads an outbox row's delivery state straight from SQLite.
func (r *whRig) event(id int64) (attempts int, done, failed bool, lastErr string) {
	r.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+r.path+"?mode=ro")
	if err != nil {
		r.t.Fatal(err)
	}
	defer raw.Close()
	var d, f sql.NullInt64
	if err := raw.QueryRow(`SELECT attempts, done_at, failed_at, last_error FROM outbox WHERE id = ?`, id).Scan(&attempts, &d, &f, &lastErr); err != nil {
		r.t.Fatal(err)
	}
	return attempts, d.Valid, f.Valid, lastErr
}

func (r *whRig) webhookEvents() []store.Event {
	r.t.Helper()
	r.clock.Advance(0)
	raw, _ := sql.Open("sqlite", "file:"+r.path+"?mode=ro")
	defer raw.Close()
	rows, err := raw.Query(`SELECT id, type FROM outbox WHERE topic = 'webhook' ORDER BY id`)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		rows.Scan(&e.ID, &e.Type)
		out = append(out, e)
	}
	return out
}

func TestWebhookSignedDelivery(t *testing.T) {
	r := newWHRig(t)
	recv := newWHReceiver(t)
	m := r.merchant(recv.srv.URL + "/hooks/tonpay")
	invID := r.expire(m, "42")
	w := r.webhooks(nil)
	if n := r.deliver(w); n != 1 {
		t.Fatalf("delivered %d events, want 1", n)
	}
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	b := whVerify(t, got[0], m.WebhookSecret)
	evs := r.webhookEvents()
	if len(evs) != 1 || b.ID != evs[0].ID || b.Type != "invoice.expired" || b.CreatedAt.IsZero() {
		t.Fatalf("body %+v, events %+v", b, evs)
	}
	var inv map[string]any
	json.Unmarshal(b.Data, &inv)
	if inv["id"] != invID || inv["status"] != "expired" || inv["external_id"] != "42" || inv["payload"] != "order-42" ||
		inv["amount"] != "2" || inv["amount_units"] != "2000000000" || inv["paid"] != "0" {
		t.Fatalf("data %s", b.Data)
	}
	if _, done, _, _ := r.event(b.ID); !done {
		t.Fatal("delivered event not marked done")
	}
	// Delivered once: later rounds send nothing.
	r.clock.Advance(time.Hour)
	r.deliver(w)
	if n := len(recv.deliveries()); n != 1 {
		t.Fatalf("receiver got %d requests, want exactly 1", n)
	}
}

func TestWebhookPayoutEvent(t *testing.T) {
	r := newWHRig(t)
	recv := newWHReceiver(t)
	m := r.merchant(recv.srv.URL)
	ctx := context.Background()
	r.db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -5_000_000_000}, {Account: store.MerchantAccount(m.ID), Asset: store.TON.Symbol, Amount: 5_000_000_000}}})
	wd, _, err := r.db.RequestWithdrawal(ctx, store.NewWithdrawal{MerchantID: m.ID, IdemKey: "spend-7", Asset: store.TON.Symbol, Amount: 3_000_000_000,
		Fee: 100_000_000, Destination: "UQdest", NeedsApproval: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.RejectWithdrawal(ctx, store.AdminActor(1, ""), wd.ID, "not today"); err != nil {
		t.Fatal(err)
	}
	r.deliver(r.webhooks(nil))
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	b := whVerify(t, got[0], m.WebhookSecret)
	var p map[string]any
	json.Unmarshal(b.Data, &p)
	if b.Type != "payout.rejected" || p["spend_id"] != "spend-7" || p["status"] != "rejected" || p["amount"] != "3" ||
		p["failure_reason"] != "not today" || p["id"] != float64(wd.ID) {
		t.Fatalf("payout webhook %s", got[0].body)
	}
}

func TestWebhookRetriesUntilDelivered(t *testing.T) {
	r := newWHRig(t)
	recv := newWHReceiver(t, 500, 503, 200)
	m := r.merchant(recv.srv.URL)
	r.expire(m, "1")
	ev := r.webhookEvents()[0]
	w := r.webhooks(nil)

	r.deliver(w)
	if attempts, done, _, lastErr := r.event(ev.ID); attempts != 1 || done || lastErr != "HTTP 500" {
		t.Fatalf("after a 500: attempts %d done %v error %q", attempts, done, lastErr)
	}
	r.deliver(w) // not due yet
	if n := len(recv.deliveries()); n != 1 {
		t.Fatalf("retried before the backoff: %d requests", n)
	}
	r.clock.Advance(time.Minute) // BackoffBase
	r.deliver(w)
	r.clock.Advance(time.Minute) // the second retry waits twice as long
	r.deliver(w)
	if n := len(recv.deliveries()); n != 2 {
		t.Fatalf("backoff did not double: %d requests", n)
	}
	r.clock.Advance(time.Minute)
	r.deliver(w)
	got := recv.deliveries()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	if attempts, done, _, _ := r.event(ev.ID); attempts != 3 || !done {
		t.Fatalf("attempts %d done %v", attempts, done)
	}
	// Every attempt carries the same body (same id: merchants dedupe by it),
	// each signed.
	for _, d := range got {
		whVerify(t, d, m.WebhookSecret)
		if string(d.body) != string(got[0].body) {
			t.Fatalf("bodies differ between retries:\n%s\n%s", got[0].body, d.body)
		}
	}
	r.clock.Advance(24 * time.Hour)
	r.deliver(w)
	if n := len(recv.deliveries()); n != 3 {
		t.Fatalf("delivered again after a 200: %d", n)
	}
}

// Run, on the real clock, retries a failing endpoint until it answers 200,
// then delivers each event exactly once.
func TestWebhookRunRetriesUntil200(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{}})
	db.SyncAssets(ctx, merchantAssets)
	recv := newWHReceiver(t, 500, 500, 200)
	m, _, _ := db.CreateMerchant(ctx, "shop", recv.srv.URL)
	w := merchant.NewWebhooks(merchant.WebhookConfig{Merchant: merchantConfig(t), AllowPrivate: true,
		BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, Poll: 50 * time.Millisecond}, db, merchantQuietLog)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for i := range 3 {
		if _, err := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: store.Amount(i + 1), TTL: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	db.ExpireInvoices(ctx, time.Now()) // three invoice.expired events; Run wakes on the change
	deadline := time.Now().Add(10 * time.Second)
	for {
		ids := map[int64]int{}
		for _, d := range recv.deliveries() {
			ids[whVerify(t, d, m.WebhookSecret).ID]++
		}
		if len(ids) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all delivered: %v", ids)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // several more Polls: nothing is sent again
	got := recv.deliveries()
	if len(got) != 5 { // the first event: 500, 500, 200; then one each
		t.Fatalf("%d requests, want 5", len(got))
	}
	var order []int64
	for _, d := range got {
		order = append(order, whVerify(t, d, m.WebhookSecret).ID)
	}
	if !(order[0] == order[1] && order[1] == order[2] && order[2] < order[3] && order[3] < order[4]) {
		t.Fatalf("delivery order %v: a merchant's events must go in order, retries first", order)
	}
}

func TestWebhookGivesUpAfterMaxAge(t *testing.T) {
	r := newWHRig(t)
	recv := newWHReceiver(t, 500)
	m := r.merchant(recv.srv.URL)
	r.expire(m, "1")
	ev := r.webhookEvents()[0]
	w := r.webhooks(nil)
	start := r.clock.Now()
	for r.clock.Now().Sub(start) < 30*time.Hour {
		r.deliver(w)
		r.clock.Advance(10 * time.Minute)
	}
	got := recv.deliveries()
	// Backoff 1, 2, 4, ..., 32 minutes, then hourly: about 28 tries in 24 h.
	if len(got) < 20 || len(got) > 35 {
		t.Fatalf("%d attempts in 24 h", len(got))
	}
	last := got[len(got)-1]
	b := whVerify(t, last, m.WebhookSecret)
	if b.ID != ev.ID {
		t.Fatal("wrong event")
	}
	_, done, failed, lastErr := r.event(ev.ID)
	if done || !failed || lastErr != "HTTP 500" {
		t.Fatalf("after 24 h: done %v failed %v error %q", done, failed, lastErr)
	}
	mm, _ := r.db.Merchant(context.Background(), m.ID)
	if !mm.WebhookDisabled {
		t.Fatal("webhook not disabled")
	}
	bot, _ := r.db.DueEvents(context.Background(), store.TopicBot, 100)
	var notices int
	for _, e := range bot {
		if e.Type == "webhook.disabled" {
			notices++
			var n store.WebhookDisabled
			json.Unmarshal(e.Payload, &n)
			if e.UserID != 0 || n.MerchantID != m.ID || n.EventID != ev.ID || n.URL != recv.srv.URL {
				t.Fatalf("admin notice %+v to user %d", n, e.UserID)
			}
		}
	}
	if notices != 1 {
		t.Fatalf("%d admin notices, want 1", notices)
	}
	// The last try was at the 24 h mark, not later.
	if a, _, _, _ := r.event(ev.ID); a != len(got) {
		t.Fatalf("attempts %d, requests %d", a, len(got))
	}

	// While disabled nothing is sent: new events are given up at once.
	before := len(recv.deliveries())
	r.expire(m, "2")
	r.deliver(w)
	if len(recv.deliveries()) != before {
		t.Fatal("delivered to a disabled webhook")
	}
	evs := r.webhookEvents()
	if _, _, failed, reason := r.event(evs[len(evs)-1].ID); !failed || reason != "webhook disabled" {
		t.Fatalf("event for a disabled webhook: failed %v %q", failed, reason)
	}
	// Re-enabled, new events flow again (with the same secret).
	r.db.EnableWebhook(context.Background(), m.ID)
	recv.mu.Lock()
	recv.script = []int{200}
	recv.mu.Unlock()
	r.expire(m, "3")
	r.deliver(w)
	if len(recv.deliveries()) != before+1 {
		t.Fatal("re-enabled webhook not delivered")
	}
	whVerify(t, recv.deliveries()[before], m.WebhookSecret)
}

func TestWebhookSSRFGuard(t *testing.T) {
	r := newWHRig(t)
	recv := newWHReceiver(t)
	port := recv.srv.URL[strings.LastIndex(recv.srv.URL, ":")+1:]
	tests := []struct{ url, reason string }{
		{recv.srv.URL, "loopback"},
		{"http://localhost:" + port + "/hook", "loopback"}, // resolved, then refused
		{"http://[::1]:" + port, "loopback"},
		{"http://[::ffff:127.0.0.1]:" + port, "loopback"},
		{"http://10.1.2.3/hook", "private"},
		{"http://192.168.1.1/hook", "private"},
		{"http://169.254.169.254/latest/meta-data", "link-local"},
		{"http://0.0.0.0:" + port, "unspecified"},
		{"http://100.64.0.1/", "reserved"},
		{"http://[fd00::1]/", "private"},
		{"http://[64:ff9b::7f00:1]/", "reserved"},
	}
	w := r.webhooks(func(c *merchant.WebhookConfig) { c.AllowPrivate = false })
	for i, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			m, _, err := r.db.CreateMerchant(context.Background(), "m"+strconv.Itoa(i), tt.url)
			if err != nil {
				t.Fatal(err)
			}
			r.expire(m, "x")
			r.deliver(w)
			evs := r.webhookEvents()
			attempts, done, _, lastErr := r.event(evs[len(evs)-1].ID)
			if attempts != 1 || done || !strings.Contains(lastErr, "refused") || !strings.Contains(lastErr, tt.reason) {
				t.Fatalf("attempts %d done %v error %q, want refused (%s)", attempts, done, lastErr, tt.reason)
			}
		})
	}
	if n := len(recv.deliveries()); n != 0 {
		t.Fatalf("the guard let %d requests through to 127.0.0.1", n)
	}
	// AllowPrivate (development, tests) lets the same events through to the
	// receiver (the other targets are switched off: they lead nowhere here).
	ms, _ := r.db.ListMerchants(context.Background())
	for i, m := range ms {
		if i != 0 && i != 1 && i != 3 {
			r.db.DisableWebhook(context.Background(), m.ID)
		}
	}
	r.clock.Advance(2 * time.Hour)
	r.deliver(r.webhooks(nil))
	if n := len(recv.deliveries()); n != 3 {
		t.Fatalf("with AllowPrivate %d requests, want 3", n)
	}
}

func TestWebhookRedirectIsNotFollowed(t *testing.T) {
	r := newWHRig(t)
	target := newWHReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	m := r.merchant(redirect.URL)
	r.expire(m, "1")
	r.deliver(r.webhooks(nil))
	if n := len(target.deliveries()); n != 0 {
		t.Fatalf("redirect followed: %d requests", n)
	}
	ev := r.webhookEvents()[0]
	if attempts, done, _, lastErr := r.event(ev.ID); attempts != 1 || done || lastErr != "HTTP 307" {
		t.Fatalf("attempts %d done %v error %q", attempts, done, lastErr)
	}
}

func TestWebhookWithoutURLIsDone(t *testing.T) {
	r := newWHRig(t)
	m := r.merchant("")
	r.expire(m, "1")
	r.deliver(r.webhooks(nil))
	ev := r.webhookEvents()[0]
	if _, done, failed, _ := r.event(ev.ID); !done || failed {
		t.Fatalf("event of a merchant without webhook: done %v failed %v", done, failed)
	}
}

// Merchants are served in parallel, each one's events one at a time in
// order; a failing merchant holds back only its own later events.
func TestWebhookOrderPerMerchant(t *testing.T) {
	r := newWHRig(t)
	slow := newWHReceiver(t)
	slow.delay = 30 * time.Millisecond
	flaky := newWHReceiver(t, 500, 200)
	a := r.merchant(slow.srv.URL)
	b := r.merchant(flaky.srv.URL)
	for i := range 4 {
		r.expire(a, fmt.Sprint("a", i))
		r.expire(b, fmt.Sprint("b", i))
	}
	w := r.webhooks(func(c *merchant.WebhookConfig) { c.Workers = 2 })
	start := time.Now()
	r.deliver(w)
	if len(slow.deliveries()) != 4 || len(flaky.deliveries()) != 1 {
		t.Fatalf("a got %d, b got %d; want 4 and 1 (b's first failed, its others wait)", len(slow.deliveries()), len(flaky.deliveries()))
	}
	if slow.maxIn != 1 {
		t.Fatalf("%d deliveries to one merchant at once", slow.maxIn)
	}
	_ = start
	r.clock.Advance(time.Minute)
	r.deliver(w)
	for _, recv := range []*whReceiver{slow, flaky} {
		var ids []int64
		for _, d := range recv.deliveries() {
			ids = append(ids, whVerify(t, d, map[*whReceiver]string{slow: a.WebhookSecret, flaky: b.WebhookSecret}[recv]).ID)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Fatalf("out of order: %v", ids)
			}
		}
	}
	if n := len(flaky.deliveries()); n != 5 {
		t.Fatalf("b got %d requests, want 5 (one retry, then 4)", n)
	}
}

// An owner's manual sends (a test event, a redelivery) are one attempt
// outside the merchant's ordered queue: a receiver refusing them neither
// holds the real events back nor disables the webhook, and a redelivered
// event goes out again with its id, signed with the current secret.
func TestWebhookManualSendsStandAside(t *testing.T) {
	r := newWHRig(t)
	ctx := context.Background()
	// The receiver refuses the test event it does not know (400), then
	// takes everything.
	recv := newWHReceiver(t, 400, 200)
	m := r.merchant(recv.srv.URL)
	owner := store.OwnerActor(7, "@owner")
	test, err := r.db.QueueTestWebhook(ctx, owner, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	inv := r.expire(m, "real-1") // queued after the test event
	w := r.webhooks(nil)
	r.deliver(w)
	got := recv.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d requests, want the refused test event and the real event in one round", len(got))
	}
	if b := whVerify(t, got[0], m.WebhookSecret); b.Type != "webhook.test" {
		t.Fatalf("first request %s", b.Type)
	}
	real := whVerify(t, got[1], m.WebhookSecret)
	if real.Type != "invoice.expired" {
		t.Fatalf("second request %s", real.Type)
	}
	if attempts, done, failed, lastErr := r.event(test.ID); attempts != 1 || done || !failed || lastErr != "HTTP 400" {
		t.Fatalf("test event: attempts %d done %v failed %v %q", attempts, done, failed, lastErr)
	}
	// Nothing more is tried, however long we wait, and the webhook stays on.
	r.clock.Advance(48 * time.Hour)
	r.deliver(w)
	if n := len(recv.deliveries()); n != 2 {
		t.Fatalf("%d requests after the manual send failed", n)
	}
	if cur, _ := r.db.Merchant(ctx, m.ID); cur.WebhookDisabled {
		t.Fatal("a failed manual send disabled the webhook")
	}
	// The owner rotates the secret and redelivers the delivered event: the
	// same id and body, signed with the new secret.
	secret, err := r.db.RotateWebhookSecret(ctx, owner, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.db.Redeliver(ctx, owner, m.ID, real.ID)
	if err != nil || d.Status != store.DeliveryPending {
		t.Fatalf("redeliver: %+v %v", d, err)
	}
	r.deliver(w)
	got = recv.deliveries()
	if len(got) != 3 {
		t.Fatalf("%d requests after the redelivery", len(got))
	}
	again := whVerify(t, got[2], secret)
	if again.ID != real.ID || string(got[2].body) != string(got[1].body) {
		t.Fatalf("redelivered %d %s, want %d with the same body", again.ID, got[2].body, real.ID)
	}
	if _, done, _, _ := r.event(real.ID); !done {
		t.Fatal("the redelivered event is not marked delivered")
	}
	ds, err := r.db.Deliveries(ctx, m.ID, inv, 10)
	if err != nil || len(ds) != 1 || ds[0].Status != store.DeliveryDelivered || ds[0].InvoiceID != inv {
		t.Fatalf("the invoice's deliveries: %+v %v", ds, err)
	}
}

// One merchant's tarpit receiver (it holds every request until the test
// lets go) and a backlog bigger than a batch delay no other merchant: the
// healthy merchant's events are delivered at once, before and while the
// tarpit holds its own, which stay one at a time and in order.
func TestWebhookTarpitDelaysNoOtherMerchant(t *testing.T) {
	r := newWHRig(t)
	release := make(chan struct{})
	var tarpitIn, tarpitMax, tarpitGot atomic.Int64
	var order []int64
	var orderMu sync.Mutex
	tarpit := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := tarpitIn.Add(1)
		defer tarpitIn.Add(-1)
		for {
			m := tarpitMax.Load()
			if n <= m || tarpitMax.CompareAndSwap(m, n) {
				break
			}
		}
		var b whBody
		body, _ := io.ReadAll(req.Body)
		json.Unmarshal(body, &b)
		orderMu.Lock()
		order = append(order, b.ID)
		orderMu.Unlock()
		select {
		case <-release:
		case <-req.Context().Done():
			return
		}
		tarpitGot.Add(1)
	}))
	defer tarpit.Close()
	healthy := newWHReceiver(t)
	slow := r.merchant(tarpit.URL)
	good := r.merchant(healthy.srv.URL)
	for i := range 120 { // more than one batch
		r.expire(slow, fmt.Sprint("s", i))
	}
	r.expire(good, "g0")

	w := r.webhooks(func(c *merchant.WebhookConfig) { c.Timeout = 30 * time.Second; c.Poll = time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	start := time.Now()
	waitWH(t, 2*time.Second, func() bool { return len(healthy.deliveries()) == 1 })
	first := time.Since(start)
	// A new event of the healthy merchant while the tarpit still holds.
	queued := time.Now()
	r.expire(good, "g1")
	waitWH(t, 2*time.Second, func() bool { return len(healthy.deliveries()) == 2 })
	second := time.Since(queued)
	t.Logf("healthy merchant delivered %v after start and %v after its second event, beside a tarpit", first, second)
	if tarpitIn.Load() != 1 {
		t.Fatalf("%d requests in the tarpit, want 1", tarpitIn.Load())
	}
	close(release)
	waitWH(t, 10*time.Second, func() bool { return tarpitGot.Load() == 120 })
	if tarpitMax.Load() != 1 {
		t.Fatalf("%d deliveries to the tarpit at once", tarpitMax.Load())
	}
	orderMu.Lock()
	defer orderMu.Unlock()
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("the tarpit merchant's events out of order: %v", order)
		}
	}
}

func waitWH(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWebhookRedeliveryAfterTheGramUpgrade: a database written by the
// previous version (the native coin booked as TON; store/testdata/upgrade)
// is opened by this one. Its delivered invoice.paid event, redelivered, is
// byte for byte the body the previous version signed and sent ("TON"
// included): the event is history. An event made after the upgrade says
// GRAM.
func TestWebhookRedeliveryAfterTheGramUpgrade(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("..", "..", "store", "testdata", "upgrade")
	dump, err := os.ReadFile(filepath.Join(dir, "c8d4442.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]string // event id -> body as the previous version sent it
	if b, err := os.ReadFile(filepath.Join(dir, "c8d4442-webhooks.json")); err != nil || json.Unmarshal(b, &sent) != nil || sent["3"] == "" {
		t.Fatalf("recorded bodies: %v %v", err, sent)
	}
	path := filepath.Join(t.TempDir(), "tonpay.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(string(dump)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	clock := newWHClock()
	clock.ms.Store(time.Date(2026, 6, 1, 12, 20, 0, 0, time.UTC).UnixMilli()) // order-2 is still open
	db := storetest.OpenWith(t, storetest.Config{Path: path, Options: []store.Option{store.WithClock(clock.Now)}, Assets: merchantAssets})
	r := &whRig{t: t, clock: clock, db: db, path: path}
	recv := newWHReceiver(t)
	owner := store.OwnerActor(7, "@owner")
	if _, err := db.SetWebhookURL(ctx, owner, 1, recv.srv.URL+"/hooks"); err != nil {
		t.Fatal(err)
	}
	m, err := db.Merchant(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	secret := m.WebhookSecret // kept from the previous version
	if _, err := db.Redeliver(ctx, owner, 1, 3); err != nil {
		t.Fatal(err)
	}
	w := r.webhooks(nil)
	r.deliver(w)
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	whVerify(t, got[0], secret)
	if string(got[0].body) != sent["3"] {
		t.Fatalf("redelivered\n%s\nfirst sent\n%s", got[0].body, sent["3"])
	}
	if !strings.Contains(sent["3"], `"asset":"TON"`) {
		t.Fatalf("the recorded body %s", sent["3"])
	}

	// The open invoice made before the upgrade, paid now: its event says GRAM.
	open, err := db.MerchantInvoices(ctx, 1, store.InvoiceCreated, 10)
	if err != nil || len(open) != 1 || open[0].ExternalID != "order-2" || open[0].Asset != store.TON.Symbol {
		t.Fatalf("open invoices after the upgrade: %+v %v", open, err)
	}
	h := strings.Repeat("e", 64)
	if _, err := db.ApplyChainTx(ctx, store.DepositTx(store.ChainEvent{Account: merchantDeposit, LT: 500, Hash: h, Time: clock.Now(), Kind: store.KindCredited},
		store.Incoming{Asset: store.TON.Symbol, Amount: open[0].Amount, Sender: "0:" + strings.Repeat("77", 32), Comment: open[0].Comment, Min: 1}, 0)); err != nil {
		t.Fatal(err)
	}
	r.deliver(w)
	got = recv.deliveries()
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	b := whVerify(t, got[1], secret)
	var data map[string]any
	json.Unmarshal(b.Data, &data)
	if b.Type != "invoice.paid" || data["external_id"] != "order-2" || data["asset"] != "GRAM" || data["amount"] != "1.5" {
		t.Fatalf("new event %s", got[1].body)
	}
}
