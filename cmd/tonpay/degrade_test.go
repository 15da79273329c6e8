package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// gate is a TCP address that refuses connections until opened, then
// forwards them to target: a lite-server that is down, then up.
type gate struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (g *gate) open(t *testing.T) {
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	t.Cleanup(func() {
		ln.Close()
		g.mu.Lock()
		for _, c := range g.conns {
			c.Close()
		}
		g.mu.Unlock()
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", g.target)
			if err != nil {
				in.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, in, out)
			g.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// TestServeStartsWithoutTheChain starts the service while its only
// lite-server is down: the first log lines come at once (with the hot
// wallet's address), /healthz answers 503 "chain: connecting" within a
// second, the Mini App's /api/me and the bot's /balance answer from the
// ledger, and every dial attempt is logged. A deposit made meanwhile is
// credited once the lite-server comes up, and /healthz turns 200. A
// withdrawal request made meanwhile is taken.
func TestServeStartsWithoutTheChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)
	ls := chain.LiteServers() // 127.0.0.1:port:key
	i := strings.LastIndex(ls, ":")
	g := &gate{addr: freeAddr(t), target: ls[:i]}

	const token = "123456:DEGRADE"
	dir := t.TempDir()
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := freeAddr(t)
	tg := fakeBotAPI(t)
	env := map[string]string{
		"BOT_TOKEN":           token,
		"TELEGRAM_API_URL":    tg.URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           httpAddr,
		"TON_LITESERVERS":     g.addr + ls[i:],
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"LOG_LEVEL":           "info",
	}
	start := time.Now()
	svc := runService(t, env)

	// /healthz within a second: 503, chain: connecting. (The race detector
	// makes the seed's key derivations alone take most of a second.)
	limit := time.Second
	if raceEnabled {
		limit = 3 * time.Second
	}
	var health string
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			health = resp.Status + " " + string(b)
			break
		}
		if time.Since(start) > limit {
			t.Fatalf("no /healthz within %v of start; log:\n%s", limit, svc.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(health, "503") || !strings.Contains(health, `"stalled":"chain: connecting"`) {
		t.Fatalf("/healthz while the chain is down: %s", health)
	}
	t.Logf("/healthz answered %v after start: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(health))
	logs := svc.log()
	if !strings.Contains(logs, "msg=starting") || !strings.Contains(logs, "hot_wallet="+ton.FormatAddress(hot, true)) ||
		!strings.Contains(logs, "network=testnet") || !strings.Contains(logs, "http="+httpAddr) {
		t.Fatalf("first log lines lack the start facts:\n%s", logs)
	}

	// What needs only the ledger works.
	auth := tma(t, token, 4242)
	req, _ := http.NewRequest("GET", "http://"+httpAddr+"/api/me", nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/api/me while the chain is down: %d %v", resp.StatusCode, me)
	}
	comment := me["deposit"].(map[string]any)["comment"].(string)
	tg.Command(4242, "/balance")
	waitFor(t, 10*time.Second, func() bool {
		for _, m := range tg.Texts(4242) {
			if strings.Contains(m, "Your balance") {
				return true
			}
		}
		return false
	})
	// Every dial attempt is in the log.
	waitFor(t, 5*time.Second, func() bool { return strings.Count(svc.log(), "lite-server unreachable; retrying") >= 2 })

	// A withdrawal request moves only the ledger: it is taken (and waits
	// for the chain). The balance comes from an admin's adjustment, which
	// the chain does not see either.
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	if _, err := db.Post(ctx, store.Transfer{Key: "gift", Kind: store.TransferAdjustment, Postings: []store.Posting{
		{Account: store.AccountAdjust, Asset: store.TON.Symbol, Amount: -1_000_000_000}, {Account: store.UserAccount(4242), Asset: store.TON.Symbol, Amount: 1_000_000_000}}}); err != nil {
		t.Fatal(err)
	}
	w, err := chain.NewWallet(wallet.V4R2, 10_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"asset":"TON","amount":"0.5","address":"` + ton.FormatAddress(w.Address(), true) + `"}`
	req, _ = http.NewRequest("POST", "http://"+httpAddr+"/api/withdrawals", strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "offline-1")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var wd map[string]any
	json.NewDecoder(resp.Body).Decode(&wd)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("withdrawal request while the chain is down: %d %v", resp.StatusCode, wd)
	}

	// A deposit while the service cannot see the chain...
	if err := w.Send(hot, 2_000_000_000, comment, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // mined, unseen
	if c := checkCredited(db); c != 0 {
		t.Fatalf("credited %d before the chain was reachable", c)
	}

	// ...is credited once the lite-server is up.
	up := time.Now()
	g.open(t)
	waitFor(t, 40*time.Second, func() bool { return checkCredited(db) == 2_000_000_000 })
	t.Logf("credited %v after the lite-server came up", time.Since(up).Round(time.Millisecond))
	waitFor(t, 10*time.Second, func() bool {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !strings.Contains(svc.log(), "lite-server connected") {
		t.Fatalf("no connection logged:\n%s", svc.log())
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, svc.log())
	}
}

// TestServeWarnsAboutTheClock: a machine clock more than 5 s off the
// chain's is a warning in the log and on /healthz once the chain is
// reached; a warning does not fail /healthz.
func TestServeWarnsAboutTheClock(t *testing.T) {
	t.Parallel()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.Advance(20 * time.Second) // the chain's clock: 20 s ahead of ours
	chain.AutoMine(100 * time.Millisecond)
	env := map[string]string{
		"BOT_TOKEN":           "123456:CLOCK",
		"TELEGRAM_API_URL":    fakeBotAPI(t).URL,
		"DB_PATH":             filepath.Join(t.TempDir(), "tonpay.db"),
		"HTTP_ADDR":           freeAddr(t),
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(tonrig.Seed(), " "),
		"LOG_LEVEL":           "info",
	}
	svc := runService(t, env)
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(svc.log(), "this machine's clock is off the chain's") })
	line := svc.log()[strings.Index(svc.log(), "this machine's clock"):]
	if line = line[:strings.IndexByte(line, '\n')]; !strings.Contains(line, "off=20s") && !strings.Contains(line, "off=19s") && !strings.Contains(line, "off=21s") {
		t.Fatalf("clock warning: %s", line)
	}
	var health struct {
		OK       bool     `json:"ok"`
		Warnings []string `json:"warnings"`
	}
	var status int
	waitFor(t, 10*time.Second, func() bool {
		resp, err := http.Get("http://" + env["HTTP_ADDR"] + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		status = resp.StatusCode
		return json.NewDecoder(resp.Body).Decode(&health) == nil && len(health.Warnings) > 0 && status == http.StatusOK
	})
	if w := health.Warnings[0]; len(health.Warnings) != 1 || !strings.Contains(w, "behind the chain's") ||
		!strings.Contains(w, "timedatectl") || !(strings.Contains(w, " 20s ") || strings.Contains(w, " 19s ") || strings.Contains(w, " 21s ")) {
		t.Fatalf("/healthz warnings: %q", health.Warnings)
	}
	if status != http.StatusOK || !health.OK {
		t.Fatalf("/healthz with only a clock warning: %d ok=%v", status, health.OK)
	}
	// Without TLS_DOMAIN the service is behind a proxy: /metrics goes to a
	// client on the proxy's machine, not to one the proxy reports from the
	// internet.
	for xff, want := range map[string]int{"": http.StatusOK, "203.0.113.7": http.StatusForbidden} {
		req, _ := http.NewRequest("GET", "http://"+env["HTTP_ADDR"]+"/metrics", nil)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("/metrics for X-Forwarded-For %q: %d, want %d", xff, resp.StatusCode, want)
		}
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, svc.log())
	}
}
