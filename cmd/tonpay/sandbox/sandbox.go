// Package sandbox runs the whole product offline (`tonpay sandbox`): the
// real service (the same follower, payer, ledger, bot,
// API and web app) against an emulated chain in this process, reached
// through the real tonutils-go client over loopback, and a Bot API
// stand-in whose chats show in a panel beside the Mini App. It never dials
// a real lite-server or the real Bot API. Its database is new at every
// start; the chain lives in memory. The page it serves under /sandbox/ is
// embedded from this directory. The service itself is main's: Run gets it
// as a Serve.
package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
	"github.com/tonpay/tonpay/webapp"
)

//go:embed index.html inject.js sandbox.css sandbox.js wallet.svg
var pageFiles embed.FS

// BotToken is the sandbox bot's token: the Bot API stand-in takes it, and
// the Mini App's initData is signed with it.
const BotToken = sandboxToken

const (
	sandboxToken   = "7000000001:SANDBOX-not-a-real-bot-token"
	sandboxBotName = "tonpay_sandbox_bot"
	sandboxAdmin   = 1000
)

// demoUser is a user of the sandbox, with their wallet on the emulated chain.
type demoUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	Lang string `json:"-"`
	// Deposit is the user's own deposit address, as the faces show it
	// (no comment needed); empty when the service hands out none.
	Deposit string `json:"deposit_address,omitempty"`
	wallet  *tontest.Wallet
	deposit *address.Address
}

// sandboxRun is what the sandbox needs while it runs.
type sandboxRun struct {
	log    *slog.Logger
	base   string // http://127.0.0.1:PORT
	chain  *tontest.Chain
	usdt   *tontest.Jetton
	tg     *botapi.API
	users  []*demoUser
	shop   store.Merchant
	token  string // the demo merchant's API token
	hot    string // the hot wallet (the comment path), as shown
	opAddr string // the operator's own deposit address, as shown
	hookMu sync.Mutex
	hooks  []webhookSeen
}

type webhookSeen struct {
	At       time.Time       `json:"at"`
	Type     string          `json:"type"`
	Verified bool            `json:"verified"`
	Body     json.RawMessage `json:"body"`
}

// Serve runs the real service with the configuration env holds (as
// `tonpay serve` reads it from the environment), its public URL and pay
// link replaced by o's, until ctx ends. Once its database and HTTP server
// exist it calls o.Extend, whose routes and parts it serves beside its own.
type Serve func(ctx context.Context, env func(string) string, o Options) error

// Options is what the sandbox changes in the service Serve runs.
type Options struct {
	PublicURL *url.URL
	PayURL    string
	// Extend mounts the sandbox on web (log is the service's logger) and
	// returns the parts Serve runs beside its own.
	Extend func(log *slog.Logger, web *miniapp.Server, db *store.DB) []Part
}

// Part is a long-running part of the sandbox (the Bot API stand-in).
type Part struct {
	Name string
	Run  func(ctx context.Context) error
}

