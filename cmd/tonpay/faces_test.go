package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/bot"
	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// The same withdrawal asked of the three faces (the bot, the Mini App API,
// the merchant API) costs the same money and is refused for the same
// reason: they all ask one rule book. Configured as a user would:
// WITHDRAW_FEE=TON:0.05,USDT:0.5 (the fee per withdrawn asset, in TON).

// botTG is the Bot API stand-in; calls are what the bot said to a chat.
type botTG struct{ *botapi.API }

type tgCall struct {
	method, text, markup string
}

func newBotTG(t *testing.T) *botTG { return &botTG{botapi.New(t)} }

func (b *botTG) calls(chat int64) []tgCall {
	var out []tgCall
	for _, c := range b.Chat(chat) {
		switch c.Method {
		case "sendMessage", "editMessageText", "answerCallbackQuery":
			out = append(out, tgCall{method: c.Method, text: c.Form.Get("text"), markup: c.Form.Get("reply_markup")})
		}
	}
	return out
}

// faces is one rule book behind the three faces.
type faces struct {
	t        *testing.T
	db       *store.DB
	api      *httptest.Server
	hook     http.Handler
	tg       *botTG
	seq      atomic.Int64
	merchant store.Merchant
	bearer   string
}

const facesToken = "123456:FACES"

func newFaces(t *testing.T, hot, jettonWallet, cold *address.Address) *faces {
	t.Helper()
	ctx := context.Background()
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{}})
	usdt := store.Asset{Symbol: "USDT", Decimals: 6, Master: "0:" + strings.Repeat("ee", 32)}
	assets := []store.Asset{store.TON, usdt}
	if err := db.SyncAssets(ctx, assets); err != nil {
		t.Fatal(err)
	}
	// What cmd/tonpay builds from the configuration (mainnet).
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"BOT_TOKEN": facesToken, "TON_NETWORK": "mainnet", "JETTONS": "USDT:" + usdt.Master + ":6",
			"WITHDRAW_FEE": "TON:0.05,USDT:0.5", "WITHDRAW_MIN": "TON:0.1,USDT:1", "WITHDRAW_APPROVAL_ABOVE": "TON:3"}[k]
	}, forServe)
	if err != nil {
		t.Fatal(err)
	}
	policy := store.NewPolicy(db, store.Rules{Assets: assets, WithdrawFee: cfg.WithdrawFee, WithdrawMin: cfg.WithdrawMin,
		ApprovalAbove: cfg.WithdrawApprovalAbove, ParseDestination: ton.Destinations(false),
		Own: func() []string {
			return []string{hot.Bounce(true).StringRaw(), jettonWallet.Bounce(true).StringRaw(), cold.Bounce(true).StringRaw()}
		}})
	quiet := slog.New(slog.DiscardHandler)
	web := miniapp.New(miniapp.Config{BotToken: facesToken, Hot: hot, Assets: assets, Policy: policy,
		Limits: miniapp.Limits{IPPerSecond: -1, UserPerSecond: -1}}, db, quiet)
	merchant.New(merchant.Config{DepositAddress: hot, Assets: assets, Policy: policy, RateLimit: 1000}, db, quiet).
		Register(web.Group("/api/v1"))
	f := &faces{t: t, db: db, tg: newBotTG(t)}
	f.api = httptest.NewServer(web.Handler())
	t.Cleanup(f.api.Close)
	hookURL, _ := url.Parse("https://pay.example.com/telegram/hook")
	b, err := bot.New(bot.Config{Token: facesToken, APIURL: f.tg.URL, Assets: assets, Policy: policy, DepositAddress: hot,
		WebhookURL: hookURL, WebhookSecret: "s", Log: quiet}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	f.hook = b.WebhookHandler()
	if f.merchant, f.bearer, err = db.CreateMerchant(ctx, "shop", ""); err != nil {
		t.Fatal(err)
	}
	return f
}

