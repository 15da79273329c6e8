package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// tma is the Authorization header of a Mini App call by user id.
func tma(t *testing.T, token string, id int64) string {
	t.Helper()
	now := time.Now()
	qs := url.Values{
		"auth_date": {strconv.FormatInt(now.Unix(), 10)},
		"user":      {fmt.Sprintf(`{"id":%d,"first_name":"U%d","language_code":"en"}`, id, id)},
	}.Encode()
	hash, err := initdata.SignQueryString(qs, token, now)
	if err != nil {
		t.Fatal(err)
	}
	return "tma " + qs + "&hash=" + hash
}

// TestServePaysAWithdrawal runs the whole service on the offline chain: a
// user tops up by comment, asks for a withdrawal over the Mini App API, and
// the payer sends it from the Highload v3 hot wallet: the destination gets
// exactly the amount, the fee stays with the service, the ledger balances.
func TestServePaysAWithdrawal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)

	const token = "123456:WITHDRAW"
	dir := t.TempDir()
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := freeAddr(t)
	base := "http://" + httpAddr
	env := map[string]string{
		"BOT_TOKEN":           token,
		"TELEGRAM_API_URL":    fakeBotAPI(t).URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           httpAddr,
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"WITHDRAW_FEE":        "TON:0.05",
		"LOG_LEVEL":           "warn",
	}
	startService(t, env)

	call := func(method, path, auth string, body any, hdr ...string) (int, map[string]any) {
		t.Helper()
		return jsonCall(t, base, method, path, auth, body, hdr...)
	}

	const uid = 4242
	auth := tma(t, token, uid)
	code, me := call("GET", "/api/me", auth, nil)
	if code != 200 {
		t.Fatalf("me: %d %v", code, me)
	}
	comment := me["deposit"].(map[string]any)["comment"].(string)
	payer, err := chain.NewWallet(wallet.V4R2, 20_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := payer.Send(hot, 5_000_000_000, comment, false); err != nil {
		t.Fatal(err)
	}
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})
	waitFor(t, 15*time.Second, func() bool {
		b, _ := db.Balance(ctx, store.UserAccount(uid), store.TON.Symbol)
		return b == 5_000_000_000
	})

	dest, err := chain.NewWallet(wallet.V4R2, 1_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	before := chain.Balance(dest.Address())
	req := map[string]any{"asset": "TON", "amount": "1.25", "address": ton.FormatAddress(dest.Address(), true)}
	code, first := call("POST", "/api/withdrawals", auth, req, "Idempotency-Key", "w-1")
	if code != http.StatusCreated {
		t.Fatalf("withdraw: %d %v", code, first)
	}
	wd := first["withdrawal"].(map[string]any)
	id := fmt.Sprint(wd["id"])
	// The same key again is the same withdrawal, not a second one.
	if code, again := call("POST", "/api/withdrawals", auth, req, "Idempotency-Key", "w-1"); code != http.StatusOK ||
		fmt.Sprint(again["withdrawal"].(map[string]any)["id"]) != id {
		t.Fatalf("replayed key: %d %v", code, again)
	}
	if b, _ := db.Balance(ctx, store.UserAccount(uid), store.TON.Symbol); b != 5_000_000_000-1_250_000_000-50_000_000 {
		t.Fatalf("balance after the request %d", b)
	}

	var status string
	waitFor(t, 30*time.Second, func() bool {
		_, w := call("GET", "/api/withdrawals/"+id, auth, nil)
		status, _ = w["withdrawal"].(map[string]any)["status"].(string)
		return status == "confirmed" || status == "failed" || status == "refunded"
	})
	if status != "confirmed" {
		t.Fatalf("withdrawal %s: %s", id, status)
	}
	// What the destination's own transaction took, as its phases booked it.
	var txFee uint64
	for _, tx := range chain.Transactions(dest.Address()) {
		if in := tx.IO.In; in != nil && in.MsgType == tlb.MsgTypeInternal && in.AsInternal().SrcAddr.Equals(hot) {
			txFee += tx.TotalFees.Coins.Nano().Uint64()
		}
	}
	if got := chain.Balance(dest.Address()) - before; got != 1_250_000_000-txFee {
		t.Fatalf("destination gained %d nanoton, want 1250000000 less its own transaction fee", got)
	}
	// Exactly one transfer reached it from the hot wallet.
	var from int
	for _, tx := range chain.Transactions(dest.Address()) {
		if in := tx.IO.In; in != nil && in.MsgType == tlb.MsgTypeInternal && in.AsInternal().SrcAddr.Equals(hot) {
			from++
			if v := in.AsInternal().Amount.Nano().Uint64(); v != 1_250_000_000 {
				t.Fatalf("transfer of %d", v)
			}
		}
	}
	if from != 1 {
		t.Fatalf("%d transfers from the hot wallet, want 1", from)
	}
	storetest.Audit(t, db)
	if h, _ := db.Balance(ctx, store.AccountHold, store.TON.Symbol); h != 0 {
		t.Fatalf("hold account %d after confirmation", h)
	}
}
