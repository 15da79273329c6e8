package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/cmd/tonpay/sandbox"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// TestAbuse builds the binary and tries, from loopback, what an attacker
// would: a foreign BOC, a rebinding Host header and a non-loopback address
// for the sandbox, a tarpit webhook receiver beside a healthy one, dust
// withdrawals, invoice and stream floods, comma amounts on each face. Each
// must be refused or bounded with nothing moved; the healthy merchant's
// webhook arrives on time; memory and goroutines stay bounded (figures in
// the output, from the binary's /metrics).
//
// The rule book's limits (dust, floods, amounts) are checked by behaviour:
// a request the limits should have refused fails the test.
func TestAbuse(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)

	t.Run("sandbox refuses a non-loopback HTTP_ADDR at start", func(t *testing.T) {
		t.Parallel()
		for _, addr := range []string{":18080", "0.0.0.0:18080", "[::]:18080", "[::0]:18080", "[::ffff:0.0.0.0]:18080", "192.0.2.1:18080", "example.com:18080"} {
			work := t.TempDir()
			cmd := exec.Command(bin, "sandbox")
			cmd.Dir = work
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "HTTP_ADDR=" + addr}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
				if err == nil || len(lines) != 1 || !strings.Contains(lines[0], "loopback only") {
					t.Errorf("HTTP_ADDR=%s: exit %v, stderr %q", addr, err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Errorf("HTTP_ADDR=%s: the sandbox started", addr)
			}
		}
	})

	t.Run("sandbox answers loopback Host names only", func(t *testing.T) {
		t.Parallel()
		addr := startSandbox(t, bin)
		_, port, _ := strings.Cut(addr, ":")
		do := func(method, host, path string) (int, string) {
			req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(`{"url":"http://127.0.0.1:1/"}`))
			req.Host = host
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		// A page on attacker.example rebinds its name to 127.0.0.1: the
		// browser sends Host: attacker.example:PORT.
		for _, host := range []string{"attacker.example:" + port, "attacker.example", "127.0.0.1.nip.io:" + port, "localhost.attacker.example:" + port} {
			for _, r := range [][2]string{{"GET", "/sandbox/api/state"}, {"GET", "/sandbox/api/launch?user=1000"}, {"PUT", "/api/merchant/1/webhook"}, {"GET", "/healthz"}} {
				status, body := do(r[0], host, r[1])
				if status != http.StatusMisdirectedRequest || strings.Contains(body, "tp_") || strings.Contains(body, "tgWebAppData") {
					t.Errorf("Host %s %s %s: %d %.200s", host, r[0], r[1], status, body)
				}
			}
		}
		for _, host := range []string{addr, "localhost:" + port, "127.0.0.1"} {
			if status, body := do("GET", host, "/sandbox/api/state"); status != 200 || !strings.Contains(body, "tp_") {
				t.Errorf("Host %s: %d %.200s", host, status, body)
			}
		}
	})

	t.Run("service", func(t *testing.T) {
		t.Parallel()
		abuseService(t, bin)
	})
}

// buildBinary builds tonpay into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "tonpay")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tonpay")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startSandbox runs `tonpay sandbox` on a free loopback port until the test
// ends and returns its address once it says where to open it.
func startSandbox(t *testing.T, bin string) string {
	t.Helper()
	work := t.TempDir()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "sandbox")
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "HTTP_ADDR=" + addr}
	stdout, _ := cmd.StdoutPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{}, 1)
	defer waitFor(t, 10*time.Second, func() bool {
		res, err := http.Get("http://" + addr + "/sandbox/api/state")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "open http://") {
				ready <- struct{}{}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("the sandbox did not start:\n%s", stderr.String())
	}
	return addr
}

// abuser talks to a running service as users, merchants and their owners.
type abuser struct {
	t     *testing.T
	base  string
	token string // BOT_TOKEN: signs initData
}

type abuseResp struct {
	status int
	body   []byte
	code   string
}

func (a *abuser) initData(userID int64) string {
	now := time.Now()
	qs := url.Values{"auth_date": {strconv.FormatInt(now.Unix(), 10)},
		"user": {fmt.Sprintf(`{"id":%d,"first_name":"U%d","language_code":"en"}`, userID, userID)}, "query_id": {"abuse"}}.Encode()
	hash, err := initdata.SignQueryString(qs, a.token, now)
	if err != nil {
		a.t.Fatal(err)
	}
	return "tma " + qs + "&hash=" + hash
}

