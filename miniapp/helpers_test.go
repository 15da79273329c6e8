package miniapp_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

const (
	botToken   = "7000000001:AAtonpay-test-token_for-miniapp-api"
	otherToken = "7000000002:AAsome-other-bots-token_xxxxxxxxxxx"
	usdtMaster = "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"
	hotRaw     = "0:1111111111111111111111111111111111111111111111111111111111111111"
)

var usdt = store.Asset{Symbol: "USDT", Decimals: 6, Master: usdtMaster}

// fakeChain answers jetton wallet lookups with an address derived from the
// owner, like a master's get_wallet_address would.
type fakeChain struct {
	calls atomic.Int64
	fail  atomic.Bool
}

func (f *fakeChain) JettonWallet(_ context.Context, master, owner *address.Address) (*address.Address, error) {
	f.calls.Add(1)
	if f.fail.Load() {
		return nil, fmt.Errorf("liteserver timeout")
	}
	h := sha256.Sum256(append(append([]byte{}, master.Data()...), owner.Data()...))
	return address.NewAddress(0, 0, h[:]), nil
}

type fakeHealth struct {
	mu sync.Mutex
	st ton.ScanStatus
}

func (f *fakeHealth) Status() ton.ScanStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeHealth) set(st ton.ScanStatus) {
	f.mu.Lock()
	f.st = st
	f.mu.Unlock()
}

type env struct {
	t      testing.TB
	db     *store.DB
	srv    *miniapp.Server
	ts     *httptest.Server
	cfg    miniapp.Config
	hot    *address.Address
	chain  *fakeChain
	health *fakeHealth
	path   string // the database file
}

// count runs a count(*) query on the database file, for tests that check
// nothing was created.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+e.path+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func appAddr(t testing.TB, s string) *address.Address {
	t.Helper()
	a, err := ton.ParseAddress(s, true)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newEnv is a server on a fresh SQLite file with TON, USDT and credits, on
// testnet, rate limits off unless a mod sets them.
func newEnv(t testing.TB, mods ...func(*miniapp.Config)) *env {
	t.Helper()
	return newEnvRules(t, nil, mods...)
}

// depositKeys derive the test service's deposit addresses (from a seed of
// its own, once: the seed's key takes a while to compute).
var depositKeys = func() func(testing.TB) *ton.DepositKeys {
	var once sync.Once
	var keys *ton.DepositKeys
	var err error
	return func(t testing.TB) *ton.DepositKeys {
		t.Helper()
		once.Do(func() {
			keys, err = ton.NewDepositKeys(strings.Fields("olympic crawl ethics wire junior access acoustic fetch learn job switch happy "+
				"cricket coin cloud catalog very nation sense bachelor safe thumb exhibit trust"), true)
		})
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
}()

// newEnvRules is newEnv with the rule book's rules changed by rules.
func newEnvRules(t testing.TB, rules func(*store.Rules), mods ...func(*miniapp.Config)) *env {
	t.Helper()
	return newEnvStore(t, "", nil, rules, mods...)
}

// newEnvStore is newEnvRules on the database at path (a fresh one when "")
// opened with opts.
func newEnvStore(t testing.TB, path string, opts []store.Option, rules func(*store.Rules), mods ...func(*miniapp.Config)) *env {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "tonpay.db")
	}
	db := storetest.OpenWith(t, storetest.Config{Path: path, Options: opts, Assets: []store.Asset{store.TON, usdt, store.Credits}})
	db.SetDepositDeriver(depositKeys(t).Deriver())
	e := &env{t: t, db: db, hot: appAddr(t, hotRaw), chain: &fakeChain{}, health: &fakeHealth{}, path: path}
	e.health.set(ton.ScanStatus{Block: 1234, Lag: 300 * time.Millisecond, Synced: true})
	pub, _ := url.Parse("https://pay.example.com/")
	cfg := miniapp.Config{
		PublicURL:   pub,
		BotToken:    botToken,
		InitDataTTL: 24 * time.Hour,
		Testnet:     true,
		Hot:         e.hot,
		Assets:      []store.Asset{store.TON, usdt},
		ProofSecret: bytes.Repeat([]byte{7}, 32),
		Chain:       e.chain,
		Health:      e.health,
		Registry:    prometheus.NewRegistry(),
		Static: fstest.MapFS{
			"index.html":               {Data: []byte("<!doctype html><title>tonpay</title>")},
			"assets/index-Ab12Cd34.js": {Data: []byte("console.log(1)")},
			"favicon.svg":              {Data: []byte("<svg/>")},
		},
		Limits:       miniapp.Limits{IPPerSecond: -1, UserPerSecond: -1},
		PingInterval: 200 * time.Millisecond,
	}
	for _, m := range mods {
		m(&cfg)
	}
	if cfg.Policy == nil {
		rs := store.Rules{Assets: []store.Asset{store.TON, usdt},
			DepositMin:    map[string]store.Amount{store.TON.Symbol: 10_000_000, "USDT": 100_000},
			WithdrawFee:   map[string]store.Amount{store.TON.Symbol: 100_000_000, "USDT": 50_000_000},
			WithdrawMin:   map[string]store.Amount{store.TON.Symbol: 500_000_000, "USDT": 1_000_000},
			ApprovalAbove: map[string]store.Amount{store.TON.Symbol: 100_000_000_000},
			Packages: []store.Package{
				{Name: "starter", Asset: store.TON.Symbol, Price: 1_500_000_000, Credits: 100},
				{Name: "pro", Asset: "USDT", Price: 5_000_000, Credits: 1000},
			},
			ParseDestination: ton.Destinations(cfg.Testnet),
			Own:              func() []string { return []string{e.hot.Bounce(true).StringRaw()} }}
		if rules != nil {
			rules(&rs)
		}
		cfg.Policy = store.NewPolicy(db, rs)
	}
	e.cfg = cfg
	e.srv = miniapp.New(cfg, db, nil)
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		e.ts.Close()
	})
	return e
}

