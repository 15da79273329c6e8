package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	// Below Linux's ephemeral range (32768-60999): a port picked here and
	// closed until the service binds it again cannot meanwhile become the
	// local port of some parallel test's outgoing connection or of a ":0"
	// listener, which the ephemeral range hands out. Each call takes the
	// next port of a per-process sequence.
	for range 1000 {
		port := 20000 + int(nextPort.Add(1))%12000
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return l.Addr().String()
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

var nextPort = func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(int64(os.Getpid()*7) % 12000)
	return &n
}()

// TestServeCreditsADepositAndStopsCleanly runs the whole service against
// the offline chain: it starts, credits a deposit seen on chain, serves
// /healthz, and returns 0 soon after its context is cancelled.
func TestServeCreditsADepositAndStopsCleanly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)

	dir := t.TempDir()
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := freeAddr(t)
	tgAPI := fakeBotAPI(t)
	env := map[string]string{
		"BOT_TOKEN":           "123456:TEST",
		"TELEGRAM_API_URL":    tgAPI.URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           httpAddr,
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"LOG_LEVEL":           "warn",
		// Below what a TON payout costs on chain: the start log says so.
		"WITHDRAW_FEE": "TON:0.001",
	}
	svc := startService(t, env)

	// A user registered in the service's database pays with their comment.
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	u, err := db.UpsertUser(ctx, store.User{ID: 42})
	if err != nil {
		t.Fatal(err)
	}
	// The operator's own deposit address (`tonpay wallet`) is on record
	// from the first start: the follower watches it.
	keys, err := ton.NewDepositKeys(words, true)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := keys.Address(store.OperatorOwner)
	if ow, err := db.DepositWallet(ctx, store.OperatorOwner); err != nil || ow.Address != op.StringRaw() {
		t.Fatalf("operator's deposit wallet on record: %+v %v, derived %s", ow, err, op.StringRaw())
	}
	w, err := chain.NewWallet(wallet.V4R2, 10_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(hot, 2_000_000_000, u.Comment, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool {
		b, _ := db.Balance(ctx, store.UserAccount(u.ID), store.TON.Symbol)
		return b == 2_000_000_000
	})
	// ...and is told so in Telegram, once the Bot API accepted the notice.
	waitFor(t, 10*time.Second, func() bool {
		for _, m := range tgAPI.Texts(42) {
			if strings.Contains(m, "+2 GRAM") {
				return true
			}
		}
		return false
	})

	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, svc.log())
	}
	if l := svc.log(); !strings.Contains(l, "withdrawal fee below the network cost") || !strings.Contains(l, "asset=GRAM fee_gram=0.001 cost_gram=0.0070148") {
		t.Fatalf("the start log does not warn of the fee below cost:\n%s", l)
	}
	if _, err := net.Dial("tcp", httpAddr); err == nil {
		t.Fatal("the HTTP server still listens after shutdown")
	}
}

// service is the whole binary running in this process on a test's
// environment.
type service struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan int
	mu     sync.Mutex
	stderr strings.Builder
	code   *int
}

// startService runs tonpay serve with env until the test ends and waits
// until its /healthz answers 200.
func startService(t *testing.T, env map[string]string) *service {
	t.Helper()
	s := runService(t, env)
	waitFor(t, 15*time.Second, func() bool {
		resp, err := http.Get("http://" + env["HTTP_ADDR"] + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// runService runs tonpay serve with env until the test ends, without
// waiting for it to be healthy (a drift makes /healthz answer 503).
func runService(t *testing.T, env map[string]string) *service {
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{t: t, cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, s) }()
	t.Cleanup(func() { s.stop() })
	return s
}

// Write collects the service's log (its stderr).
func (s *service) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *service) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// stop cancels the service and returns its exit code; it fails the test if
// the service takes more than 15 s to stop.
func (s *service) stop() int {
	s.t.Helper()
	if s.code != nil {
		return *s.code
	}
	s.cancel()
	select {
	case code := <-s.done:
		s.code = &code
		return code
	case <-time.After(15 * time.Second):
		s.t.Fatal("serve did not stop within 15 s of its context ending")
		return -1
	}
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