func (a *abuser) do(method, path, auth string, body any, headers ...string) abuseResp {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(b, &e)
	return abuseResp{status: res.StatusCode, body: b, code: e.Error.Code}
}

func (r abuseResp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return m
}

// balance is the user's balance of asset in smallest units.
func (a *abuser) balance(userID int64, asset string) store.Amount {
	a.t.Helper()
	r := a.do("GET", "/api/me", a.initData(userID), nil)
	var me struct {
		Balances []struct{ Asset, Amount string }
	}
	json.Unmarshal(r.body, &me)
	for _, b := range me.Balances {
		if b.Asset == asset {
			n, _ := strconv.ParseInt(b.Amount, 10, 64)
			return store.Amount(n)
		}
	}
	return 0
}

// runtimeFigures reads the binary's own goroutines and memory from
// /metrics (loopback sees it).
func (a *abuser) runtimeFigures() (goroutines, heapMB, rssMB float64) {
	a.t.Helper()
	r := a.do("GET", "/metrics", "", nil)
	val := func(name string) float64 {
		m := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+]+)$`).FindSubmatch(r.body)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	return val("go_goroutines"), val("go_memstats_heap_inuse_bytes") / (1 << 20), val("process_resident_memory_bytes") / (1 << 20)
}

// tarpit is a webhook receiver that answers after hold; healthy answers at
// once. Both record when each request arrived.
type hookRecv struct {
	*httptest.Server
	hold time.Duration
	mu   sync.Mutex
	at   []time.Time
	got  []string
}

func newHookRecv(t *testing.T, hold time.Duration) *hookRecv {
	h := &hookRecv{hold: hold}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.at = append(h.at, time.Now())
		h.got = append(h.got, string(b))
		h.mu.Unlock()
		select {
		case <-time.After(h.hold):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(h.Server.Close)
	return h
}

func (h *hookRecv) arrivals() []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Time(nil), h.at...)
}

func abuseService(t *testing.T, bin string) {
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(400 * time.Millisecond)

	const token = "123456:ABUSE-secret"
	const ownerA, ownerB, victim, mallory = 500001, 500002, 500003, 500004
	dir := t.TempDir()
	words := tonrig.Seed()
	httpAddr := freeAddr(t)
	tg := fakeBotAPI(t)
	env := map[string]string{
		"BOT_TOKEN":              token,
		"PUBLIC_URL":             "http://" + httpAddr,
		"TELEGRAM_API_URL":       tg.URL,
		"DB_PATH":                filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":              httpAddr,
		"TON_LITESERVERS":        chain.LiteServers(),
		"TON_PROOF_CHECK":        "unsafe",
		"HOT_WALLET_MNEMONIC":    strings.Join(words, " "),
		"WEBHOOKS_ALLOW_PRIVATE": "true",
		"LOG_LEVEL":              "warn",
	}
	environ := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	tarpit, healthy := newHookRecv(t, 10*time.Second), newHookRecv(t, 0)
	tokens := map[string]string{}
	for _, m := range []struct {
		name, hook string
		owner      int64
	}{{"Tarpit shop", tarpit.URL, ownerA}, {"Healthy shop", healthy.URL, ownerB}} {
		cmd := exec.Command(bin, "merchant", "add", m.name, m.hook, "--owner", strconv.FormatInt(m.owner, 10))
		cmd.Env = environ
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("merchant add: %v\n%s", err, out)
		}
		tk := regexp.MustCompile(`api token: (\S+)`).FindSubmatch(out)
		if tk == nil {
			t.Fatalf("no token in %s", out)
		}
		tokens[m.name] = string(tk[1])
	}

	svc := exec.Command(bin, "serve")
	svc.Env = environ
	var logs syncBuffer
	svc.Stdout, svc.Stderr = &logs, &logs
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		svc.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { svc.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			svc.Process.Kill()
		}
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	}()
	a := &abuser{t: t, base: "http://" + httpAddr, token: token}
	waitFor(t, 20*time.Second, func() bool {
		res, err := http.Get(a.base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	g0, heap0, rss0 := a.runtimeFigures()
	t.Logf("started: %.0f goroutines, heap %.1f MiB, RSS %.1f MiB", g0, heap0, rss0)

	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	payer, err := chain.NewWallet(wallet.V4R2, 100_000_000_000)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("tarpit webhook beside a healthy one", func(t *testing.T) {
		// Each owner sends a test event: the tarpit's first, held 10 s.
		if r := a.do("POST", "/api/merchant/1/webhook/test", a.initData(ownerA), nil); r.status/100 != 2 {
			t.Fatalf("tarpit test event: %d %s", r.status, r.body)
		}
		waitFor(t, 5*time.Second, func() bool { return len(tarpit.arrivals()) == 1 })
		sent := time.Now()
		if r := a.do("POST", "/api/merchant/2/webhook/test", a.initData(ownerB), nil); r.status/100 != 2 {
			t.Fatalf("healthy test event: %d %s", r.status, r.body)
		}
		waitFor(t, 8*time.Second, func() bool { return len(healthy.arrivals()) >= 1 })
		took := healthy.arrivals()[0].Sub(sent)
		t.Logf("healthy merchant's webhook delivered %v after it was queued, while the tarpit held its own", took.Round(time.Millisecond))
		if took > 3*time.Second {
			t.Fatalf("the healthy merchant waited %v behind the tarpit", took)
		}
	})

	t.Run("foreign BOC", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "normalized_hash.json"))
		if err != nil {
			raw, err = os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "normalized_hash.json"))
		}
		if err != nil {
			t.Skipf("shared fixture: %v", err)
		}
		var fx struct{ BOC string }
		json.Unmarshal(raw, &fx)
		shop := "Bearer " + tokens["Healthy shop"]
		r := a.do("POST", "/api/v1/invoices", shop, map[string]any{"asset": store.TON.Symbol, "amount": "2"}, "Idempotency-Key", "abuse-boc")
		if r.status != 201 {
			t.Fatalf("merchant invoice: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		for _, c := range []struct{ boc, code string }{
			{fx.BOC, "boc_mismatch"},                // a real wallet's transfer, of something else
			{"te6ccgEBAQEAAgAAAA==", "invalid_boc"}, // not a wallet's message
		} {
			if r := a.do("POST", "/api/invoices/"+id+"/boc", a.initData(mallory), map[string]string{"boc": c.boc}); r.status != 400 || r.code != c.code {
				t.Errorf("BOC to %s: %d %s", id, r.status, r.body)
			}
		}
		r = a.do("GET", "/api/v1/invoices/"+id, shop, nil)
		if inv := r.json(t); inv["status"] != "created" {
			t.Fatalf("the merchant sees %v after a foreign BOC", inv["status"])
		}
		// A top-up as well: refused, still created, nothing credited.
		r = a.do("POST", "/api/deposits", a.initData(mallory), map[string]string{"asset": store.TON.Symbol, "amount": "1"})
		if r.status != 201 {
			t.Fatalf("top-up: %d %s", r.status, r.body)
		}
		top := r.json(t)["invoice"].(map[string]any)["id"].(string)
		if r := a.do("POST", "/api/deposits/"+top+"/boc", a.initData(mallory), map[string]string{"boc": fx.BOC}); r.status != 400 || r.code != "boc_mismatch" {
			t.Errorf("top-up BOC: %d %s", r.status, r.body)
		}
		if r := a.do("GET", "/api/deposits/"+top, a.initData(mallory), nil); r.json(t)["invoice"].(map[string]any)["status"] != "created" {
			t.Errorf("top-up after a foreign BOC: %s", r.body)
		}
		if b := a.balance(mallory, store.TON.Symbol); b != 0 {
			t.Errorf("a foreign BOC moved %d", b)
		}
		// The real payer: their wallet signs what the page asks (the
		// server's TON Connect request) and the BOC it returns is taken.
		r = a.do("GET", "/api/invoices/"+id, a.initData(victim), nil)
		var pay struct {
			Transaction struct{ Messages []sandbox.WalletMessage }
		}
		if err := json.Unmarshal(r.body, &pay); err != nil || len(pay.Transaction.Messages) != 1 {
			t.Fatalf("pay request: %d %s", r.status, r.body)
		}
		boc, err := sandbox.SignAndSend(payer, pay.Transaction.Messages)
		if err != nil {
			t.Fatal(err)
		}
		if r := a.do("POST", "/api/invoices/"+id+"/boc", a.initData(victim), map[string]string{"boc": boc}); r.status != 200 {
			t.Fatalf("the payer's own BOC: %d %s", r.status, r.body)
		}
		// Mallory, holding the pay link, cannot take the invoice over: refused
		// while it is open, answered as it stands (nothing changes) once the
		// chain has paid it.
		if r := a.do("POST", "/api/invoices/"+id+"/boc", a.initData(mallory), map[string]string{"boc": boc}); !(r.status == 409 && r.code == "invoice_taken") &&
			!(r.status == 200 && r.json(t)["invoice"].(map[string]any)["status"] == "paid") {
			t.Errorf("a later submitter: %d %s", r.status, r.body)
		}
		waitFor(t, 20*time.Second, func() bool { return a.do("GET", "/api/v1/invoices/"+id, shop, nil).json(t)["status"] == "paid" })
	})

	// The victim gets 5 of the coin through their personal comment.
	me := a.do("GET", "/api/me", a.initData(victim), nil).json(t)
	comment := me["deposit"].(map[string]any)["comment"].(string)
	if err := payer.Send(hot, 5_000_000_000, comment, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool { return a.balance(victim, store.TON.Symbol) == 5_000_000_000 })
	dest := ton.FormatAddress(payer.Address(), true)

	t.Run("dust withdrawals", func(t *testing.T) {
		before := a.balance(victim, store.TON.Symbol)
		r := a.do("POST", "/api/withdrawals", a.initData(victim), map[string]string{"asset": store.TON.Symbol, "amount": "0.000000001", "address": dest}, "Idempotency-Key", "dust-1")
		if r.status/100 == 2 {
			t.Fatal("a withdrawal of 1 nano was queued")
		}
		if r.status != 400 || r.code == "" {
			t.Fatalf("dust withdrawal: %d %s", r.status, r.body)
		}
		if after := a.balance(victim, store.TON.Symbol); after != before {
			t.Fatalf("a refused withdrawal moved %d", before-after)
		}
	})

	t.Run("comma amounts", func(t *testing.T) {
		taken := 0
		// The merchant API refuses any comma.
		shop := "Bearer " + tokens["Healthy shop"]
		for i, amount := range []string{"1,500", "1,5"} {
			r := a.do("POST", "/api/v1/invoices", shop, map[string]any{"asset": store.TON.Symbol, "amount": amount}, "Idempotency-Key", fmt.Sprint("comma-", i))
			if r.status == 201 {
				taken++
				t.Logf("merchant API took %q: %s", amount, r.body)
				continue
			}
			if r.status != 400 {
				t.Errorf("merchant API %q: %d %s", amount, r.status, r.body)
			}
		}
		r := a.do("POST", "/api/v1/payouts", shop, map[string]any{"asset": store.TON.Symbol, "amount": "1,500", "address": dest}, "Idempotency-Key", "comma-payout")
		if r.status/100 == 2 {
			taken++
		} else if r.status != 400 && r.status != 409 {
			t.Errorf("merchant payout 1,500: %d %s", r.status, r.body)
		}
		// The Mini App: "1,500" is ambiguous and refused; nothing moved.
		before := a.balance(victim, store.TON.Symbol)
		r = a.do("POST", "/api/withdrawals", a.initData(victim), map[string]string{"asset": store.TON.Symbol, "amount": "1,500", "address": dest}, "Idempotency-Key", "comma-w")
		switch {
		case r.status/100 == 2:
			taken++
		case r.status != 400:
			t.Errorf("Mini App withdrawal 1,500: %d %s", r.status, r.body)
		}
		r = a.do("POST", "/api/deposits", a.initData(victim), map[string]string{"asset": store.TON.Symbol, "amount": "1,500"})
		if r.status/100 == 2 {
			if amt := r.json(t)["invoice"].(map[string]any)["amount"]; amt == "1500000000" {
				taken++ // read as 1.5
			}
		} else if r.status != 400 {
			t.Errorf("Mini App top-up 1,500: %d %s", r.status, r.body)
		}
		// The bot: /withdraw 1,500 must not be read as 1.5 (a quote of 1.5
		// to confirm); it says how to write the amount.
		quoted := regexp.MustCompile(`1[.,]5\s*(?:<[^>]*>\s*)*(?:TON|GRAM|Gram)`)
		seen := len(tg.Texts(victim))
		tg.Command(victim, "/withdraw 1,500 "+store.TON.Symbol+" "+dest)
		waitFor(t, 10*time.Second, func() bool { return len(tg.Texts(victim)) > seen })
		reply := tg.Texts(victim)[seen]
		t.Logf("bot: /withdraw 1,500 -> %q", reply)
		if quoted.MatchString(reply) {
			taken++
		}
		if taken == 0 && a.balance(victim, store.TON.Symbol) != before {
			t.Fatalf("a refused amount moved money")
		}
		if taken > 0 {
			t.Fatalf("%d comma amounts were taken", taken)
		}
	})

	t.Run("invoice flood", func(t *testing.T) {
		auth := a.initData(mallory)
		var created, refused int
		var code string
		for i := 0; i < 40; {
			r := a.do("POST", "/api/deposits", auth, map[string]string{"asset": store.TON.Symbol, "amount": strconv.Itoa(i + 1)})
			switch {
			case r.status == 429: // the per-user rate: try again
				time.Sleep(150 * time.Millisecond)
				continue
			case r.status == 201:
				created++
			default:
				refused++
				code = r.code
			}
			i++
		}
		t.Logf("open top-up invoices from one user: %d created, %d refused (%s)", created, refused, code)
		if refused == 0 {
			t.Fatal("every top-up invoice was opened")
		}
		if created > 50 {
			t.Fatalf("%d open invoices for one user", created)
		}
	})

	t.Run("stream flood", func(t *testing.T) {
		auth := a.initData(mallory)
		const n = 40
		var bodies []io.ReadCloser
		defer func() {
			for _, b := range bodies {
				b.Close()
			}
		}()
		g1, _, _ := a.runtimeFigures()
		refused := 0
		for i := 0; i < n; {
			req, _ := http.NewRequest("GET", a.base+"/api/events", nil)
			req.Header.Set("Authorization", auth)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode == 429 { // the per-user rate: try again
				res.Body.Close()
				time.Sleep(150 * time.Millisecond)
				continue
			}
			i++
			if res.StatusCode != 200 {
				refused++
				res.Body.Close()
				continue
			}
			bodies = append(bodies, res.Body)
		}
		// Streams the server closed end; those still open keep answering.
		time.Sleep(time.Second)
		open := 0
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, b := range bodies {
			wg.Add(1)
			go func(b io.ReadCloser) {
				defer wg.Done()
				buf := make([]byte, 512)
				done := make(chan error, 1)
				go func() {
					for {
						if _, err := b.Read(buf); err != nil {
							done <- err
							return
						}
					}
				}()
				select {
				case <-done:
				case <-time.After(3 * time.Second):
					mu.Lock()
					open++
					mu.Unlock()
				}
			}(b)
		}
		wg.Wait()
		g2, heap, rss := a.runtimeFigures()
		t.Logf("%d event streams from one user: %d refused, %d still open; goroutines %.0f -> %.0f, heap %.1f MiB, RSS %.1f MiB", n, refused, open, g1, g2, heap, rss)
		if open == n {
			t.Fatal("every stream stayed open")
		}
		if g2-g1 > float64(4*open+20) {
			t.Fatalf("goroutines grew by %.0f for %d open streams", g2-g1, open)
		}
	})

	g9, heap9, rss9 := a.runtimeFigures()
	t.Logf("after the abuse: %.0f goroutines, heap %.1f MiB, RSS %.1f MiB", g9, heap9, rss9)
	if g9 > g0+200 || heap9 > heap0+200 {
		t.Fatalf("unbounded: goroutines %.0f -> %.0f, heap %.1f -> %.1f MiB", g0, g9, heap0, heap9)
	}
}
