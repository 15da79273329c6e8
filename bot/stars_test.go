package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

const bystander = 1999

// starsPackages: starter for Gram or Stars, pro monthly in Stars.
var starsPackages = rules(func(r *store.Rules) {
	r.Packages = []store.Package{
		{Name: "starter", Asset: store.TON.Symbol, Price: 1_500_000_000, Credits: 100},
		{Name: "starter", Asset: "XTR", Price: 150, Credits: 100},
		{Name: "pro", Asset: "XTR", Price: 500, Credits: 1000, Period: store.StarsSubscriptionPeriod},
	}
})

// starsChatter is a chatter whose bot sells Stars packages, handles one
// update at a time (so an update posted after another is handled after
// it) and does not reconcile on its own.
func starsChatter(t *testing.T, mods ...any) *chatter {
	t.Helper()
	base := []any{starsPackages, func(c *Config) {
		c.Workers = 1
		c.StarsReconcileEvery = -1
		c.StarsGrace = time.Millisecond
	}}
	return newChatter(t, append(base, mods...)...)
}

func ok(result any) map[string]any { return map[string]any{"ok": true, "result": result} }

// starsReplies answers the Stars methods as Telegram would.
func starsReplies(c call) map[string]any {
	switch c.Method {
	case "sendInvoice":
		chat, _ := strconv.ParseInt(c.Form.Get("chat_id"), 10, 64)
		return ok(map[string]any{"message_id": 1, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}})
	case "createInvoiceLink":
		return ok("https://t.me/$invoice-" + c.Form.Get("payload"))
	}
	return nil
}

func (c *chatter) preCheckout(id int64, lang, payload, currency string, total int) call {
	c.t.Helper()
	before := len(c.r.api.Sent("answerPreCheckoutQuery", 0))
	qid := fmt.Sprint("pc", c.seq.Load())
	c.post(map[string]any{"pre_checkout_query": map[string]any{"id": qid, "from": from(id, lang), "currency": currency,
		"total_amount": total, "invoice_payload": payload}})
	a := c.next("answerPreCheckoutQuery", 0, before)
	if a.Form.Get("pre_checkout_query_id") != qid {
		c.t.Fatalf("answered %q, asked %q", a.Form.Get("pre_checkout_query_id"), qid)
	}
	return a
}

// paid posts a successful_payment message (extra fields: is_recurring...).
func (c *chatter) paid(id int64, charge, payload string, total int, extra map[string]any) {
	c.t.Helper()
	sp := map[string]any{"currency": "XTR", "total_amount": total, "invoice_payload": payload, "telegram_payment_charge_id": charge,
		"provider_payment_charge_id": ""}
	for k, v := range extra {
		sp[k] = v
	}
	c.post(map[string]any{"message": map[string]any{"message_id": c.seq.Load(), "date": time.Now().Unix(),
		"chat": map[string]any{"id": id, "type": "private"}, "from": from(id, "en"), "successful_payment": sp}})
}

func (c *chatter) refunded(id int64, charge, payload string, total int) {
	c.t.Helper()
	c.post(map[string]any{"message": map[string]any{"message_id": c.seq.Load(), "date": time.Now().Unix(),
		"chat": map[string]any{"id": id, "type": "private"}, "from": from(id, "en"), "refunded_payment": map[string]any{
			"currency": "XTR", "total_amount": total, "invoice_payload": payload, "telegram_payment_charge_id": charge}}})
}

// settle waits until every update posted so far is handled (one worker:
// the reply to a bystander's /help comes after them) and the notifier is
// idle.
func (c *chatter) settle(int64) {
	c.t.Helper()
	c.say(bystander, "en", "/help", "sendMessage")
	waitUntil(c.t, 5*time.Second, "outbox drained", func() bool { return c.r.pending() == 0 })
}

