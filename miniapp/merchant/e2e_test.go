package merchant_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// End to end on the offline chain: a merchant creates an invoice over the
// API, a wallet on the chain pays it with the invoice's comment, the real
// scanner (through the real liteclient) books it, and the webhook dispatcher
// delivers exactly one signed invoice.paid to the merchant's receiver.
func TestMerchantEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	chain := tonrig.Chain(t, tontest.Options{})
	ls, err := ton.ParseLiteServers(chain.LiteServers())
	if err != nil {
		t.Fatal(err)
	}
	client, err := ton.Dial(ctx, ton.ClientConfig{Testnet: true, LiteServers: ls, ProofCheck: tonapi.ProofCheckPolicyUnsafe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	hot, err := ton.HotWalletAddress(tonrig.Seed())
	if err != nil {
		t.Fatal(err)
	}

	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON}})
	recv := newWHReceiver(t, 200)
	m, token, err := db.CreateMerchant(ctx, "shop", recv.srv.URL+"/tonpay")
	if err != nil {
		t.Fatal(err)
	}

	cfg := merchant.Config{Testnet: true, DepositAddress: hot, Assets: []store.Asset{store.TON},
		Policy: store.NewPolicy(db, store.Rules{Assets: []store.Asset{store.TON}, ParseDestination: ton.Destinations(true),
			Own: func() []string { return []string{hot.Bounce(true).StringRaw()} }}),
		BotUsername: "tonpay_bot", AppName: "pay"}
	e := echo.New()
	merchant.New(cfg, db, merchantQuietLog).Register(e.Group("/api/v1"))
	srv := httptest.NewServer(e)
	defer srv.Close()
	api := &merchantRig{t: t, db: db, echo: e, srv: srv, cfg: cfg}

	scanner := ton.NewFollower(client.API, db, ton.FollowerConfig{Hot: hot, Min: map[string]store.Amount{store.TON.Symbol: 1_000_000}, Testnet: true, Log: merchantQuietLog})
	hooks := merchant.NewWebhooks(merchant.WebhookConfig{Merchant: cfg, AllowPrivate: true, Poll: 50 * time.Millisecond}, db, merchantQuietLog)
	runCtx, stop := context.WithCancel(ctx)
	errs := make(chan error, 2)
	go func() { errs <- scanner.Run(runCtx) }()
	go func() { errs <- hooks.Run(runCtx) }()
	defer func() {
		stop()
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("component: %v", err)
			}
		}
	}()

	// 1. The merchant creates an invoice.
	created := api.call("POST", "/api/v1/invoices", token, map[string]any{"asset": "GRAM", "amount": "1.5", "external_id": "order-1",
		"description": "Coffee", "payload": `{"cart":7}`})
	api.expect(created, 201, "")
	invID, comment := created.str("id"), created.str("comment")

	// 2. A wallet pays it as a user's wallet app would: to the address with
	// the comment the API gave.
	payer, err := chain.NewWallet(wallet.V4R2, 10_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	to, err := ton.ParseAddress(created.str("address"), true)
	if err != nil || !to.Equals(hot) {
		t.Fatalf("invoice address %q: %v", created.str("address"), err)
	}
	if err := payer.Send(to, 1_500_000_000, comment, false); err != nil {
		t.Fatal(err)
	}
	chain.Mine()

	// 3. The merchant's receiver gets invoice.paid, signed.
	deadline := time.Now().Add(30 * time.Second)
	for len(recv.deliveries()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no webhook within 30 s")
		}
		chain.Mine() // keep blocks coming, as the real chain does
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // time for a wrong second delivery to show
	got := recv.deliveries()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want exactly 1", len(got))
	}
	b := whVerify(t, got[0], m.WebhookSecret)
	var data map[string]any
	json.Unmarshal(b.Data, &data)
	if b.Type != "invoice.paid" || data["id"] != invID || data["status"] != "paid" || data["paid"] != "1.5" ||
		data["external_id"] != "order-1" || data["payload"] != `{"cart":7}` || data["tx_hash"] == "" || data["paid_at"] == nil {
		t.Fatalf("webhook %s", got[0].body)
	}
	if _, done, err := db.Event(ctx, b.ID); err != nil || !done {
		t.Fatalf("event %d done %v, %v", b.ID, done, err)
	}

	// 4. The API and the ledger agree.
	inv := api.call("GET", "/api/v1/invoices/"+invID, token, nil)
	if inv.str("status") != "paid" || inv.str("paid_units") != "1500000000" {
		t.Fatalf("invoice: %s", inv.raw)
	}
	bal := api.call("GET", "/api/v1/balance", token, nil)
	var balances struct {
		Balances []struct{ Asset, Amount string }
	}
	json.Unmarshal(bal.raw, &balances)
	if len(balances.Balances) != 1 || balances.Balances[0].Amount != "1.5" {
		t.Fatalf("balance: %s", bal.raw)
	}
	if b, _ := db.Balance(ctx, store.MerchantAccount(m.ID), store.TON.Symbol); b != 1_500_000_000 {
		t.Fatalf("merchant ledger balance %d", b)
	}
	if held, onChain := -merchantBalanceOf(t, db, store.AccountHot), store.Amount(chain.Balance(hot)); held != onChain {
		t.Fatalf("ledger says the hot wallet holds %d, the chain %d", held, onChain)
	}
	storetest.Audit(t, db)
}

func merchantBalanceOf(t testing.TB, db *store.DB, account string) store.Amount {
	t.Helper()
	b, err := db.Balance(context.Background(), account, store.TON.Symbol)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
