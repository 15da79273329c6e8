package main

import (
	"context"
	"math/big"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// The whole service on the emulator: a user opens the bot, gets their own
// address from /topup, receives Gram and USDT there from a wallet that
// writes no comment, is credited both and told so in Telegram; the sweep
// moves both to the hot wallet, the user's balance stays as it was, and the
// books equal the chain.
func TestBotDepositAddressCreditedAndSwept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)
	usdt := chain.NewJetton("USDT", 6)
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tgAPI := fakeBotAPI(t)
	env := map[string]string{
		"BOT_TOKEN":           "123456:TEST",
		"TELEGRAM_API_URL":    tgAPI.URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"HTTP_ADDR":           freeAddr(t),
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
		"JETTONS":             "USDT:" + usdt.Master().StringRaw() + ":6",
		"SWEEP_MIN":           "0.5",
		"LOG_LEVEL":           "warn",
	}
	svc := startService(t, env)
	db := storetest.OpenWith(t, storetest.Config{Path: env["DB_PATH"], Assets: []store.Asset{}})

	// /topup: the user's own address comes first, with its QR code.
	const uid = 4242
	tgAPI.Command(uid, "/topup")
	waitFor(t, 10*time.Second, func() bool { return len(tgAPI.Sent("sendPhoto", uid)) > 0 })
	caption := tgAPI.Sent("sendPhoto", uid)[0].Form.Get("caption")
	m := regexp.MustCompile(`<code>(0Q[A-Za-z0-9_-]{46})</code>`).FindStringSubmatch(caption)
	if m == nil || !strings.Contains(caption, "No comment needed") {
		t.Fatalf("/topup caption:\n%s", caption)
	}
	dw, err := db.DepositWallet(ctx, store.UserOwner(uid))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := ton.DepositAddressText(dw.Address, true); m[1] != want {
		t.Fatalf("/topup shows %s, the user's address is %s", m[1], want)
	}
	to, err := ton.ParseAddress(m[1], true)
	if err != nil {
		t.Fatal(err)
	}

	// A wallet that writes no comment sends Gram and USDT there.
	payer, err := chain.NewWallet(wallet.V4R2, 10_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	usdt.Mint(payer.Address(), big.NewInt(50_000_000))
	waitFor(t, 10*time.Second, func() bool { return usdt.BalanceOf(payer.Address()).Int64() == 50_000_000 })
	if err := payer.Send(to, 2_000_000_000, "", false); err != nil {
		t.Fatal(err)
	}
	if err := payer.SendJetton(usdt, to, big.NewInt(5_000_000), 0, ""); err != nil {
		t.Fatal(err)
	}
	balance := func(asset string) store.Amount {
		b, _ := db.Balance(ctx, store.UserAccount(uid), asset)
		return b
	}
	waitFor(t, 20*time.Second, func() bool { return balance(store.TON.Symbol) == 2_000_000_000 && balance("USDT") == 5_000_000 })
	waitFor(t, 10*time.Second, func() bool {
		texts := strings.Join(tgAPI.Texts(uid), "\n")
		return strings.Contains(texts, "+2 GRAM") && strings.Contains(texts, "+5 USDT")
	})

	// The sweep moves both to the hot wallet; the user's balance stays. (A
	// bound on a hang: when the Gram is swept before the USDT is booked,
	// the USDT's gas comes from the hot wallet first, a few blocks more.)
	waitFor(t, 60*time.Second, func() bool {
		return usdt.BalanceOf(hot).Int64() == 5_000_000 && chain.Balance(to) < 100_000_000
	})
	if balance(store.TON.Symbol) != 2_000_000_000 || balance("USDT") != 5_000_000 {
		t.Fatalf("the user's balance changed with the sweep: %d GRAM, %d USDT", balance(store.TON.Symbol), balance("USDT"))
	}
	// The books equal the chain once the sweep is booked.
	waitFor(t, 10*time.Second, func() bool {
		held, err := db.DepositBalance(ctx, dw.ID)
		return err == nil && held["USDT"] == 0 && held[store.TON.Symbol] == store.Amount(chain.Balance(to))
	})
	recs, err := db.Reconciliations(ctx)
	if err != nil || len(recs) == 0 {
		t.Fatalf("reconciliations %v %v", recs, err)
	}
	for _, r := range recs {
		if r.Drift != 0 {
			t.Fatalf("%s: drift %d at block %d (chain %d, ledger %d)\n%s", r.Asset, r.Drift, r.Block, r.Chain, r.Ledger, svc.log())
		}
	}
	storetest.Audit(t, db)
}
