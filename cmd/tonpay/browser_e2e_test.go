package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// What every browser test (*_e2e_test.go, the sandbox's) sets up: the
// browser, the whole service on the offline chain, a driver in
// webapp/e2e.

// browser finds what a browser test needs (the repository root, Debian's
// chromium, node with webapp's playwright-core), or skips the test (fails
// it under TONPAY_REQUIRE_BROWSER, as on CI).
func browser(t *testing.T) (root, chromium, node string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, errBrowser := os.Stat(chromium)
	_, errModules := os.Stat(filepath.Join(root, "webapp", "node_modules", "playwright-core"))
	node, errNode := exec.LookPath("node")
	if errBrowser != nil || errModules != nil || errNode != nil {
		if os.Getenv("TONPAY_REQUIRE_BROWSER") != "" {
			t.Fatalf("browser test prerequisites missing: chromium %v, webapp/node_modules %v, node %v", errBrowser, errModules, errNode)
		}
		t.Skip("needs Debian chromium, node and `npm ci` in webapp (make e2e-deps)")
	}
	if testing.Short() {
		t.Skip("browser test")
	}
	return root, chromium, node
}

// runDriver runs a webapp/e2e driver and decodes its last line of output.
func runDriver(t *testing.T, root, node, script string, env []string, out any) (string, error) {
	t.Helper()
	cmd := exec.Command(node, filepath.Join(root, "webapp", "e2e", script))
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = filepath.Join(root, "webapp")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	last := lines[len(lines)-1]
	if jerr := json.Unmarshal([]byte(last), out); jerr != nil && err == nil {
		err = jerr
	}
	return last, err
}

// e2e is the whole service on the offline chain, as a browser test drives
// it: a chain mining every mine, a hot wallet seed, the Bot API stand-in
// (unless extra names another), the service's environment (env) at base;
// start runs it.
type e2e struct {
	t                    *testing.T
	root, chromium, node string
	chain                *tontest.Chain
	words                []string
	hot                  *address.Address
	base                 string
	env                  map[string]string
	svc                  *service
	db                   *store.DB
}

// newE2E prepares the service for a browser test (skipped without a
// browser); extra adds to or replaces its environment.
func newE2E(t *testing.T, token string, mine time.Duration, extra map[string]string) *e2e {
	t.Helper()
	e := &e2e{t: t}
	e.root, e.chromium, e.node = browser(t)
	e.chain = tonrig.Chain(t, tontest.Options{})
	e.chain.AutoMine(mine)
	e.words = tonrig.Seed()
	var err error
	if e.hot, err = ton.HotWalletAddress(e.words); err != nil {
		t.Fatal(err)
	}
	httpAddr := freeAddr(t)
	e.base = "http://" + httpAddr
	e.env = map[string]string{
		"BOT_TOKEN":           token,
		"PUBLIC_URL":          e.base,
		"DB_PATH":             filepath.Join(t.TempDir(), "tonpay.db"),
		"HTTP_ADDR":           httpAddr,
		"TON_LITESERVERS":     e.chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(e.words, " "),
		"LOG_LEVEL":           "warn",
	}
	for k, v := range extra {
		e.env[k] = v
	}
	if e.env["TELEGRAM_API_URL"] == "" {
		e.env["TELEGRAM_API_URL"] = fakeBotAPI(t).URL
	}
	return e
}

// start runs the service until the test ends and opens its database.
func (e *e2e) start() {
	e.t.Helper()
	e.svc = startService(e.t, e.env)
	e.db = storetest.OpenWith(e.t, storetest.Config{Path: e.env["DB_PATH"], Assets: []store.Asset{}})
}

// addMerchant runs `tonpay merchant add NAME HOOK --owner OWNER` and
// returns what it printed, matched by re.
func (e *e2e) addMerchant(name, hook, owner string, re *regexp.Regexp) []string {
	e.t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"merchant", "add", name, hook, "--owner", owner},
		func(k string) string { return e.env[k] }, &out, &errOut); code != 0 {
		e.t.Fatalf("tonpay merchant add: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	m := re.FindStringSubmatch(out.String())
	if m == nil {
		e.t.Fatalf("tonpay merchant add printed:\n%s", out.String())
	}
	return m
}

// call asks the service's HTTP API with an Authorization header (and
// more header pairs) and decodes the JSON answer.
func (e *e2e) call(method, path, auth string, body any, hdr ...string) (int, map[string]any) {
	e.t.Helper()
	return jsonCall(e.t, e.base, method, path, auth, body, hdr...)
}

// jsonCall asks an HTTP JSON API at base with an Authorization header (and
// more header pairs); a nil body sends none. It decodes the answer.
func jsonCall(t *testing.T, base, method, path, auth string, body any, hdr ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// driver runs the webapp/e2e driver script with the service's base URL,
// the browser and the artifacts directory besides env, and decodes its
// last line into out.
func (e *e2e) driver(script string, env []string, out any) (string, error) {
	e.t.Helper()
	return runDriver(e.t, e.root, e.node, script, append([]string{"BASE_URL=" + e.base, "CHROMIUM=" + e.chromium,
		"ARTIFACTS_DIR=" + filepath.Join(e.root, "test-artifacts", "e2e")}, env...), out)
}

// roleWallets are the wallets of a dashboard test's people on the chain: a
// payer holding payerNano, a stranger (5 Gram) who pays a comment nobody
// issued, and a withdrawal's destination (1 Gram).
func roleWallets(t *testing.T, chain *tontest.Chain, payerNano uint64) (payer, stranger, dest *tontest.Wallet) {
	t.Helper()
	var err error
	for _, w := range []struct {
		to   **tontest.Wallet
		nano uint64
	}{{&payer, payerNano}, {&stranger, 5_000_000_000}, {&dest, 1_000_000_000}} {
		if *w.to, err = chain.NewWallet(wallet.V4R2, w.nano); err != nil {
			t.Fatal(err)
		}
	}
	return payer, stranger, dest
}
