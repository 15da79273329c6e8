package miniapp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

func TestRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	e := newEnv(t, func(c *miniapp.Config) { c.Limits = miniapp.Limits{IPPerSecond: -1, UserPerSecond: 0.5, UserBurst: 3} })
	auth := e.auth(501)
	for i := range 3 {
		if r := e.do("GET", "/api/me", auth, nil); r.status != 200 {
			t.Fatalf("call %d within the burst: %d %s", i, r.status, r.body)
		}
	}
	r := e.do("GET", "/api/me", auth, nil)
	if r.status != http.StatusTooManyRequests || r.errCode() != "rate_limited" {
		t.Fatalf("over the user limit: %d %s", r.status, r.body)
	}
	if ra := r.header.Get("Retry-After"); ra != "1" && ra != "2" {
		t.Fatalf("Retry-After %q, want the seconds until a token (1-2)", ra)
	}
	// Another user is not held back by the first one's limit.
	if r := e.do("GET", "/api/me", e.auth(502), nil); r.status != 200 {
		t.Fatalf("other user: %d", r.status)
	}

	// Per IP: unauthenticated floods are cut before any validation.
	e2 := newEnv(t, func(c *miniapp.Config) { c.Limits = miniapp.Limits{IPPerSecond: 0.5, IPBurst: 2, UserPerSecond: -1} })
	codes := []int{}
	for range 4 {
		codes = append(codes, e2.do("GET", "/api/me", "tma nonsense", nil).status)
	}
	if !slices.Equal(codes, []int{401, 401, 429, 429}) {
		t.Fatalf("per-IP limit: %v", codes)
	}
	if n, _ := e2.db.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d users written by refused calls", n)
	}
}

func TestSecurityHeadersAndStaticCaching(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "<title>tonpay</title>") {
		t.Fatalf("index: %d %s", r.status, r.body)
	}
	h := r.header
	if h.Get("Cache-Control") != "no-cache" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Strict-Transport-Security") == "" || h.Get("X-Frame-Options") != "" {
		t.Fatalf("index headers: %v", h)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'self' https://web.telegram.org"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	// The page's own routes load index.html; a missing asset does not.
	if r := e.do("GET", "/history", "", nil); r.status != 200 || !strings.Contains(string(r.body), "<title>") {
		t.Fatalf("page route: %d", r.status)
	}
	if r := e.do("GET", "/assets/gone-1234.js", "", nil); r.status != 404 {
		t.Fatalf("missing asset: %d", r.status)
	}
	r = e.do("GET", "/assets/index-Ab12Cd34.js", "", nil)
	if r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "immutable") || r.header.Get("ETag") == "" {
		t.Fatalf("asset: %d %v", r.status, r.header)
	}
	if r2 := e.do("GET", "/assets/index-Ab12Cd34.js", "", nil, "If-None-Match", r.header.Get("ETag")); r2.status != http.StatusNotModified {
		t.Fatalf("revalidation: %d", r2.status)
	}
	// API answers are never cached, and unknown API routes are JSON 404s.
	r = e.do("GET", "/api/me", e.auth(7), nil)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("api cache-control %q", r.header.Get("Cache-Control"))
	}
	if r := e.do("GET", "/api/nope", e.auth(7), nil); r.status != 404 || r.errCode() == "" {
		t.Fatalf("unknown api route: %d %s", r.status, r.body)
	}
}

