package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With nothing configured, tonpay (what `make run` starts) runs the
// sandbox: the banner, the page and its API, the bot answering in the chat
// panel; it stops cleanly when its context ends.
func TestSandboxWithoutConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"DB_PATH": filepath.Join(dir, "ignored.db"), "HTTP_ADDR": addr}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	start := time.Now()
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr) }()
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(stdout.String(), "open http://") })
	t.Logf("banner after %v", time.Since(start))
	if !strings.Contains(stdout.String(), "No real money") || !strings.Contains(stdout.String(), "Bearer tp_") {
		t.Fatalf("banner:\n%s", stdout.String())
	}
	base := "http://" + addr
	get := func(path string, v any) {
		t.Helper()
		var res *http.Response
		var err error
		waitFor(t, 5*time.Second, func() bool { res, err = http.Get(base + path); return err == nil })
		defer res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if v != nil {
			json.NewDecoder(res.Body).Decode(v)
		}
	}
	var state struct {
		Users []struct {
			ID      int64  `json:"id"`
			Deposit string `json:"deposit_address"`
		} `json:"users"`
	}
	get("/sandbox/api/state", &state)
	if len(state.Users) != 3 {
		t.Fatalf("demo users %+v", state.Users)
	}
	// Every demo user has a deposit address of their own, in the banner too.
	seen := map[string]bool{}
	for _, u := range state.Users {
		if !strings.HasPrefix(u.Deposit, "0Q") || seen[u.Deposit] || !strings.Contains(stdout.String(), u.Deposit) {
			t.Fatalf("demo user %d's deposit address %q (banner:\n%s)", u.ID, u.Deposit, stdout.String())
		}
		seen[u.Deposit] = true
	}
	get("/sandbox/", nil)
	// The bot answers /start in the chat panel through the Bot API stand-in.
	http.Post(base+"/sandbox/api/chat", "application/json", strings.NewReader(`{"user":"1001","text":"/start"}`))
	waitFor(t, 10*time.Second, func() bool {
		var chat struct {
			Messages []struct{ From, Text string }
		}
		get("/sandbox/api/chat?user=1001", &chat)
		for _, m := range chat.Messages {
			if m.From == "bot" && strings.Contains(m.Text, "Alice") {
				return true
			}
		}
		return false
	})
	// /topup shows Alice's own address; the sandbox wallet sends there
	// without a comment.
	http.Post(base+"/sandbox/api/chat", "application/json", strings.NewReader(`{"user":"1001","text":"/topup"}`))
	waitFor(t, 10*time.Second, func() bool {
		var chat struct {
			Messages []struct{ From, Text string }
		}
		get("/sandbox/api/chat?user=1001", &chat)
		for _, m := range chat.Messages {
			if m.From == "bot" && strings.Contains(m.Text, state.Users[0].Deposit) && strings.Contains(m.Text, "No comment needed") {
				return true
			}
		}
		return false
	})
	post := func(path, body string) map[string]any {
		t.Helper()
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, res.StatusCode, out)
		}
		return out
	}
	post("/sandbox/api/faucet", `{"user":"1001","asset":"GRAM"}`)
	if out := post("/sandbox/api/wallet/deposit", `{"user":"1001","asset":"GRAM"}`); out["ok"] != true {
		t.Fatalf("send to the deposit address: %v", out)
	}
	waitFor(t, 10*time.Second, func() bool {
		var w struct{ TON string }
		get("/sandbox/api/wallet?user=1001", &w)
		return strings.HasPrefix(w.TON, "8.") // 10 from the faucet, 1 sent, the fee
	})
	// ...and the bot tells Alice it was credited to her.
	waitFor(t, 10*time.Second, func() bool {
		var chat struct {
			Messages []struct{ From, Text string }
		}
		get("/sandbox/api/chat?user=1001", &chat)
		for _, m := range chat.Messages {
			if m.From == "bot" && strings.Contains(m.Text, "+1 GRAM") {
				return true
			}
		}
		return false
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox.db")); err != nil {
		t.Fatalf("the sandbox database: %v", err)
	}
}

// `tonpay serve` never falls back to the sandbox: without a token it fails
// with its one line, which now names the sandbox.
func TestServeWithoutTokenNamesTheSandbox(t *testing.T) {
	code, _, stderr := tonpay(t, t.TempDir(), map[string]string{}, "serve")
	line := oneLine(t, stderr)
	if code == 0 || !strings.Contains(line, "BOT_TOKEN") || !strings.Contains(line, "tonpay sandbox") {
		t.Fatalf("exit %d: %q", code, line)
	}
}

// TestSandboxInBrowser builds the binary and starts it as `make run` does on
// a clean checkout (no configuration), then drives the sandbox page in
// headless Chromium through webapp/e2e/sandbox.mjs: faucet, the sandbox
// wallet's ton_proof, a 2 TON top-up pushed as paid, /start and /balance in
// the chat panel, a 1 TON withdrawal arriving in the wallet with its
// notice, a merchant invoice paid with its signed webhook; then Ctrl-C.
func TestSandboxInBrowser(t *testing.T) {
	t.Parallel()
	root, chromium, node := browser(t)
	bin := filepath.Join(t.TempDir(), "tonpay")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tonpay")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	work := t.TempDir() // a clean checkout's working directory: no .env, no data
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "HTTP_ADDR=" + addr}
	stdout, _ := cmd.StdoutPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	ready := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "open http://") {
				ready <- time.Since(start)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	select {
	case d := <-ready:
		if d > 5*time.Second {
			t.Fatalf("the sandbox took %v to say where to open it", d)
		}
		t.Logf("open http://… after %v", d)
	case err := <-exited:
		t.Fatalf("the sandbox exited: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("no 'open http://' within 10 s:\n%s", stderr.String())
	}

	var res struct {
		OK bool `json:"ok"`
	}
	last, err := runDriver(t, root, node, "sandbox.mjs", []string{"BASE_URL=http://" + addr,
		"ARTIFACTS_DIR=" + filepath.Join(root, "test-artifacts", "e2e"), "CHROMIUM=" + chromium}, &res)
	if err != nil || !res.OK {
		t.Fatalf("browser run failed (%v): %s\nsandbox log:\n%s", err, last, stderr.String())
	}
	t.Logf("sandbox e2e: %s", last)

	// Ctrl-C stops it cleanly.
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after Ctrl-C: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not stop on Ctrl-C")
	}
}