// Run starts the sandbox and serves it until ctx ends; it returns the exit
// code. getenv gives DB_PATH (its directory holds sandbox.db), HTTP_ADDR and
// LOG_LEVEL; the rest of the configuration is the sandbox's own.
func Run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, serve Serve) int {
	started := time.Now()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "tonpay sandbox: %v\n", err)
		return 1
	}
	dir := "data"
	if p := getenv("DB_PATH"); p != "" {
		dir = filepath.Dir(p)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	dbPath := filepath.Join(dir, "sandbox.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
	}
	addr, err := sandboxAddr(getenv("HTTP_ADDR"))
	if err != nil {
		return fail(err)
	}

	chain, err := tontest.Start(ctx, tontest.Options{})
	if err != nil {
		return fail(err)
	}
	defer chain.Close()
	chain.AutoMine(400 * time.Millisecond) // mainnet's pace
	usdt := chain.NewJetton("USDT", 6)
	tg, err := botapi.Start(botapi.Options{Token: sandboxToken, Username: sandboxBotName, FirstName: "tonpay sandbox", BotID: 7000000001,
		PollWait: 10 * time.Second, InvoicePrefix: "sandbox", ChargePrefix: "stxSandbox-"})
	if err != nil {
		return fail(err)
	}
	defer tg.Close()

	words := wallet.NewSeed()
	env := map[string]string{
		"BOT_TOKEN":               sandboxToken,
		"TELEGRAM_API_URL":        tg.URL,
		"DB_PATH":                 dbPath,
		"HTTP_ADDR":               addr,
		"TON_NETWORK":             "testnet",
		"TON_LITESERVERS":         chain.LiteServers(),
		"TON_PROOF_CHECK":         "unsafe",
		"HOT_WALLET_MNEMONIC":     strings.Join(words, " "),
		"JETTONS":                 "USDT:" + usdt.Master().StringRaw() + ":6",
		"ADMIN_IDS":               strconv.Itoa(sandboxAdmin),
		"WITHDRAW_FEE":            "GRAM:0.01,USDT:0.06",
		"WITHDRAW_MIN":            "GRAM:0.1,USDT:1",
		"WITHDRAW_APPROVAL_ABOVE": "GRAM:50,USDT:500",
		"DEPOSIT_MIN":             "GRAM:0.01,USDT:0.1",
		"PACKAGES":                "starter:GRAM:1.5:100,starter:XTR:150:100,pro:USDT:5:1000,pro:XTR:500:1000:monthly",
		"WEBHOOKS_ALLOW_PRIVATE":  "true",
		"LOG_LEVEL":               or(getenv("LOG_LEVEL"), "warn"),
		"TON_RPS":                 "0",
	}
	base := "http://" + addr
	public, _ := url.Parse(base + "/")

	run := &sandboxRun{base: base, chain: chain, usdt: usdt, tg: tg}
	hotAddr, err := ton.HotWalletAddress(words)
	if err != nil {
		return fail(err)
	}
	run.hot = ton.FormatAddress(hotAddr, true)
	for _, u := range []*demoUser{{ID: 1001, Name: "Alice", Role: "user", Lang: "en"}, {ID: 1002, Name: "Борис", Role: "user", Lang: "ru"},
		{ID: sandboxAdmin, Name: "Admin", Role: "admin", Lang: "en"}} {
		if u.wallet, err = chain.NewWallet(wallet.V4R2, 0); err != nil {
			return fail(err)
		}
		tg.User(u.ID, u.Name, u.Lang)
		run.users = append(run.users, u)
	}
	// The service's float, sent as an operator would: to the operator's own
	// deposit address (`tonpay wallet` prints it), booked to the operator's
	// capital and swept to the hot wallet within a few blocks of the start.
	keys, err := ton.NewDepositKeys(words, true)
	if err != nil {
		return fail(err)
	}
	opAddr, err := keys.Address(store.OperatorOwner)
	if err != nil {
		return fail(err)
	}
	chain.Fund(opAddr, 100*1_000_000_000)
	usdt.Mint(opAddr, big.NewInt(1_000_000_000))

	extend := func(log *slog.Logger, web *miniapp.Server, db *store.DB) []Part {
		run.log = log
		run.setup(ctx, db)
		// Only loopback names: a page elsewhere that rebinds its own name
		// to 127.0.0.1 reaches nothing here.
		web.RestrictHosts(loopbackHost)
		web.Mount("/sandbox/", run.handler())
		// The banner names the page's address: printed once it answers.
		go func() {
			select {
			case <-web.Listening():
				fmt.Fprint(stdout, run.banner(time.Since(started)))
			case <-ctx.Done():
			}
		}()
		return []Part{{"telegram stand-in", tg.Run}}
	}
	o := Options{PublicURL: public, PayURL: base + "/sandbox/?startapp=", Extend: extend}
	if err := serve(ctx, func(k string) string { return env[k] }, o); err != nil {
		return fail(err)
	}
	return 0
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// sandboxAddr is HTTP_ADDR, or 127.0.0.1:8080 when unset, or a free port
// of the same host when that port is taken. The sandbox serves the demo
// merchant's token and signed admin sessions to whoever asks: it listens on
// loopback only (127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, localhost), and
// any other address, the unspecified ones and a bare ":port" included, is
// refused.
func sandboxAddr(want string) (string, error) {
	if want == "" {
		want = "127.0.0.1:8080"
	}
	host, _, err := net.SplitHostPort(want)
	if err != nil {
		return "", fmt.Errorf("HTTP_ADDR %q: %w", want, err)
	}
	if !loopbackHost(host) {
		return "", fmt.Errorf("HTTP_ADDR %q: the sandbox listens on loopback only (127.0.0.1, [::1] or localhost): it hands out the demo merchant's token and admin sessions", want)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, portOf(want)))
	if err != nil {
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return "", err
		}
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return net.JoinHostPort(host, port), nil
}