func (c *chatter) balance(account, asset string) store.Amount {
	c.t.Helper()
	b, err := c.r.db.Balance(context.Background(), account, asset)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func (c *chatter) audit() {
	c.t.Helper()
	storetest.Audit(c.t, c.r.db)
}

// texts are the texts of the messages sent to a chat that contain s.
func (c *chatter) texts(chat int64, s string) []string {
	var out []string
	for _, m := range c.r.api.Sent("sendMessage", chat) {
		if strings.Contains(m.Form.Get("text"), s) {
			out = append(out, m.Form.Get("text"))
		}
	}
	return out
}

// buyStarter pays the starter package in Stars through the bot: /buy,
// the Stars button, the invoice, the pre-checkout and the payment.
func buyStarter(t *testing.T, c *chatter, user int64, charge string) {
	t.Helper()
	list := c.say(user, "en", "/buy", "sendMessage")
	kb := list.Form.Get("reply_markup")
	if !strings.Contains(kb, `"callback_data":"bx:starter"`) || !strings.Contains(kb, `"callback_data":"bb:starter"`) ||
		!strings.Contains(kb, `"callback_data":"bx:pro"`) || !strings.Contains(list.Form.Get("text"), "1.5 GRAM") {
		t.Fatalf("/buy: %q %s", list.Form.Get("text"), kb)
	}
	before := len(c.r.api.Sent("sendInvoice", user))
	if a := c.press(user, "en", "bx:starter", 1); a.Form.Get("text") != "" {
		t.Fatalf("bx answered %q", a.Form.Get("text"))
	}
	inv := c.next("sendInvoice", user, before)
	f := inv.Form
	if f.Get("currency") != "XTR" || f.Get("provider_token") != "" || f.Get("title") == "" || f.Get("description") == "" {
		t.Fatalf("sendInvoice form %v", f)
	}
	var prices []struct {
		Label  string
		Amount int
	}
	if err := json.Unmarshal([]byte(f.Get("prices")), &prices); err != nil || len(prices) != 1 || prices[0].Amount != 150 {
		t.Fatalf("prices %q %v", f.Get("prices"), err)
	}
	if pl, ok := store.ParseStarsPayload(f.Get("payload")); !ok || pl.UserID != user || pl.Package != "starter" || pl.Price != 150 {
		t.Fatalf("payload %q", f.Get("payload"))
	}
	if a := c.preCheckout(user, "en", f.Get("payload"), "XTR", 150); a.Form.Get("ok") != "true" {
		t.Fatalf("pre-checkout refused: %v", a.Form)
	}
	c.paid(user, charge, f.Get("payload"), 150, nil)
	c.settle(user)
}

func TestStarsPurchaseFromTheBotIsBookedOnce(t *testing.T) {
	c := starsChatter(t)
	c.r.api.SetReply(starsReplies)
	const ann = 1101
	buyStarter(t, c, ann, "ch-1")
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 100 {
		t.Fatalf("credits %d", b)
	}
	if b := c.balance(store.AccountStarsRevenue, "XTR"); b != 150 {
		t.Fatalf("Stars revenue %d", b)
	}
	if n := c.texts(ann, "Payment received"); len(n) != 1 || !strings.Contains(n[0], "+100 credits") {
		t.Fatalf("payment notices %q", n)
	}
	// The same update delivered again books nothing.
	p, _ := c.r.db.StarPayment(context.Background(), "ch-1")
	c.paid(ann, "ch-1", p.Payload, 150, nil)
	c.settle(ann)
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 100 {
		t.Fatalf("credits %d after a redelivered payment", b)
	}
	if n := c.texts(ann, "Payment received"); len(n) != 1 {
		t.Fatalf("%d payment notices after a redelivered payment", len(n))
	}
	// "/buy starter" sends the invoice at once.
	before := len(c.r.api.Sent("sendInvoice", ann))
	c.say(ann, "en", "/buy starter", "sendInvoice")
	if len(c.r.api.Sent("sendInvoice", ann)) != before+1 {
		t.Fatal("/buy starter sent no invoice")
	}
	c.audit()
}

func TestStarsInvoiceLinkForTheMiniApp(t *testing.T) {
	c := starsChatter(t)
	c.r.api.SetReply(starsReplies)
	const ann = 1102
	c.r.user(ann, "ru")
	link, err := c.b.InvoiceLink(context.Background(), ann, "starter")
	if err != nil {
		t.Fatal(err)
	}
	calls := c.r.api.Sent("createInvoiceLink", 0)
	if len(calls) != 1 {
		t.Fatalf("%d createInvoiceLink calls", len(calls))
	}
	f := calls[0].Form
	if f.Get("currency") != "XTR" || f.Get("provider_token") != "" || f.Get("subscription_period") != "" || !strings.Contains(f.Get("prices"), `"amount":150`) ||
		link != "https://t.me/$invoice-"+f.Get("payload") || !strings.Contains(f.Get("description"), "кредитов") {
		t.Fatalf("createInvoiceLink %v → %q", f, link)
	}
	if _, err := c.b.InvoiceLink(context.Background(), ann, "nope"); err == nil {
		t.Fatal("an invoice link for an unknown package")
	}
	if a := c.preCheckout(ann, "ru", f.Get("payload"), "XTR", 150); a.Form.Get("ok") != "true" {
		t.Fatalf("pre-checkout: %v", a.Form)
	}
	c.paid(ann, "ch-app", f.Get("payload"), 150, nil)
	c.paid(ann, "ch-app", f.Get("payload"), 150, nil)
	c.settle(ann)
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 100 {
		t.Fatalf("credits %d", b)
	}
	if n := c.texts(ann, "Оплата получена"); len(n) != 1 {
		t.Fatalf("notices %q", n)
	}
	c.audit()
}

func TestStarsPreCheckoutIsAnsweredFromTheRuleBook(t *testing.T) {
	c := starsChatter(t)
	const ann, bob = 1103, 1104
	good := store.StarsPayload{UserID: ann, Price: 150, Credits: 100, Package: "starter"}.String()
	for _, tt := range []struct {
		name, payload, currency string
		user                    int64
		total                   int
		want                    string // "" = ok
	}{
		{"ok", good, "XTR", ann, 150, ""},
		{"changed price", store.StarsPayload{UserID: ann, Price: 120, Credits: 100, Package: "starter"}.String(), "XTR", ann, 120, "price has changed (it is now 150"},
		{"unknown package", store.StarsPayload{UserID: ann, Price: 150, Credits: 100, Package: "mega"}.String(), "XTR", ann, 150, "no such package"},
		{"another user's invoice", good, "XTR", bob, 150, "made for someone else"},
		{"not XTR", good, "USD", ann, 150, "cannot be paid here"},
		{"not our payload", "hello", "XTR", ann, 150, "cannot be paid here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			a := c.preCheckout(tt.user, "en", tt.payload, tt.currency, tt.total)
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("answered after %v", d)
			}
			if tt.want == "" {
				if a.Form.Get("ok") != "true" || a.Form.Get("error_message") != "" {
					t.Fatalf("refused: %v", a.Form)
				}
				return
			}
			if a.Form.Get("ok") != "false" || !strings.Contains(a.Form.Get("error_message"), tt.want) {
				t.Fatalf("answer %v, want a refusal with %q", a.Form, tt.want)
			}
		})
	}
}