// fund credits an account as a deposit would.
func (f *faces) fund(account, asset string, amt store.Amount) {
	f.t.Helper()
	if amt == 0 {
		return
	}
	_, err := f.db.Post(context.Background(), store.Transfer{Key: fmt.Sprint("fund:", account, asset, f.seq.Add(1)), Kind: store.TransferDeposit,
		Postings: []store.Posting{{Account: store.AccountHot, Asset: asset, Amount: -amt}, {Account: account, Asset: asset, Amount: amt}}})
	if err != nil {
		f.t.Fatal(err)
	}
}

// outcome is what a face did with a request: the refusal code, or the
// withdrawal it made.
type outcome struct {
	code       string
	amount     store.Amount
	fee        store.Amount
	feeAsset   string
	status     string
	withdrawal int64
}

func (o outcome) String() string {
	if o.code != "" {
		return "refused " + o.code
	}
	return fmt.Sprintf("%d + fee %d %s, %s", o.amount, o.fee, o.feeAsset, o.status)
}

func (f *faces) http(method, path, auth string, body any, hdr ...string) (int, map[string]any) {
	f.t.Helper()
	return jsonCall(f.t, f.api.URL, method, path, auth, body, hdr...)
}

func errCode(m map[string]any) string {
	if e, ok := m["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (f *faces) withdrawalOutcome(id int64) outcome {
	w, err := f.db.Withdrawal(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return outcome{amount: w.Amount, fee: w.Fee, feeAsset: w.FeeAsset, status: w.Status, withdrawal: w.ID}
}

// miniApp asks POST /api/withdrawals as user uid.
func (f *faces) miniApp(uid int64, asset, amount, addr, key string) outcome {
	code, body := f.http("POST", "/api/withdrawals", tma(f.t, facesToken, uid), map[string]string{"asset": asset, "amount": amount, "address": addr},
		"Idempotency-Key", key)
	if c := errCode(body); c != "" {
		return outcome{code: c}
	}
	if code != 201 && code != 200 {
		f.t.Fatalf("mini app: %d %v", code, body)
	}
	return f.withdrawalOutcome(int64(body["withdrawal"].(map[string]any)["id"].(float64)))
}

// merchantAPI asks POST /api/v1/payouts.
func (f *faces) merchantAPI(asset, amount, addr, key string) outcome {
	code, body := f.http("POST", "/api/v1/payouts", "Bearer "+f.bearer, map[string]string{"asset": asset, "amount": amount, "address": addr, "spend_id": key})
	if c := errCode(body); c != "" {
		return outcome{code: c}
	}
	if code != 201 && code != 200 {
		f.t.Fatalf("merchant api: %d %v", code, body)
	}
	return f.withdrawalOutcome(int64(body["id"].(float64)))
}

func (f *faces) post(update map[string]any) {
	f.t.Helper()
	update["update_id"] = f.seq.Add(1)
	f.tg.Delivered(update)
	b, _ := json.Marshal(update)
	req := httptest.NewRequest("POST", "/telegram/hook", bytes.NewReader(b))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s")
	rec := httptest.NewRecorder()
	f.hook.ServeHTTP(rec, req)
	if rec.Code != 200 {
		f.t.Fatalf("webhook answered %d", rec.Code)
	}
}

// botWithdraw sends "/withdraw amount asset addr" from uid and taps
// Confirm (twice when again): the message id is the idempotency key.
func (f *faces) botWithdraw(uid int64, msgID int, asset, amount, addr string, again bool) outcome {
	f.t.Helper()
	before := len(f.tg.calls(uid))
	user := map[string]any{"id": uid, "first_name": "U", "language_code": "en"}
	chat := map[string]any{"id": uid, "type": "private"}
	f.post(map[string]any{"message": map[string]any{"message_id": msgID, "date": time.Now().Unix(), "chat": chat, "from": user,
		"text": "/withdraw " + amount + " " + asset + " " + addr}})
	reply := f.await(uid, before, "sendMessage")
	m := regexp.MustCompile(`"callback_data":"(wq:\d+)"`).FindStringSubmatch(reply.markup)
	if m == nil {
		return outcome{code: botRefusal(f.t, reply.text)}
	}
	for range 1 + btoi(again) {
		n := len(f.tg.calls(uid))
		f.post(map[string]any{"callback_query": map[string]any{"id": fmt.Sprint("q", f.seq.Load()), "from": user, "chat_instance": "1",
			"data": m[1], "message": map[string]any{"message_id": 5, "date": time.Now().Unix(), "chat": chat, "text": "quote"}}})
		f.await(uid, n, "editMessageText")
	}
	ws, err := f.db.UserWithdrawals(context.Background(), uid, 100)
	if err != nil || len(ws) == 0 {
		f.t.Fatalf("bot: confirmed, yet no withdrawal: %v", err)
	}
	return f.withdrawalOutcome(ws[0].ID)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (f *faces) await(uid int64, before int, method string) tgCall {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range f.tg.calls(uid)[min(before, len(f.tg.calls(uid))):] {
			if c.method == method {
				return c
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.t.Fatalf("the bot sent no %s to %d", method, uid)
	return tgCall{}
}

// botRefusal names the refusal the bot put in words (its English texts).
func botRefusal(t *testing.T, text string) string {
	for code, words := range map[string]string{
		store.RefuseBelowMinimum:       "The minimum withdrawal",
		store.RefuseInvalidAmount:      "is not a valid amount",
		store.RefuseOwnAddress:         "this service's own wallets",
		store.RefuseWrongNetwork:       "testnet address",
		store.RefuseInsufficient:       "This withdrawal needs",
		store.RefuseFeeNotCovered:      "fee of",
		store.RefuseUnknownAsset:       "Unknown asset",
		store.RefuseInvalidAddress:     "is not a valid TON address",
		store.RefuseAmbiguousAmount:    "could mean",
		store.RefuseDailyLimit:         "limited to",
		store.RefuseTooManyWithdrawals: "waiting to be sent",
	} {
		if strings.Contains(text, words) {
			if code == store.RefuseInvalidAddress && strings.Contains(text, "testnet address") {
				return store.RefuseWrongNetwork
			}
			return code
		}
	}
	t.Fatalf("the bot's answer names no refusal: %q", text)
	return ""
}

func TestTheFacesAskOneRuleBook(t *testing.T) {
	t.Parallel()
	addr := func(b byte) *address.Address { return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32)) }
	hot, jw, cold := addr(0x11), addr(0x12), addr(0x13)
	dest := ton.FormatAddress(addr(0x21), false)
	testnetOnly := ton.FormatAddress(addr(0x22), true)
	f := newFaces(t, hot, jw, cold)

	type tc struct {
		name          string
		asset, amount string
		to            string
		ton, usdt     store.Amount // the balance each face's account starts with
		want          outcome
	}
	cases := []tc{
		{"TON", "TON", "1", dest, 10e9, 0, outcome{amount: 1e9, fee: 50_000_000, feeAsset: store.TON.Symbol, status: store.WithdrawalQueued}},
		{"jetton: its fee in TON", "USDT", "5", dest, 1e9, 20e6, outcome{amount: 5e6, fee: 500_000_000, feeAsset: store.TON.Symbol, status: store.WithdrawalQueued}},
		{"above the approval threshold", "TON", "4", dest, 10e9, 0, outcome{amount: 4e9, fee: 50_000_000, feeAsset: store.TON.Symbol, status: store.WithdrawalAwaitingApproval}},
		{"below the minimum", "TON", "0.05", dest, 10e9, 0, outcome{code: store.RefuseBelowMinimum}},
		{"too many decimals", "USDT", "1.0000001", dest, 10e9, 20e6, outcome{code: store.RefuseInvalidAmount}},
		{"not enough for amount and fee", "TON", "9.96", dest, 10e9, 0, outcome{code: store.RefuseInsufficient}},
		{"jetton fee not covered", "USDT", "5", dest, 100_000_000, 20e6, outcome{code: store.RefuseFeeNotCovered}},
		{"the hot wallet", "TON", "1", ton.FormatAddress(hot, false), 10e9, 0, outcome{code: store.RefuseOwnAddress}},
		{"our jetton wallet", "USDT", "1", ton.FormatAddress(jw, false), 10e9, 20e6, outcome{code: store.RefuseOwnAddress}},
		{"the cold wallet", "TON", "1", cold.StringRaw(), 10e9, 0, outcome{code: store.RefuseOwnAddress}},
		{"a testnet address on mainnet", "TON", "1", testnetOnly, 10e9, 0, outcome{code: store.RefuseWrongNetwork}},
		{"not an address", "TON", "1", "EQnotanaddress", 10e9, 0, outcome{code: store.RefuseInvalidAddress}},
		{"an unknown asset", "DOGE", "1", dest, 10e9, 0, outcome{code: store.RefuseUnknownAsset}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			// Fresh accounts per case: a user of the Mini App, a user of the
			// bot, a merchant; each starts with the same balances.
			appUser, botUser := int64(5000+i), int64(6000+i)
			m, bearer, err := f.db.CreateMerchant(context.Background(), fmt.Sprint("shop", i), "")
			if err != nil {
				t.Fatal(err)
			}
			f.bearer = bearer
			for _, acc := range []string{store.UserAccount(appUser), store.UserAccount(botUser), store.MerchantAccount(m.ID)} {
				if _, err := f.db.UpsertUser(context.Background(), store.User{ID: appUser}); err != nil {
					t.Fatal(err)
				}
				f.db.UpsertUser(context.Background(), store.User{ID: botUser})
				f.fund(acc, store.TON.Symbol, c.ton)
				f.fund(acc, "USDT", c.usdt)
			}
			key := fmt.Sprint("k", i)
			got := map[string]outcome{
				"mini app": f.miniApp(appUser, c.asset, c.amount, c.to, key),
				"merchant": f.merchantAPI(c.asset, c.amount, c.to, key),
				"bot":      f.botWithdraw(botUser, 100+i, c.asset, c.amount, c.to, false),
			}
			for face, o := range got {
				o.withdrawal = 0
				if o != c.want {
					t.Errorf("%s: %v, want %v", face, o, c.want)
				}
			}
			// The money: refused changes nothing; made debits amount and fee.
			for face, acc := range map[string]string{"mini app": store.UserAccount(appUser), "bot": store.UserAccount(botUser), "merchant": store.MerchantAccount(m.ID)} {
				tonBal, _ := f.db.Balance(context.Background(), acc, store.TON.Symbol)
				usdtBal, _ := f.db.Balance(context.Background(), acc, "USDT")
				wantTON, wantUSDT := store.Amount(c.ton), store.Amount(c.usdt)
				if c.want.code == "" {
					wantTON -= c.want.fee
					if store.IsNativeSymbol(c.asset) {
						wantTON -= c.want.amount
					} else {
						wantUSDT -= c.want.amount
					}
				}
				if tonBal != wantTON || usdtBal != wantUSDT {
					t.Errorf("%s: balances %d TON units, %d USDT units; want %d, %d", face, tonBal, usdtBal, wantTON, wantUSDT)
				}
			}
		})
	}

	// An amount with a comma: a person's face reads "1,5" as 1.5 and refuses
	// "1,500" (1500 or 1.5?); the merchant API, a machine's, refuses both.
	// Nothing moves when refused.
	t.Run("amounts with a comma", func(t *testing.T) {
		for i, c := range []struct {
			amount         string
			person, server outcome
		}{
			{"1,500", outcome{code: store.RefuseAmbiguousAmount}, outcome{code: store.RefuseInvalidAmount}},
			{"1,5", outcome{amount: 1.5e9, fee: 50_000_000, feeAsset: store.TON.Symbol, status: store.WithdrawalQueued}, outcome{code: store.RefuseInvalidAmount}},
		} {
			f.t = t
			appUser, botUser := int64(7100+i), int64(7200+i)
			m, bearer, err := f.db.CreateMerchant(context.Background(), fmt.Sprint("comma", i), "")
			if err != nil {
				t.Fatal(err)
			}
			f.bearer = bearer
			for _, acc := range []string{store.UserAccount(appUser), store.UserAccount(botUser), store.MerchantAccount(m.ID)} {
				f.db.UpsertUser(context.Background(), store.User{ID: appUser})
				f.db.UpsertUser(context.Background(), store.User{ID: botUser})
				f.fund(acc, store.TON.Symbol, 10e9)
			}
			key := fmt.Sprint("comma", i)
			for face, o := range map[string]outcome{
				"mini app": f.miniApp(appUser, "TON", c.amount, dest, key),
				"bot":      f.botWithdraw(botUser, 300+i, "TON", c.amount, dest, false),
				"merchant": f.merchantAPI("TON", c.amount, dest, key),
			} {
				want := c.person
				if face == "merchant" {
					want = c.server
				}
				o.withdrawal = 0
				if o != want {
					t.Errorf("%s %q: %v, want %v", face, c.amount, o, want)
				}
			}
			if b, _ := f.db.Balance(context.Background(), store.MerchantAccount(m.ID), store.TON.Symbol); b != 10e9 {
				t.Errorf("merchant balance %d after a refused %q", b, c.amount)
			}
		}
	})

	// A replayed idempotency key is the same withdrawal in every face, and
	// debits once.
	t.Run("replayed key", func(t *testing.T) {
		f.t = t
		appUser, botUser := int64(7001), int64(7002)
		m, bearer, _ := f.db.CreateMerchant(context.Background(), "replay", "")
		f.bearer = bearer
		for _, acc := range []string{store.UserAccount(appUser), store.UserAccount(botUser), store.MerchantAccount(m.ID)} {
			f.db.UpsertUser(context.Background(), store.User{ID: appUser})
			f.db.UpsertUser(context.Background(), store.User{ID: botUser})
			f.fund(acc, store.TON.Symbol, 2e9)
		}
		first, second := f.miniApp(appUser, "TON", "1", dest, "same"), f.miniApp(appUser, "TON", "1", dest, "same")
		if first != second {
			t.Fatalf("mini app replay: %v then %v", first, second)
		}
		first, second = f.merchantAPI("TON", "1", dest, "same"), f.merchantAPI("TON", "1", dest, "same")
		if first != second {
			t.Fatalf("merchant replay: %v then %v", first, second)
		}
		f.botWithdraw(botUser, 999, "TON", "1", dest, true) // Confirm tapped twice
		for _, acc := range []string{store.UserAccount(appUser), store.UserAccount(botUser), store.MerchantAccount(m.ID)} {
			if b, _ := f.db.Balance(context.Background(), acc, store.TON.Symbol); b != 2e9-1e9-50_000_000 {
				t.Fatalf("%s after a replay: %d", acc, b)
			}
		}
		if ws, _ := f.db.UserWithdrawals(context.Background(), botUser, 10); len(ws) != 1 {
			t.Fatalf("bot: %d withdrawals for a double tap", len(ws))
		}
		// Another request under a used key: refused in the HTTP faces.
		if o := f.miniApp(appUser, "TON", "1.5", dest, "same"); o.code != store.RefuseIdemConflict {
			t.Fatalf("mini app: %v", o)
		}
		if o := f.merchantAPI("TON", "1.5", dest, "same"); o.code != store.RefuseIdemConflict {
			t.Fatalf("merchant: %v", o)
		}
	})
}