// initData is genuine initData for a user, signed with token at authDate.
func initData(t testing.TB, userID int64, token string, authDate time.Time) string {
	t.Helper()
	u := fmt.Sprintf(`{"id":%d,"first_name":"Ann + Bob","last_name":"Lee","username":"ann%d","language_code":"en"}`, userID, userID)
	qs := url.Values{
		"query_id":  {"AAHdF6IQAAAAAN0XohDhrOrc"},
		"user":      {u},
		"auth_date": {strconv.FormatInt(authDate.Unix(), 10)},
	}.Encode()
	hash, err := initdata.SignQueryString(qs, token, authDate)
	if err != nil {
		t.Fatal(err)
	}
	return qs + "&hash=" + hash
}

func (e *env) auth(userID int64) string {
	return "tma " + initData(e.t, userID, botToken, time.Now())
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// errCode is the code of an error answer ("" when none).
func (r resp) errCode() string {
	var m struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.body, &m)
	return m.Error.Code
}

func (r resp) errMessage() string {
	var m struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(r.body, &m)
	return m.Error.Message
}

// do sends a request; body is JSON-encoded unless it is a string.
func (e *env) do(method, path, auth string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// fund credits a user's balance as a deposit would.
func (e *env) fund(userID int64, asset string, amt store.Amount) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.db.UpsertUser(ctx, store.User{ID: userID}); err != nil {
		e.t.Fatal(err)
	}
	key := fmt.Sprintf("fund:%d:%s:%d", userID, asset, time.Now().UnixNano())
	_, err := e.db.Post(ctx, store.Transfer{Key: key, Kind: store.TransferDeposit, Ref: strings.Repeat("ab", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: asset, Amount: -amt},
		{Account: store.UserAccount(userID), Asset: asset, Amount: amt},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) balance(userID int64, asset string) store.Amount {
	e.t.Helper()
	b, err := e.db.Balance(context.Background(), store.UserAccount(userID), asset)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) audit() {
	e.t.Helper()
	storetest.Audit(e.t, e.db)
}

// testWallet is a V4R2 wallet whose key signs ton_proofs.
type testWallet struct {
	key       ed25519.PrivateKey
	addr      *address.Address
	stateInit string
}

func newTestWallet(t testing.TB, seed byte) testWallet {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	si, err := wallet.GetStateInit(key.Public().(ed25519.PublicKey), wallet.V4R2, wallet.DefaultSubwallet)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlb.ToCell(si)
	if err != nil {
		t.Fatal(err)
	}
	return testWallet{key: key, addr: address.NewAddress(0, 0, c.Hash()), stateInit: base64.StdEncoding.EncodeToString(c.ToBOC())}
}

// proofBody is the POST /api/wallet body as TON Connect UI hands it over,
// signed per the TON Connect spec.
func (w testWallet) proofBody(domain string, ts int64, payload string) map[string]any {
	msg := []byte("ton-proof-item-v2/")
	msg = binary.BigEndian.AppendUint32(msg, uint32(w.addr.Workchain()))
	msg = append(msg, w.addr.Data()...)
	msg = binary.LittleEndian.AppendUint32(msg, uint32(len(domain)))
	msg = append(msg, domain...)
	msg = binary.LittleEndian.AppendUint64(msg, uint64(ts))
	msg = append(msg, payload...)
	h := sha256.Sum256(msg)
	full := sha256.Sum256(append([]byte("\xff\xffton-connect"), h[:]...))
	return map[string]any{
		"account": map[string]any{
			"address":         w.addr.StringRaw(),
			"chain":           ton.ChainTestnet,
			"walletStateInit": w.stateInit,
			"publicKey":       hex.EncodeToString(w.key.Public().(ed25519.PublicKey)),
		},
		"proof": map[string]any{
			"timestamp": ts,
			"domain":    map[string]any{"lengthBytes": len(domain), "value": domain},
			"payload":   payload,
			"signature": base64.StdEncoding.EncodeToString(ed25519.Sign(w.key, full[:])),
		},
	}
}

// linkWallet links w to the user through the API.
func (e *env) linkWallet(userID int64, w testWallet) {
	e.t.Helper()
	auth := e.auth(userID)
	r := e.do("POST", "/api/wallet/payload", auth, nil)
	if r.status != 200 {
		e.t.Fatalf("payload: %d %s", r.status, r.body)
	}
	payload := r.json(e.t)["payload"].(string)
	r = e.do("POST", "/api/wallet", auth, w.proofBody("pay.example.com", time.Now().Unix(), payload))
	if r.status != 200 {
		e.t.Fatalf("link wallet: %d %s", r.status, r.body)
	}
}