func TestStarsRefundByAdmin(t *testing.T) {
	c := starsChatter(t)
	c.r.api.SetReply(starsReplies)
	ctx := context.Background()
	const ann = 1105
	c.r.user(testAdmin, "en")
	buyStarter(t, c, ann, "ch-a")
	buyStarter(t, c, ann, "ch-b")

	// Not an admin: refused before anything happens.
	if txt := c.say(ann, "en", "/refund ch-a", "sendMessage").Form.Get("text"); !strings.Contains(txt, "administrators only") {
		t.Fatalf("non-admin /refund: %q", txt)
	}
	// The refund reverses exactly: Telegram first, then the books.
	txt := c.say(testAdmin, "en", "/refund ch-a", "sendMessage").Form.Get("text")
	calls := c.r.api.Sent("refundStarPayment", 0)
	if len(calls) != 1 || calls[0].Form.Get("user_id") != strconv.Itoa(ann) || calls[0].Form.Get("telegram_payment_charge_id") != "ch-a" {
		t.Fatalf("refundStarPayment calls %+v", calls)
	}
	if !strings.Contains(txt, "Refunded ⭐ 150") || !strings.Contains(txt, "100 credits taken back") {
		t.Fatalf("/refund reply %q", txt)
	}
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 100 {
		t.Fatalf("credits %d after refunding one of two", b)
	}
	if b := c.balance(store.AccountStarsRevenue, "XTR"); b != 150 {
		t.Fatalf("revenue %d", b)
	}
	c.settle(ann)
	if n := c.texts(ann, "was refunded"); len(n) != 1 {
		t.Fatalf("refund notices %q", n)
	}
	// Telegram's own refunded_payment for it changes nothing more.
	c.refunded(ann, "ch-a", "", 150)
	c.settle(ann)
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 100 || len(c.texts(ann, "was refunded")) != 1 {
		t.Fatalf("refunded_payment after /refund: credits %d", b)
	}
	// Twice: refused, Telegram not asked again.
	if txt := c.say(testAdmin, "en", "/refund ch-a", "sendMessage").Form.Get("text"); !strings.Contains(txt, "already refunded") {
		t.Fatalf("second /refund: %q", txt)
	}

	// One credit spent: the refund of ch-b would take back 100 of 99.
	if _, err := c.r.db.Post(ctx, store.Transfer{Key: "spend", Kind: store.TransferPurchase, Postings: []store.Posting{
		{Account: store.UserAccount(ann), Asset: "CREDITS", Amount: -1}, {Account: store.AccountIssued, Asset: "CREDITS", Amount: 1}}}); err != nil {
		t.Fatal(err)
	}
	if txt := c.say(testAdmin, "en", "/refund ch-b", "sendMessage").Form.Get("text"); !strings.Contains(txt, "Refund refused: it takes back 100 credits and the user has 99 left") {
		t.Fatalf("refund of spent credits: %q", txt)
	}
	if n := len(c.r.api.Sent("refundStarPayment", 0)); n != 1 {
		t.Fatalf("Telegram was asked %d times", n)
	}
	if b := c.balance(store.AccountStarsRevenue, "XTR"); b != 150 {
		t.Fatalf("revenue %d after a refused refund", b)
	}
	if txt := c.say(testAdmin, "en", "/refund nope", "sendMessage").Form.Get("text"); !strings.Contains(txt, "No Stars payment") {
		t.Fatalf("unknown charge: %q", txt)
	}
	c.audit()
}

