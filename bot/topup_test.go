package bot

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// testDepositKeys derive the test service's deposit addresses (once: the
// seed's key takes a while to compute).
var testDepositKeys = sync.OnceValues(func() (*ton.DepositKeys, error) {
	return ton.NewDepositKeys(strings.Fields("olympic crawl ethics wire junior access acoustic fetch learn job switch happy "+
		"cricket coin cloud catalog very nation sense bachelor safe thumb exhibit trust"), true)
})

var testUSDT = store.Asset{Symbol: "USDT", Decimals: 6, Master: "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"}

// /topup shows the user's own deposit address first (no comment needed),
// with a link per asset and the QR code, then the comment path as before.
func TestTopupShowsTheUsersOwnDepositAddress(t *testing.T) {
	t.Parallel()
	keys, err := testDepositKeys()
	if err != nil {
		t.Fatal(err)
	}
	assets := []store.Asset{store.TON, testUSDT}
	c := newChatter(t, func(c *Config) { c.Assets = assets })
	ctx := context.Background()
	if err := c.r.db.SyncAssets(ctx, assets); err != nil {
		t.Fatal(err)
	}
	c.r.db.SetDepositDeriver(keys.Deriver())
	const ann, bob = 711, 712

	before := len(c.r.api.Sent("sendMessage", ann))
	photo := c.say(ann, "en", "/topup", "sendPhoto")
	w, err := c.r.db.DepositWallet(ctx, store.UserOwner(ann))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ton.DepositAddressText(w.Address, true)
	if err != nil {
		t.Fatal(err)
	}
	master, _ := ton.ParseAddress(testUSDT.Master, true)
	caption := photo.Form.Get("caption")
	for _, want := range []string{addr, "No comment needed", "any wallet or exchange", "Gram or USDT",
		"ton://transfer/" + addr + "</code>", "ton://transfer/" + addr + "?jetton=" + ton.FormatBounceable(master, true)} {
		if !strings.Contains(caption, want) {
			t.Fatalf("/topup caption lacks %q:\n%s", want, caption)
		}
	}
	if photo.Form.Get("photo") != "<file>" {
		t.Fatalf("/topup sent no QR code: %v", photo.Form)
	}
	u, _ := c.r.db.User(ctx, ann)
	if strings.Contains(caption, u.Comment) {
		t.Fatalf("the deposit address's message asks for the comment:\n%s", caption)
	}
	// The comment path follows, as the second way, with the app button.
	second := c.next("sendMessage", ann, before)
	hot := ton.FormatAddress(c.r.cfg.DepositAddress, true)
	txt := second.Form.Get("text")
	if !strings.Contains(txt, hot) || !strings.Contains(txt, u.Comment) || !strings.Contains(txt, "ton://transfer/"+hot+"?text="+u.Comment) ||
		!strings.Contains(txt, "USDT: send to the same address") {
		t.Fatalf("comment path: %q", txt)
	}
	if !strings.Contains(second.Form.Get("reply_markup"), "web_app") {
		t.Fatalf("comment path without the app button: %s", second.Form.Get("reply_markup"))
	}

	// An amount goes into the QR code's link of that asset; the address is
	// the same every time.
	photo = c.say(ann, "en", "/topup 2.5 USDT", "sendPhoto")
	if cap2 := photo.Form.Get("caption"); !strings.Contains(cap2, "?jetton="+ton.FormatBounceable(master, true)+"&amp;amount=2500000") ||
		!strings.Contains(cap2, "<code>"+addr+"</code>") {
		t.Fatalf("/topup 2.5 USDT: %s", cap2)
	}

	// Another user, in Russian: their own address, not the first one's.
	ru := c.say(bob, "ru", "/topup", "sendPhoto").Form.Get("caption")
	wb, err := c.r.db.DepositWallet(ctx, store.UserOwner(bob))
	if err != nil {
		t.Fatal(err)
	}
	addrB, _ := ton.DepositAddressText(wb.Address, true)
	if addrB == addr || !strings.Contains(ru, addrB) || strings.Contains(ru, addr) || !strings.Contains(ru, "Комментарий не нужен") {
		t.Fatalf("ru /topup of another user:\n%s", ru)
	}
	if n, err := c.r.db.DepositWalletsAfter(ctx, 0, 10); err != nil || len(n) != 2 {
		t.Fatalf("deposit wallets recorded: %v %v", n, err)
	}
}

// /stats tells the operator's own money (capital) and what waits on deposit
// addresses apart from the hot wallet and from unmatched money.
func TestStatsShowCapitalAndDepositAddresses(t *testing.T) {
	t.Parallel()
	keys, err := testDepositKeys()
	if err != nil {
		t.Fatal(err)
	}
	c := newChatter(t)
	ctx := context.Background()
	db := c.r.db
	db.SetDepositDeriver(keys.Deriver())
	c.r.user(721, "en")
	uw, err := db.DepositWallet(ctx, store.UserOwner(721))
	if err != nil {
		t.Fatal(err)
	}
	ow, err := db.DepositWallet(ctx, store.OperatorOwner)
	if err != nil {
		t.Fatal(err)
	}
	post := func(key, from, to string, amt store.Amount) {
		t.Helper()
		_, err := db.Post(ctx, store.Transfer{Key: key, Kind: "deposit", Ref: strings.Repeat("cd", 32), Postings: []store.Posting{
			{Account: from, Asset: store.TON.Symbol, Amount: -amt}, {Account: to, Asset: store.TON.Symbol, Amount: amt}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	post("user", uw.Account(), store.UserAccount(721), 2_000_000_000)       // the user's deposit, not swept
	post("operator", ow.Account(), store.AccountCapital, 100_000_000_000)   // the operator's funding, not swept
	post("opening", store.AccountHot, store.AccountCapital, 50_000_000_000) // opening capital on the hot wallet
	stats := c.say(testAdmin, "en", "/stats", "sendMessage").Form.Get("text")
	for _, want := range []string{"Hot wallet (ledger): 50 GRAM", "On deposit addresses, not yet swept (ledger): 102 GRAM",
		"Operator capital (the operator's own money): 150 GRAM"} {
		if !strings.Contains(stats, want) {
			t.Fatalf("/stats lacks %q:\n%s", want, stats)
		}
	}
	if ru := c.say(testAdmin, "ru", "/stats", "sendMessage").Form.Get("text"); !strings.Contains(ru, "Капитал оператора (его собственные деньги): 150 GRAM") {
		t.Fatalf("ru /stats:\n%s", ru)
	}
}