func TestManifestAndIcon(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/tonconnect-manifest.json", "", nil)
	m := r.json(t)
	if r.status != 200 || m["url"] != "https://pay.example.com" || m["iconUrl"] != "https://pay.example.com/icon.png" || m["name"] != "tonpay" {
		t.Fatalf("manifest: %d %s", r.status, r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatal("wallets fetch the manifest cross-origin")
	}
	r = e.do("GET", "/icon.png", "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(r.body), "\x89PNG") {
		t.Fatalf("icon: %d %v", r.status, r.header)
	}
}

func TestBodyLimitRefusesAndWritesNothing(t *testing.T) {
	e := newEnv(t, func(c *miniapp.Config) { c.BodyLimit = 1024 })
	auth := e.auth(601)
	e.fund(601, store.TON.Symbol, 5_000_000_000)
	big := `{"asset":store.TON.Symbol,"amount":"1","pad":"` + strings.Repeat("x", 4096) + `"}`
	r := e.do("POST", "/api/deposits", auth, big)
	if r.status != http.StatusRequestEntityTooLarge || r.errCode() == "" {
		t.Fatalf("oversized body: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/history", auth, nil); len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("history after refused call: %s", r.body)
	}
}

func TestHealthzReportsScannerLag(t *testing.T) {
	e := newEnv(t, func(c *miniapp.Config) { c.MaxScanLag = 30 * time.Second })
	r := e.do("GET", "/healthz", "", nil)
	m := r.json(t)
	sc, _ := m["scanner"].(map[string]any)
	if r.status != 200 || m["ok"] != true || sc["block"] != float64(1234) || sc["lag_seconds"] != 0.3 {
		t.Fatalf("healthy: %d %s", r.status, r.body)
	}
	e.health.set(ton.ScanStatus{Block: 1234, Lag: 45 * time.Second})
	if r := e.do("GET", "/healthz", "", nil); r.status != 503 || r.json(t)["scanner"].(map[string]any)["lag_seconds"] != 45.0 {
		t.Fatalf("lagging: %d %s", r.status, r.body)
	}
	e.health.set(ton.ScanStatus{Block: 1234, Lag: time.Second, Stalled: "history pruned"})
	if r := e.do("GET", "/healthz", "", nil); r.status != 503 || !strings.Contains(string(r.body), "history pruned") {
		t.Fatalf("stalled: %d %s", r.status, r.body)
	}
	// The books: equal to the chain, then drifting by one nanoton.
	e.health.set(ton.ScanStatus{Block: 1234, Lag: time.Second, Synced: true, Reconciled: 1234, Drift: map[string]store.Amount{store.TON.Symbol: 0, "USDT": 0}})
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 || r.json(t)["ledger"].(map[string]any)["reconciled_block"] != 1234.0 {
		t.Fatalf("reconciled: %d %s", r.status, r.body)
	}
	e.health.set(ton.ScanStatus{Block: 1235, Lag: time.Second, Synced: true, Reconciled: 1235, Drift: map[string]store.Amount{store.TON.Symbol: -1, "USDT": 0}})
	r = e.do("GET", "/healthz", "", nil)
	if d := r.json(t)["ledger"].(map[string]any)["drift"].(map[string]any); r.status != 503 || d[store.TON.Symbol] != "-1" || d["USDT"] != "0" {
		t.Fatalf("drifting: %d %s", r.status, r.body)
	}
}

// /healthz tells everyone whether the service is ok; the figures (lag,
// block, drift, the reconciled block) only loopback and private clients.
func TestHealthzFiguresOnlyForPrivateNetworks(t *testing.T) {
	e := newEnv(t, func(c *miniapp.Config) { c.TrustProxy = true })
	e.health.set(ton.ScanStatus{Block: 1235, Lag: time.Second, Synced: true, Reconciled: 1235, Drift: map[string]store.Amount{store.TON.Symbol: -1}})
	for _, tc := range []struct {
		xff     string
		figures bool
	}{{"", true}, {"10.1.2.3", true}, {"203.0.113.7", false}, {"2001:db8::1", false}} {
		var h []string
		if tc.xff != "" {
			h = []string{"X-Forwarded-For", tc.xff}
		}
		r := e.do("GET", "/healthz", "", nil, h...)
		m := r.json(t)
		if r.status != 503 || m["ok"] != false || m["status"] != "degraded" {
			t.Fatalf("%q: %d %s", tc.xff, r.status, r.body)
		}
		shown := strings.Contains(string(r.body), "1235") || strings.Contains(string(r.body), "drift") || strings.Contains(string(r.body), "lag")
		if shown != tc.figures {
			t.Fatalf("%q: figures shown %v: %s", tc.xff, shown, r.body)
		}
	}
	e.health.set(ton.ScanStatus{Block: 1236, Lag: time.Second, Synced: true})
	if r := e.do("GET", "/healthz", "", nil, "X-Forwarded-For", "203.0.113.7"); r.status != 200 || string(r.body) != "{\"ok\":true,\"status\":\"ok\"}\n" {
		t.Fatalf("public, healthy: %d %q", r.status, r.body)
	}
}

func TestMetricsCountRequests(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/api/me", e.auth(9), nil)
	e.do("GET", "/api/me", "", nil)
	r := e.do("GET", "/metrics", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "tonpay_http_requests_total") {
		t.Fatalf("metrics: %d %.400s", r.status, r.body)
	}
}

// TestMetricsOnlyForPrivateNetworks: /metrics answers loopback and private
// clients; a public client (here reported by a trusted proxy) is refused
// with 403 and sees no figures.
func TestMetricsOnlyForPrivateNetworks(t *testing.T) {
	e := newEnv(t, func(c *miniapp.Config) { c.TrustProxy = true })
	for _, tc := range []struct {
		xff  string
		want int
	}{
		{"", 200},            // the proxy's own (loopback) request
		{"10.1.2.3", 200},    // a private scraper
		{"192.168.0.9", 200}, // another
		{"203.0.113.7", 403}, // the internet
		{"2001:db8::1", 403},
	} {
		var h []string
		if tc.xff != "" {
			h = []string{"X-Forwarded-For", tc.xff}
		}
		r := e.do("GET", "/metrics", "", nil, h...)
		if r.status != tc.want {
			t.Fatalf("X-Forwarded-For %q: %d, want %d", tc.xff, r.status, tc.want)
		}
		if figures := strings.Contains(string(r.body), "# HELP"); figures != (tc.want == 200) {
			t.Fatalf("X-Forwarded-For %q: figures shown %v: %.200s", tc.xff, figures, r.body)
		}
		if tc.want == 403 && r.json(t)["error"].(map[string]any)["code"] != "forbidden" {
			t.Fatalf("refusal %s", r.body)
		}
	}
}

// sseEvent is one event read off the stream.
type sseEvent struct{ name, data string }

// openEvents opens GET /api/events and returns its events as they come.
func openEvents(t *testing.T, e *env, auth string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/events", nil)
	req.Header.Set("Authorization", auth)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %v", res.StatusCode, res.Header)
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.name = strings.TrimSpace(line[6:])
			case strings.HasPrefix(line, "data:"):
				ev.data += strings.TrimSpace(line[5:])
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out, func() { cancel(); res.Body.Close() }
}

func nextEvent(t *testing.T, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %q", name)
			}
			if ev.name == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event within 5s", name)
		}
	}
}