func TestStarsRefundFromTheAdminList(t *testing.T) {
	c := starsChatter(t)
	c.r.api.SetReply(func(cl call) map[string]any {
		if cl.Method == "refundStarPayment" && cl.Form.Get("telegram_payment_charge_id") == "ch-x" {
			return map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: CHARGE_NOT_FOUND"}
		}
		return starsReplies(cl)
	})
	const ann = 1106
	c.r.user(testAdmin, "en")
	buyStarter(t, c, ann, "ch-x")
	buyStarter(t, c, ann, "ch-y")
	list := c.say(testAdmin, "en", "/refund", "sendMessage")
	p, _ := c.r.db.StarPayment(context.Background(), "ch-y")
	data := "sr:" + strconv.FormatInt(p.TransferID, 10)
	if !strings.Contains(list.Form.Get("text"), "ch-y") || !strings.Contains(list.Form.Get("reply_markup"), data) {
		t.Fatalf("admin list %q %s", list.Form.Get("text"), list.Form.Get("reply_markup"))
	}
	if a := c.press(ann, "en", data, 1); !strings.Contains(a.Form.Get("text"), "Only administrators") {
		t.Fatalf("a user pressed Refund: %v", a.Form)
	}
	before := len(c.r.api.Sent("sendMessage", testAdmin))
	c.press(testAdmin, "en", data, 1)
	confirm := c.next("sendMessage", testAdmin, before)
	if !strings.Contains(confirm.Form.Get("reply_markup"), "sy:"+strconv.FormatInt(p.TransferID, 10)) {
		t.Fatalf("confirm %s", confirm.Form.Get("reply_markup"))
	}
	if n := len(c.r.api.Sent("refundStarPayment", 0)); n != 0 {
		t.Fatal("refunded before the confirmation")
	}
	before = len(c.r.api.Sent("sendMessage", testAdmin))
	c.press(testAdmin, "en", "sy:"+strconv.FormatInt(p.TransferID, 10), 1)
	if txt := c.next("sendMessage", testAdmin, before).Form.Get("text"); !strings.Contains(txt, "Refunded ⭐ 150") {
		t.Fatalf("refund from the list: %q", txt)
	}
	// Telegram refusing: nothing changes.
	if txt := c.say(testAdmin, "en", "/refund ch-x", "sendMessage").Form.Get("text"); !strings.Contains(txt, "Telegram refused the refund") {
		t.Fatalf("Telegram refused: %q", txt)
	}
	if p, _ := c.r.db.StarPayment(context.Background(), "ch-x"); p.Status != store.StarPaid {
		t.Fatalf("status %s", p.Status)
	}
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 100 {
		t.Fatalf("credits %d", b)
	}
	c.audit()
}

