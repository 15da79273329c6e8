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