func TestEventStreamPushesCommittedChanges(t *testing.T) {
	e := newEnv(t)
	auth := e.auth(701)
	if r := e.do("GET", "/api/me", auth, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	events, stop := openEvents(t, e, auth)
	defer stop()
	// The current balances come first, so nothing missed while away.
	if ev := nextEvent(t, events, "balance"); !strings.Contains(ev.data, `"balances"`) {
		t.Fatalf("first event %+v", ev)
	}
	// Another user's money is not this user's news.
	e.fund(702, store.TON.Symbol, 1_000_000_000)
	e.fund(701, store.TON.Symbol, 2_500_000_000)
	ev := nextEvent(t, events, "balance")
	if !strings.Contains(ev.data, `"2.5"`) && !strings.Contains(ev.data, "2500000000") {
		t.Fatalf("balance event lacks the new balance: %s", ev.data)
	}
	if strings.Contains(ev.data, "1000000000") {
		t.Fatalf("another user's balance leaked: %s", ev.data)
	}
	// An invoice the user creates shows up on the stream too.
	r := e.do("POST", "/api/deposits", auth, map[string]any{"asset": "GRAM", "amount": "1.5"})
	if r.status != 201 && r.status != 200 {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	id := r.json(t)["invoice"].(map[string]any)["id"].(string)
	r = e.do("POST", "/api/deposits/"+id+"/boc", auth, map[string]any{"boc": payBOC(t, e, id, 8)})
	if r.status != 200 {
		t.Fatalf("boc: %d %s", r.status, r.body)
	}
	// The stream sends the invoice as it stands when a change commits:
	// "created" may be folded into "pending" when both came close together.
	for {
		ev := nextEvent(t, events, "invoice")
		if !strings.Contains(ev.data, id) {
			t.Fatalf("invoice event for another invoice: %s", ev.data)
		}
		if strings.Contains(ev.data, `"status":"pending"`) {
			break
		}
		if !strings.Contains(ev.data, `"status":"created"`) {
			t.Fatalf("invoice event %s", ev.data)
		}
	}
}

func TestEventStreamNeedsAuth(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/api/events", "", nil); r.status != 401 {
		t.Fatalf("events without auth: %d", r.status)
	}
}

// BenchmarkAPIMe measures authenticated GET /api/me (initData validated once
// per distinct string, then cached; the user's standing, wallet, deposit
// address, merchants and balances read from the database on every call, in
// one statement) at 64 concurrent keep-alive connections over loopback,
// beside an unauthenticated route of the same server in the same run. It
// runs on SQLite, and again on PostgreSQL with TONPAY_TEST_POSTGRES set
// (TestMain; deploy/pgtest.sh starts one). Beside the rates it reports the
// process's CPU time per request of each (client and server: the machine's
// other load does not move it as it moves the rates).
func BenchmarkAPIMe(b *testing.B) {
	e := newEnv(b)
	const conns = 64
	const users = 256
	auths := make([]string, users)
	for i := range auths {
		id := int64(10_000 + i)
		auths[i] = e.auth(id)
		e.fund(id, store.TON.Symbol, store.Amount(1_000_000_000+i))
		if r := e.do("GET", "/api/me", auths[i], nil); r.status != 200 {
			b.Fatalf("warm-up: %d %s", r.status, r.body)
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DialContext: (&net.Dialer{KeepAlive: time.Minute}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	run := func(path string, withAuth bool, n int) (rps float64, p99 time.Duration, cpu time.Duration) {
		var next atomic.Int64
		cpu0 := processCPU(b)
		lat := make([][]time.Duration, conns)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(n) {
						return
					}
					req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
					if withAuth {
						req.Header.Set("Authorization", auths[int(i)%users])
					}
					t0 := time.Now()
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("%s: %d", path, res.StatusCode)
						return
					}
					lat[w] = append(lat[w], time.Since(t0))
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		cpu = processCPU(b) - cpu0
		all := slices.Concat(lat...)
		slices.Sort(all)
		if len(all) == 0 {
			b.Fatal("no requests completed")
		}
		return float64(len(all)) / el.Seconds(), all[len(all)*99/100], cpu / time.Duration(len(all))
	}
	// Both routes once over all the connections before timing either: the
	// client's connections are dialled and the store's read pool has grown
	// to what 64 callers at once need, for the one timed first as for the
	// other.
	run("/api/me", true, 4*users)
	run("/tonconnect-manifest.json", false, 4*users)
	n := max(b.N, 20_000)
	b.ResetTimer()
	rps, p99, cpu := run("/api/me", true, n)
	hello, helloP99, helloCPU := run("/tonconnect-manifest.json", false, n)
	b.StopTimer()
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(hello, "hello-req/s")
	b.ReportMetric(float64(helloP99.Microseconds())/1000, "hello-p99-ms")
	b.ReportMetric(rps/hello, "ratio")
	b.ReportMetric(float64(cpu.Nanoseconds())/1000, "cpu-us/req")
	b.ReportMetric(float64(helloCPU.Nanoseconds())/1000, "hello-cpu-us/req")
	b.ReportMetric(0, "ns/op")
}

// processCPU is the CPU time the process has used (user and system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// externalBOC is an external message that only looks like a wallet's: its
// body is no wallet's signed transfer.
func externalBOC(t *testing.T) string {
	t.Helper()
	ext := &tlb.ExternalMessage{DstAddr: appAddr(t, hotRaw), Body: cell.BeginCell().MustStoreUInt(0xdeadbeef, 32).MustStoreUInt(uint64(time.Now().UnixNano()), 64).EndCell()}
	c, err := tlb.ToCell(ext)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(c.ToBOC())
}

// A user cannot hold more event streams than the rule book's MaxStreams: a
// new one ends the oldest with "event: replaced" and a long retry, so the
// number open stays bounded however many the user opens.
func TestEventStreamsPerUserAreBounded(t *testing.T) {
	e := newEnvRules(t, func(r *store.Rules) { r.MaxStreams = 2 })
	auth := e.auth(720)
	if r := e.do("GET", "/api/me", auth, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	var streams []<-chan sseEvent
	for range 6 {
		ch, stop := openEvents(t, e, auth)
		t.Cleanup(stop)
		nextEvent(t, ch, "balance") // subscribed: in order
		streams = append(streams, ch)
	}
	for i, ch := range streams[:4] {
		nextEvent(t, ch, "replaced")
		if _, open := <-ch; open {
			t.Fatalf("stream %d goes on after it was replaced", i)
		}
	}
	// The two newest still hear the user's changes.
	e.fund(720, store.TON.Symbol, 1_000_000_000)
	for _, ch := range streams[4:] {
		nextEvent(t, ch, "balance")
	}
	// Another user's stream is not affected by this user's.
	ch, stop := openEvents(t, e, e.auth(721))
	defer stop()
	nextEvent(t, ch, "balance")
}

// RestrictHosts (the sandbox's): only Host names it accepts are answered,
// whatever the route; a rebinding name is 421 and reaches no handler.
func TestRestrictHosts(t *testing.T) {
	e := newEnv(t)
	e.srv.RestrictHosts(func(h string) bool { return h == "127.0.0.1" || h == "::1" })
	for host, want := range map[string]int{
		"evil.example":         421,
		"evil.example:80":      421,
		"127.0.0.1.nip.io":     421,
		"127.0.0.1":            200,
		"[::1]:8080":           200,
		"127.0.0.1:" + "65535": 200,
	} {
		for _, path := range []string{"/healthz", "/api/me"} {
			req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
			req.Host = host
			req.Header.Set("Authorization", "tma "+initData(t, 5, botToken, time.Now()))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if (want == 421) != (res.StatusCode == 421) {
				t.Errorf("Host %q %s: %d", host, path, res.StatusCode)
			}
		}
	}
	if got := miniapp.RequestHost("[::1]:80"); got != "::1" {
		t.Fatalf("RequestHost: %q", got)
	}
}

// A response that is not written within WriteTimeout is cut off (here a
// mounted handler that takes longer), while an event stream lives on.
func TestWriteTimeout(t *testing.T) {
	e := newEnv(t, func(c *miniapp.Config) { c.WriteTimeout = 300 * time.Millisecond })
	e.srv.Mount("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		w.Write(bytes.Repeat([]byte("x"), 1<<20))
	}))
	res, err := http.Get(e.ts.URL + "/slow")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Fatal("a response written after the write deadline arrived whole")
	}
	// The stream outlives the deadline: pings keep coming.
	events, stop := openEvents(t, e, e.auth(3))
	defer stop()
	nextEvent(t, events, "balance")
	time.Sleep(500 * time.Millisecond)
	e.fund(3, store.TON.Symbol, 1_000_000_000)
	nextEvent(t, events, "balance")
}