func TestStarsRefundedPaymentUpdate(t *testing.T) {
	c := starsChatter(t)
	c.r.api.SetReply(starsReplies)
	const ann = 1107
	c.r.user(testAdmin, "en")
	buyStarter(t, c, ann, "ch-s")
	if _, err := c.r.db.Post(context.Background(), store.Transfer{Key: "spend", Kind: store.TransferPurchase, Postings: []store.Posting{
		{Account: store.UserAccount(ann), Asset: "CREDITS", Amount: -30}, {Account: store.AccountIssued, Asset: "CREDITS", Amount: 30}}}); err != nil {
		t.Fatal(err)
	}
	// Telegram support refunded it: booked as far as the credits go, admins told.
	p, _ := c.r.db.StarPayment(context.Background(), "ch-s")
	c.refunded(ann, "ch-s", p.Payload, 150)
	c.refunded(ann, "ch-s", p.Payload, 150)
	c.settle(ann)
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 0 {
		t.Fatalf("credits %d", b)
	}
	if b := c.balance(store.AccountStarsRevenue, "XTR"); b != 0 {
		t.Fatalf("revenue %d", b)
	}
	if n := c.texts(testAdmin, "could not take back 30 credits"); len(n) != 1 {
		t.Fatalf("admin shortfall notices %q", n)
	}
	if n := c.texts(ann, "70 credits were taken back"); len(n) != 1 {
		t.Fatalf("user refund notices %q", n)
	}
	// A refund of a payment whose update was missed: both are booked.
	c.refunded(ann, "ch-never", store.StarsPayload{UserID: ann, Price: 150, Credits: 100, Package: "starter"}.String(), 150)
	c.settle(ann)
	if p, err := c.r.db.StarPayment(context.Background(), "ch-never"); err != nil || p.Status != store.StarRefunded || p.Clawed != 100 {
		t.Fatalf("missed payment refunded: %+v %v", p, err)
	}
	c.audit()
}