func portOf(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

// loopbackHost reports whether host (an address without brackets, or a
// name) is loopback: "localhost" or a loopback IP, IPv4-mapped included.
// Other names are not resolved: what they resolve to can change.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// setup creates the demo users and the demo merchant.
func (s *sandboxRun) setup(ctx context.Context, db *store.DB) {
	for _, u := range s.users {
		if _, err := db.UpsertUser(ctx, store.User{ID: u.ID, FirstName: u.Name, LanguageCode: u.Lang}); err != nil {
			s.log.Error("sandbox user", "err", err)
		}
		// Each demo user's own deposit address, as /topup and the Mini App
		// show it: the sandbox wallet can send there without a comment.
		if a, text, err := depositAddress(ctx, db, store.UserOwner(u.ID)); err == nil {
			u.deposit, u.Deposit = a, text
		} else if !errors.Is(err, store.ErrNoDepositWallets) {
			s.log.Error("sandbox deposit address", "user", u.ID, "err", err)
		}
	}
	if _, text, err := depositAddress(ctx, db, store.OperatorOwner); err == nil {
		s.opAddr = text
	}
	// The admin also owns the demo shop: both dashboards in one phone.
	m, token, err := db.AddMerchant(ctx, store.Operator, "Demo shop", s.base+"/sandbox/hook", []int64{sandboxAdmin})
	if err != nil {
		s.log.Error("sandbox merchant", "err", err)
		return
	}
	s.shop, s.token = m, token
}

func (s *sandboxRun) banner(took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  tonpay SANDBOX: an emulated TON chain (the real wallet and USDT code, mainnet's fees) and Telegram in this process.\n  No real money, no network.\n\n")
	fmt.Fprintf(&b, "  open %s/sandbox/\n\n", s.base)
	fmt.Fprintf(&b, "  demo users       ")
	for i, u := range s.users {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%d, %s)", u.Name, u.ID, u.Role)
	}
	fmt.Fprintf(&b, "\n  own addresses    ")
	for i, u := range s.users {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", u.Name, u.Deposit)
	}
	fmt.Fprintf(&b, " (each user's own deposit address: no comment needed)\n")
	fmt.Fprintf(&b, "  hot wallet       %s (payments with a personal comment, TON Connect)\n", s.hot)
	if s.opAddr != "" {
		fmt.Fprintf(&b, "  operator         %s (the operator's own deposit address: its deposits are capital)\n", s.opAddr)
	}
	fmt.Fprintf(&b, "  merchant API     curl -s -X POST %s/api/v1/invoices -H 'Authorization: Bearer %s' \\\n", s.base, s.token)
	fmt.Fprintf(&b, "                     -H 'Content-Type: application/json' -d '{\"asset\":\"GRAM\",\"amount\":\"2\"}'\n")
	fmt.Fprintf(&b, "  go live          set BOT_TOKEN (from @BotFather) and PUBLIC_URL (https), fund the service at the operator's address (`tonpay wallet`);\n")
	fmt.Fprintf(&b, "                   then `make run` serves for real.\n")
	fmt.Fprintf(&b, "  ready in %s; Ctrl-C stops. The sandbox database is new at each start.\n\n", took.Round(time.Millisecond))
	return b.String()
}

func (s *sandboxRun) user(id string) (*demoUser, bool) {
	v, _ := strconv.ParseInt(id, 10, 64)
	for _, u := range s.users {
		if u.ID == v {
			return u, true
		}
	}
	return nil, false
}

// handler serves the sandbox page and its API under /sandbox/.
func (s *sandboxRun) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /sandbox/", http.StripPrefix("/sandbox/", http.FileServerFS(pageFiles)))
	mux.HandleFunc("GET /sandbox/app/", s.app)
	mux.HandleFunc("GET /sandbox/api/state", func(w http.ResponseWriter, r *http.Request) {
		type userJSON struct {
			*demoUser
			Wallet string `json:"wallet"`
		}
		var us []userJSON
		for _, u := range s.users {
			us = append(us, userJSON{u, ton.FormatAddress(u.wallet.Address(), true)})
		}
		writeJSON(w, map[string]any{"users": us, "deposit_address": s.hot, "operator_address": s.opAddr,
			"merchant": map[string]any{"id": s.shop.ID, "name": s.shop.Name, "token": s.token},
			"bot":      sandboxBotName, "base": s.base})
	})
	mux.HandleFunc("GET /sandbox/api/launch", s.launch)
	mux.HandleFunc("GET /sandbox/api/wallet", func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.user(r.URL.Query().Get("user"))
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		writeJSON(w, map[string]any{"address": ton.FormatAddress(u.wallet.Address(), true),
			"ton":  store.Amount(s.chain.Balance(u.wallet.Address())).Format(9),
			"usdt": store.Amount(s.usdt.BalanceOf(u.wallet.Address()).Int64()).Format(6)})
	})
	mux.HandleFunc("POST /sandbox/api/faucet", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			User  string `json:"user"`
			Asset string `json:"asset"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		switch {
		case store.IsNativeSymbol(req.Asset): // GRAM (or its former code TON)
			s.chain.Fund(u.wallet.Address(), 10_000_000_000)
		case req.Asset == "USDT":
			s.chain.Fund(u.wallet.Address(), 200_000_000) // the Gram a jetton transfer costs
			s.usdt.Mint(u.wallet.Address(), big.NewInt(100_000_000))
		default:
			http.Error(w, "asset is GRAM or USDT", http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{"ok": true})
	})
	// The sandbox wallet sends to the user's own deposit address with no
	// comment, as a wallet or an exchange would: 1 GRAM or 5 USDT.
	mux.HandleFunc("POST /sandbox/api/wallet/deposit", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			User  string `json:"user"`
			Asset string `json:"asset"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		if u.deposit == nil {
			http.Error(w, "the service hands out no deposit addresses", http.StatusConflict)
			return
		}
		var err error
		switch {
		case store.IsNativeSymbol(req.Asset):
			err = u.wallet.Send(u.deposit, 1_000_000_000, "", false)
		case req.Asset == "USDT":
			err = u.wallet.SendJetton(s.usdt, u.deposit, big.NewInt(5_000_000), 1, "")
		default:
			http.Error(w, "asset is GRAM or USDT", http.StatusBadRequest)
			return
		}
		if err != nil {
			writeJSON(w, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, map[string]any{"ok": true})
	})
	mux.HandleFunc("POST /sandbox/api/wallet/connect", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ User, Payload, Domain string }
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		out, err := proveOwnership(u.wallet, req.Payload, req.Domain)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("POST /sandbox/api/wallet/send", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			User     string          `json:"user"`
			Messages []WalletMessage `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		boc, err := SignAndSend(u.wallet, req.Messages)
		if err != nil {
			writeJSON(w, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, map[string]any{"boc": boc})
	})
	mux.HandleFunc("GET /sandbox/api/chat", func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.user(r.URL.Query().Get("user"))
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		v, msgs := s.tg.Transcript(r.Context(), u.ID, since, 20*time.Second)
		if msgs == nil {
			msgs = []botapi.Message{}
		}
		writeJSON(w, map[string]any{"version": v, "messages": msgs})
	})
	mux.HandleFunc("POST /sandbox/api/chat", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			User      string `json:"user"`
			Text      string `json:"text"`
			MessageID int    `json:"message_id"`
			Data      string `json:"data"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		if req.Data != "" {
			s.tg.Pressed(u.ID, req.MessageID, req.Data)
		} else if t := strings.TrimSpace(req.Text); t != "" {
			s.tg.Typed(u.ID, t)
		}
		writeJSON(w, map[string]any{"ok": true})
	})
	mux.HandleFunc("POST /sandbox/api/pay", func(w http.ResponseWriter, r *http.Request) {
		// The Telegram app paying an invoice link (the chat's Pay button,
		// the Mini App's openInvoice): {user, link} → {status}.
		var req struct{ User, Link string }
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		status, err := s.tg.Pay(r.Context(), u.ID, req.Link)
		if err != nil {
			s.log.Warn("sandbox pay", "link", req.Link, "err", err)
		}
		writeJSON(w, map[string]any{"status": status})
	})
	mux.HandleFunc("POST /sandbox/api/stars", func(w http.ResponseWriter, r *http.Request) {
		// What Telegram does to a subscription: {user, event: renew |
		// cancel | fail | restore} on the user's latest one.
		var req struct{ User, Event string }
		json.NewDecoder(r.Body).Decode(&req)
		u, ok := s.user(req.User)
		if !ok {
			http.Error(w, "no such user", http.StatusNotFound)
			return
		}
		if err := s.tg.SubscriptionEvent(u.ID, req.Event); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		writeJSON(w, map[string]any{"ok": true})
	})
	mux.HandleFunc("POST /sandbox/hook", s.webhook)
	mux.HandleFunc("GET /sandbox/api/webhooks", func(w http.ResponseWriter, r *http.Request) {
		s.hookMu.Lock()
		out := append([]webhookSeen{}, s.hooks...)
		s.hookMu.Unlock()
		writeJSON(w, map[string]any{"deliveries": out})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// launch is the Mini App's URL for a user, as Telegram opens it: initData
// signed with the sandbox bot's token in the hash.
func (s *sandboxRun) launch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u, ok := s.user(q.Get("user"))
	if !ok {
		http.Error(w, "no such user", http.StatusNotFound)
		return
	}
	now := time.Now()
	user, _ := json.Marshal(map[string]any{"id": u.ID, "first_name": u.Name, "language_code": u.Lang})
	v := url.Values{"auth_date": {strconv.FormatInt(now.Unix(), 10)}, "user": {string(user)}, "query_id": {"sandbox"}}
	if start := q.Get("start"); start != "" {
		v.Set("start_param", start)
	}
	qs := v.Encode()
	hash, err := initdata.SignQueryString(qs, sandboxToken, now)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	theme := sandboxThemes["light"]
	if q.Get("theme") == "dark" {
		theme = sandboxThemes["dark"]
	}
	// Version 5.0: the page draws its own buttons (there is no Telegram
	// MainButton around a plain browser frame).
	// A fresh query each time: a change of the hash alone would not reload the frame.
	launch := "/sandbox/app/?user=" + strconv.FormatInt(u.ID, 10) + "&at=" + strconv.FormatInt(now.UnixNano(), 36) + "#tgWebAppData=" + url.QueryEscape(qs+"&hash="+hash) +
		"&tgWebAppVersion=5.0&tgWebAppPlatform=web&tgWebAppThemeParams=" + url.QueryEscape(theme)
	if start := q.Get("start"); start != "" {
		launch += "&tgWebAppStartParam=" + url.QueryEscape(start)
	}
	writeJSON(w, map[string]any{"url": launch})
}

var sandboxThemes = map[string]string{
	"light": `{"bg_color":"#ffffff","text_color":"#000000","hint_color":"#8e8e93","link_color":"#007aff","button_color":"#007aff","button_text_color":"#ffffff","secondary_bg_color":"#efeff4","header_bg_color":"#f8f8f8","accent_text_color":"#007aff","section_bg_color":"#ffffff","section_header_text_color":"#6d6d72","subtitle_text_color":"#8e8e93","destructive_text_color":"#ff3b30"}`,
	"dark":  `{"bg_color":"#17212b","text_color":"#f5f5f5","hint_color":"#708499","link_color":"#6ab3f3","button_color":"#5288c1","button_text_color":"#ffffff","secondary_bg_color":"#232e3c","header_bg_color":"#17212b","accent_text_color":"#6ab2f2","section_bg_color":"#17212b","section_header_text_color":"#6ab3f3","subtitle_text_color":"#708499","destructive_text_color":"#ec3942"}`,
}

// app serves the Mini App's own files for the sandbox frame; its page
// loads the sandbox wallet (an injected TON Connect wallet) first.
func (s *sandboxRun) app(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/sandbox/app/")
	if name == "" || name == "index.html" || !strings.Contains(name, ".") {
		b, err := fs.ReadFile(webapp.FS(), "index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b = bytes.Replace(b, []byte("<head>"), []byte(`<head><script src="/sandbox/inject.js"></script>`), 1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
		return
	}
	http.ServeFileFS(w, r, webapp.FS(), name)
}

// webhook is the demo merchant's endpoint: it checks the signature as a
// merchant would and keeps the delivery for the page's log.
func (s *sandboxRun) webhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var t, v1 string
	for _, kv := range strings.Split(r.Header.Get("Tonpay-Signature"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "t":
			t = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(s.shop.WebhookSecret))
	mac.Write([]byte(t + "."))
	mac.Write(body)
	ok := hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(v1))
	var ev struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &ev) != nil {
		body, _ = json.Marshal(string(body))
	}
	s.hookMu.Lock()
	s.hooks = append(s.hooks, webhookSeen{At: time.Now(), Type: ev.Type, Verified: ok, Body: json.RawMessage(body)})
	if len(s.hooks) > 200 {
		s.hooks = s.hooks[len(s.hooks)-200:]
	}
	s.hookMu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// depositAddress is owner's deposit address (recorded the first time) and
// its shown form.
func depositAddress(ctx context.Context, db *store.DB, owner store.DepositOwner) (*address.Address, string, error) {
	dw, err := db.DepositWallet(ctx, owner)
	if err != nil {
		return nil, "", err
	}
	a, err := address.ParseRawAddr(dw.Address)
	if err != nil {
		return nil, "", err
	}
	return a, ton.FormatAddress(a, true), nil
}