func TestStarsSubscriptionRenewalsAndCancel(t *testing.T) {
	c := starsChatter(t)
	c.r.api.SetReply(starsReplies)
	const ann = 1108
	offer := c.say(ann, "en", "/buy pro", "sendMessage")
	calls := c.r.api.Sent("createInvoiceLink", 0)
	if len(calls) != 1 {
		t.Fatalf("%d createInvoiceLink calls", len(calls))
	}
	f := calls[0].Form
	if f.Get("subscription_period") != "2592000" || f.Get("currency") != "XTR" || f.Get("provider_token") != "" || !strings.Contains(f.Get("prices"), `"amount":500`) {
		t.Fatalf("subscription link form %v", f)
	}
	if !strings.Contains(offer.Form.Get("reply_markup"), `"url":"https://t.me/$invoice-`) {
		t.Fatalf("offer keyboard %s", offer.Form.Get("reply_markup"))
	}
	payload := f.Get("payload")
	if a := c.preCheckout(ann, "en", payload, "XTR", 500); a.Form.Get("ok") != "true" {
		t.Fatalf("pre-checkout %v", a.Form)
	}
	t0 := time.Now().Add(30 * 24 * time.Hour).Unix()
	c.paid(ann, "s-1", payload, 500, map[string]any{"is_recurring": true, "is_first_recurring": true, "subscription_expiration_date": t0})
	c.paid(ann, "s-2", payload, 500, map[string]any{"is_recurring": true, "subscription_expiration_date": t0 + 2592000})
	c.paid(ann, "s-3", payload, 500, map[string]any{"is_recurring": true, "subscription_expiration_date": t0 + 2*2592000})
	c.paid(ann, "s-3", payload, 500, map[string]any{"is_recurring": true, "subscription_expiration_date": t0 + 2*2592000})
	c.settle(ann)
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 3000 {
		t.Fatalf("credits %d after a subscription and two renewals (one redelivered)", b)
	}
	if n := c.texts(ann, "renewed"); len(n) != 2 {
		t.Fatalf("renewal notices %q", n)
	}
	renews := stamp(time.Unix(t0+2*2592000, 0))
	subs := c.say(ann, "en", "/subscriptions", "sendMessage")
	if !strings.Contains(subs.Form.Get("text"), "renews on "+renews) || !strings.Contains(subs.Form.Get("reply_markup"), `"callback_data":"sc:pro"`) {
		t.Fatalf("/subscriptions %q %s", subs.Form.Get("text"), subs.Form.Get("reply_markup"))
	}
	if a := c.press(ann, "en", "sc:pro", 1); !strings.Contains(a.Form.Get("text"), "will not renew") {
		t.Fatalf("cancel answer %v", a.Form)
	}
	edits := c.r.api.Sent("editUserStarSubscription", 0)
	if len(edits) != 1 || edits[0].Form.Get("user_id") != strconv.Itoa(ann) || edits[0].Form.Get("telegram_payment_charge_id") != "s-1" ||
		edits[0].Form.Get("is_canceled") != "true" {
		t.Fatalf("editUserStarSubscription %+v", edits)
	}
	if s, _ := c.r.db.StarSubscription(context.Background(), ann, "pro"); !s.Canceled {
		t.Fatal("not recorded as canceled")
	}
	if txt := c.say(ann, "en", "/subscriptions", "sendMessage").Form.Get("text"); !strings.Contains(txt, "canceled, ends on "+renews) {
		t.Fatalf("canceled shown as %q", txt)
	}
	c.press(ann, "en", "su:pro", 1)
	if edits := c.r.api.Sent("editUserStarSubscription", 0); len(edits) != 2 || edits[1].Form.Get("is_canceled") != "false" {
		t.Fatalf("re-enable %+v", edits)
	}
	c.audit()
}

// starTx is a getStarTransactions entry.
func starTx(id string, amount int, source, receiver map[string]any) map[string]any {
	t := map[string]any{"id": id, "amount": amount, "date": time.Now().Unix()}
	if source != nil {
		t["source"] = source
	}
	if receiver != nil {
		t["receiver"] = receiver
	}
	return t
}

func payer(id int64, payload string) map[string]any {
	return map[string]any{"type": "user", "transaction_type": "invoice_payment", "user": map[string]any{"id": id, "is_bot": false, "first_name": "U"},
		"invoice_payload": payload}
}

func TestStarsReconcilerBooksMissedAndFlagsUnlisted(t *testing.T) {
	c := starsChatter(t)
	ctx := context.Background()
	const ann = 1109
	c.r.user(testAdmin, "en")
	pl := store.StarsPayload{UserID: ann, Price: 150, Credits: 100, Package: "starter"}.String()
	// Booked from updates: ok-1 (Telegram lists it), ghost (it does not),
	// r-1 (refunded at Telegram while we were away).
	for _, ch := range []string{"ok-1", "ghost", "r-1"} {
		c.paid(ann, ch, pl, 150, nil)
	}
	c.settle(ann)
	time.Sleep(5 * time.Millisecond) // older than StarsGrace
	page1 := []any{starTx("ok-1", 150, payer(ann, pl), nil), starTx("m-1", 150, payer(ann, pl), nil)}
	for i := range 98 {
		page1 = append(page1, starTx(fmt.Sprint("ads-", i), 10, nil, map[string]any{"type": "telegram_ads"}))
	}
	page2 := []any{starTx("r-1", 150, payer(ann, pl), nil), starTx("r-1", 150, nil, payer(ann, pl))}
	c.r.api.SetReply(func(cl call) map[string]any {
		switch cl.Method {
		case "getStarTransactions":
			if cl.Form.Get("offset") == "100" {
				return ok(map[string]any{"transactions": page2})
			}
			return ok(map[string]any{"transactions": page1})
		case "getMyStarBalance":
			return ok(map[string]any{"amount": 290})
		}
		return nil
	})
	rep, err := c.b.ReconcileStars(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (StarsReport{Listed: 3, Booked: 1, Refunded: 1, Missing: 1}) {
		t.Fatalf("report %+v", rep)
	}
	gets := c.r.api.Sent("getStarTransactions", 0)
	if len(gets) != 2 || gets[0].Form.Get("offset") != "" || gets[1].Form.Get("offset") != "100" || gets[1].Form.Get("limit") != "100" {
		t.Fatalf("paging %+v", gets)
	}
	if p, err := c.r.db.StarPayment(ctx, "m-1"); err != nil || p.Source != store.StarSourceReconciler || p.Credits != 100 {
		t.Fatalf("missed payment %+v %v", p, err)
	}
	if p, _ := c.r.db.StarPayment(ctx, "r-1"); p.Status != store.StarRefunded {
		t.Fatalf("r-1 %s", p.Status)
	}
	if p, _ := c.r.db.StarPayment(ctx, "ghost"); p.MissingAt.IsZero() {
		t.Fatal("ghost not flagged")
	}
	// 4 paid, 1 refunded: 3 × 100 credits, 450 Stars.
	if b := c.balance(store.UserAccount(ann), "CREDITS"); b != 300 {
		t.Fatalf("credits %d", b)
	}
	if b := c.balance(store.AccountStarsRevenue, "XTR"); b != 450 {
		t.Fatalf("revenue %d", b)
	}
	waitUntil(t, 5*time.Second, "admin told of the ghost", func() bool { return len(c.texts(testAdmin, "ghost")) == 1 })
	// Again: nothing new.
	if rep, err := c.b.ReconcileStars(ctx); err != nil || rep != (StarsReport{Listed: 3}) {
		t.Fatalf("second pass %+v %v", rep, err)
	}
	// /stats: Telegram's 290 beside the ledger's 450 is drift.
	if txt := c.say(testAdmin, "en", "/stats", "sendMessage").Form.Get("text"); !strings.Contains(txt, "Telegram says ⭐ 290, ledger revenue ⭐ 450") ||
		!strings.Contains(txt, "Stars drift: -160") {
		t.Fatalf("/stats %q", txt)
	}
	c.audit()
}
