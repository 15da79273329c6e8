package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// chatter posts updates to a running bot's webhook handler, as Telegram
// would, and waits for what the bot sends back.
type chatter struct {
	t   *testing.T
	r   *rig
	b   *Bot
	srv *httptest.Server
	seq atomic.Int64
}

func newChatter(t *testing.T, mods ...any) *chatter {
	hook, _ := url.Parse("https://pay.example.com/telegram/hook")
	r := newRig(t, append([]any{func(c *Config) { c.WebhookURL = hook; c.WebhookSecret = "s" }}, mods...)...)
	b, _ := r.start()
	c := &chatter{t: t, r: r, b: b, srv: httptest.NewServer(b.WebhookHandler())}
	t.Cleanup(c.srv.Close)
	return c
}

func (c *chatter) post(update map[string]any) {
	c.t.Helper()
	update["update_id"] = c.seq.Add(1)
	c.r.api.Delivered(update)
	body, _ := json.Marshal(update)
	req, _ := http.NewRequest("POST", c.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		c.t.Fatalf("webhook answered %d", res.StatusCode)
	}
}

func from(id int64, lang string) map[string]any {
	return map[string]any{"id": id, "first_name": fmt.Sprint("U", id), "language_code": lang}
}

// say sends text from user id and returns the next call of method to that
// chat.
func (c *chatter) say(id int64, lang, text, method string) call {
	c.t.Helper()
	before := len(c.r.api.Sent(method, id))
	c.post(map[string]any{"message": map[string]any{"message_id": c.seq.Load(), "date": time.Now().Unix(),
		"chat": map[string]any{"id": id, "type": "private"}, "from": from(id, lang), "text": text}})
	return c.next(method, id, before)
}

// press presses a callback button with data on message msgID and returns
// the answerCallbackQuery call.
func (c *chatter) press(id int64, lang, data string, msgID int) call {
	c.t.Helper()
	before := len(c.r.api.Sent("answerCallbackQuery", 0))
	qid := fmt.Sprint("q", c.seq.Load())
	c.post(map[string]any{"callback_query": map[string]any{"id": qid, "from": from(id, lang), "chat_instance": "1", "data": data,
		"message": map[string]any{"message_id": msgID, "date": time.Now().Unix(), "chat": map[string]any{"id": id, "type": "private"}, "text": "x"}}})
	a := c.next("answerCallbackQuery", 0, before)
	if a.Form.Get("callback_query_id") != qid {
		c.t.Fatalf("answered %q, pressed %q", a.Form.Get("callback_query_id"), qid)
	}
	return a
}

func (c *chatter) next(method string, chat int64, before int) call {
	c.t.Helper()
	waitUntil(c.t, 5*time.Second, method+" to "+strconv.FormatInt(chat, 10), func() bool { return len(c.r.api.Sent(method, chat)) > before })
	return c.r.api.Sent(method, chat)[before]
}

func TestCommandsRepliesAndKeyboards(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	const ann = 701

	start := c.say(ann, "en", "/start", "sendMessage")
	if txt := start.Form.Get("text"); !strings.Contains(txt, "Hi, U701") || !strings.Contains(txt, "0 GRAM") {
		t.Fatalf("/start: %q", txt)
	}
	kb := start.Form.Get("reply_markup")
	for _, want := range []string{`"web_app":{"url":"https://pay.example.com`, `"callback_data":"m:withdraw"`, `"callback_data":"m:history"`, `"callback_data":"m:wallet"`} {
		if !strings.Contains(kb, want) {
			t.Fatalf("/start keyboard lacks %s: %s", want, kb)
		}
	}
	u, err := c.r.db.User(ctx, ann)
	if err != nil {
		t.Fatalf("/start did not register the user: %v", err)
	}

	// Money arrives; /balance shows it exactly.
	_, err = c.r.db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Ref: strings.Repeat("ab", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -1_500_000_001}, {Account: store.UserAccount(ann), Asset: store.TON.Symbol, Amount: 1_500_000_001}}})
	if err != nil {
		t.Fatal(err)
	}
	if txt := c.say(ann, "en", "/balance", "sendMessage").Form.Get("text"); !strings.Contains(txt, "1.500000001 GRAM") {
		t.Fatalf("/balance: %q", txt)
	}

	// /topup: manual instructions with the personal comment, a ton:// link
	// and a QR code image.
	photo := c.say(ann, "en", "/topup", "sendPhoto")
	if photo.Form.Get("photo") != "<file>" || !strings.Contains(photo.Form.Get("caption"), u.Comment) ||
		!strings.Contains(photo.Form.Get("caption"), "ton://transfer/") {
		t.Fatalf("/topup photo: %v", photo.Form)
	}

	if txt := c.say(ann, "en", "/history", "sendMessage").Form.Get("text"); !strings.Contains(txt, "+1.500000001 GRAM") {
		t.Fatalf("/history: %q", txt)
	}
	if txt := c.say(ann, "en", "/wallet", "sendMessage").Form.Get("text"); txt == "" {
		t.Fatal("/wallet: empty")
	}
	if txt := c.say(ann, "en", "/help", "sendMessage").Form.Get("text"); !strings.Contains(txt, "/topup") {
		t.Fatalf("/help: %q", txt)
	}
	// The same in Russian for a ru client.
	if txt := c.say(702, "ru", "/help", "sendMessage").Form.Get("text"); !strings.ContainsAny(txt, "абвгдеёжзийклмнопрстуфхцчшщыьэюя") {
		t.Fatalf("ru /help: %q", txt)
	}

	// Menu buttons run their command and every press is answered, unknown
	// ones included.
	before := len(c.r.api.Sent("sendMessage", ann))
	c.press(ann, "en", "m:history", 5)
	if txt := c.next("sendMessage", ann, before).Form.Get("text"); !strings.Contains(txt, "+1.500000001 GRAM") {
		t.Fatalf("history button: %q", txt)
	}
	c.press(ann, "en", "h:0", 5)
	c.press(ann, "en", "nonsense", 5)
	if a := c.press(ann, "en", "wa:1", 5); a.Form.Get("show_alert") != "true" {
		t.Fatalf("a non-admin's approve press: %v", a.Form)
	}
}

func TestAdminApprovesAndRejectsWithButtons(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	db := c.r.db
	_, err := db.UpsertUser(ctx, store.User{ID: 801})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Ref: strings.Repeat("ab", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -10_000_000_000}, {Account: store.UserAccount(801), Asset: store.TON.Symbol, Amount: 10_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	req := func(key string) store.Withdrawal {
		w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 801, IdemKey: key, Asset: store.TON.Symbol, Amount: 3_000_000_000,
			Fee: 100_000_000, FeeAsset: store.TON.Symbol, Destination: "0:" + strings.Repeat("22", 32), NeedsApproval: true})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w1, w2 := req("a"), req("b")
	// The notifier tells the admin about both first (with their buttons).
	waitUntil(t, 5*time.Second, "approval notices", func() bool { return len(c.r.api.Sent("sendMessage", testAdmin)) == 2 && c.r.pending() == 0 })

	// Someone else: refused, nothing changes.
	if txt := c.say(802, "en", "/pending", "sendMessage").Form.Get("text"); !strings.Contains(txt, "administrators only") {
		t.Fatalf("non-admin /pending: %q", txt)
	}
	if txt := c.say(802, "en", "/unmatched", "sendMessage").Form.Get("text"); !strings.Contains(txt, "administrators only") {
		t.Fatalf("non-admin /unmatched: %q", txt)
	}
	pending := c.say(testAdmin, "en", "/pending", "sendMessage")
	if kb := pending.Form.Get("reply_markup"); !strings.Contains(kb, fmt.Sprintf("wa:%d", w1.ID)) || !strings.Contains(kb, fmt.Sprintf("wr:%d", w2.ID)) {
		t.Fatalf("/pending keyboard: %s", kb)
	}
	if txt := c.say(testAdmin, "en", "/stats", "sendMessage").Form.Get("text"); !strings.Contains(txt, "12.5 GRAM") {
		t.Fatalf("/stats: %q", txt)
	}
	c.say(testAdmin, "en", "/unmatched", "sendMessage")

	c.press(testAdmin, "en", fmt.Sprintf("wa:%d", w1.ID), 9)
	c.press(testAdmin, "en", fmt.Sprintf("wr:%d", w2.ID), 9)
	waitUntil(t, 5*time.Second, "decisions stored", func() bool {
		a, _ := db.Withdrawal(ctx, w1.ID)
		b, _ := db.Withdrawal(ctx, w2.ID)
		return a.Status == store.WithdrawalQueued && (b.Status == store.WithdrawalRejected || b.Status == store.WithdrawalRefunded)
	})
	// The rejected one came back with its fee.
	if bal, _ := db.Balance(ctx, store.UserAccount(801), store.TON.Symbol); bal != 10_000_000_000-3_100_000_000 {
		t.Fatalf("balance after one approval and one rejection: %d", bal)
	}
	// The user hears of each decision once: the approval and the rejection.
	waitUntil(t, 5*time.Second, "the user's notices", func() bool { return len(c.r.api.Sent("sendMessage", 801)) >= 2 && c.r.pending() == 0 })
	var approved, rejected int
	for _, m := range c.r.api.Sent("sendMessage", 801) {
		txt := m.Form.Get("text")
		approved += strings.Count(txt, "was approved")
		rejected += strings.Count(txt, "was declined")
	}
	if approved != 1 || rejected != 1 {
		t.Fatalf("the user was told %d approvals and %d rejections", approved, rejected)
	}
}

func TestWithdrawCommandAndInsufficientFunds(t *testing.T) {
	c := newChatter(t, rules(func(r *store.Rules) {
		r.WithdrawFee = map[string]store.Amount{store.TON.Symbol: 50_000_000}
		r.WithdrawMin = map[string]store.Amount{store.TON.Symbol: 100_000_000}
	}))
	ctx := context.Background()
	db := c.r.db
	const id = 901
	c.say(id, "en", "/start", "sendMessage")
	_, err := db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Ref: strings.Repeat("ab", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -2_000_000_000}, {Account: store.UserAccount(id), Asset: store.TON.Symbol, Amount: 2_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	dest := "0QACcZCIgVK1TLifxOdlkqJPwcVs5V1k-7CPD1ATNGQQJXcn"

	// Bad input: a clear reply and nothing changes.
	for _, bad := range []string{"/withdraw 1.0000000001 TON " + dest, "/withdraw 0.01 TON " + dest, "/withdraw 1 TON not-an-address", "/withdraw 1"} {
		if txt := c.say(id, "en", bad, "sendMessage").Form.Get("text"); txt == "" {
			t.Fatalf("%s: no reply", bad)
		}
	}
	if ws, _ := db.UserWithdrawals(ctx, id, 10); len(ws) != 0 {
		t.Fatalf("refused commands created %d withdrawals", len(ws))
	}
	if b, _ := db.Balance(ctx, store.UserAccount(id), store.TON.Symbol); b != 2_000_000_000 {
		t.Fatalf("balance moved to %d", b)
	}

	// Blocked by an administrator: told so, nothing held; unblocked, it works again.
	if _, err := db.BlockUser(ctx, store.AdminActor(testAdmin, ""), id, "under review"); err != nil {
		t.Fatal(err)
	}
	if txt := c.say(id, "en", "/withdraw 1.5 TON "+dest, "sendMessage").Form.Get("text"); !strings.Contains(txt, "blocked by an administrator") {
		t.Fatalf("blocked user's /withdraw: %q", txt)
	}
	if _, err := db.UnblockUser(ctx, store.AdminActor(testAdmin, ""), id); err != nil {
		t.Fatal(err)
	}

	// Too much: the shortfall with a top-up button.
	msg := c.say(id, "en", "/withdraw 5 GRAM "+dest, "sendMessage")
	if txt := msg.Form.Get("text"); !strings.Contains(txt, "3.05 GRAM") {
		t.Fatalf("insufficient funds reply without the 3.05 GRAM shortfall: %q", txt)
	}
	if kb := msg.Form.Get("reply_markup"); !strings.Contains(kb, "web_app") {
		t.Fatalf("insufficient funds reply without a top-up button: %s", kb)
	}

	// A good one: first the rule book's quote, nothing held yet...
	quote := c.say(id, "en", "/withdraw 1.5 ton "+dest, "sendMessage")
	for _, want := range []string{"Withdraw 1.5 GRAM", "Fee: 0.05 GRAM", "Leaves your balance: 1.55 GRAM", "Confirm?"} {
		if !strings.Contains(quote.Form.Get("text"), want) {
			t.Fatalf("/withdraw quote lacks %q: %q", want, quote.Form.Get("text"))
		}
	}
	if ws, _ := db.UserWithdrawals(ctx, id, 10); len(ws) != 0 {
		t.Fatalf("a quote created %d withdrawals", len(ws))
	}
	confirm := regexp.MustCompile(`"callback_data":"(wq:\d+)"`).FindStringSubmatch(quote.Form.Get("reply_markup"))
	if confirm == nil {
		t.Fatalf("no Confirm button: %s", quote.Form.Get("reply_markup"))
	}
	// ...then Confirm: amount plus fee held, withdrawal queued; a second tap changes nothing.
	edits := len(c.r.api.Sent("editMessageText", id))
	c.press(id, "en", confirm[1], 77)
	if txt := c.next("editMessageText", id, edits).Form.Get("text"); !strings.Contains(txt, "1.5 GRAM") || !strings.Contains(txt, "requested") {
		t.Fatalf("confirmed: %q", txt)
	}
	c.press(id, "en", confirm[1], 77)
	ws, err := db.UserWithdrawals(ctx, id, 10)
	if err != nil || len(ws) != 1 || ws[0].Amount != 1_500_000_000 || ws[0].Fee != 50_000_000 || ws[0].Status != store.WithdrawalQueued {
		t.Fatalf("withdrawals %+v %v", ws, err)
	}
	if b, _ := db.Balance(ctx, store.UserAccount(id), store.TON.Symbol); b != 450_000_000 {
		t.Fatalf("balance after the withdrawal %d", b)
	}

	// The function the rest of the service calls.
	b, err := New(c.r.cfg, db, fixedStatus{})
	if err != nil {
		t.Fatal(err)
	}
	before := len(c.r.api.Sent("sendMessage", id))
	if err := b.InsufficientFunds(ctx, id, store.TON.Symbol, 250_000_000); err != nil {
		t.Fatal(err)
	}
	m := c.next("sendMessage", id, before)
	if !strings.Contains(m.Form.Get("text"), "0.25 GRAM") || !strings.Contains(m.Form.Get("reply_markup"), "web_app") {
		t.Fatalf("insufficient funds notice: %v", m.Form)
	}
	if err := b.InsufficientFunds(ctx, id, "DOGE", 1); err == nil {
		t.Fatal("an unknown asset was accepted")
	}
}

func TestStartupRegistersCommandsAndMenuButton(t *testing.T) {
	c := newChatter(t)
	waitUntil(t, 5*time.Second, "setup calls", func() bool { return len(c.r.api.Sent("setChatMenuButton", 0)) == 1 })
	langs := map[string]bool{}
	for _, call := range c.r.api.Sent("setMyCommands", 0) {
		langs[call.Form.Get("language_code")] = true
		if !strings.Contains(call.Form.Get("commands"), `"command":"topup"`) {
			t.Fatalf("commands %s", call.Form.Get("commands"))
		}
	}
	if !langs[""] || !langs["ru"] {
		t.Fatalf("setMyCommands languages %v, want default and ru", langs)
	}
	if mb := c.r.api.Sent("setChatMenuButton", 0)[0].Form.Get("menu_button"); !strings.Contains(mb, `"url":"https://pay.example.com`) {
		t.Fatalf("menu button %s", mb)
	}
}

// The bot reads a person's amount: "1,5" is 1.5 (the quote shows it before
// anything moves), "1,500" could be 1500 or 1.5 and is refused with both,
// in the user's language, changing nothing.
func TestAmountWithACommaIsNeverGuessed(t *testing.T) {
	c := newChatter(t, rules(func(r *store.Rules) {
		r.WithdrawFee = map[string]store.Amount{store.TON.Symbol: 50_000_000}
		r.WithdrawMin = map[string]store.Amount{store.TON.Symbol: 100_000_000}
	}))
	ctx := context.Background()
	db := c.r.db
	const id = 951
	c.say(id, "en", "/start", "sendMessage")
	_, err := db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Ref: strings.Repeat("ef", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -2_000_000_000_000}, {Account: store.UserAccount(id), Asset: store.TON.Symbol, Amount: 2_000_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	dest := "0QACcZCIgVK1TLifxOdlkqJPwcVs5V1k-7CPD1ATNGQQJXcn"
	for _, tt := range []struct{ cmd, lang, want string }{
		{"/withdraw 1,500 TON " + dest, "en", "“1,500” could mean 1500 or 1.5, so nothing was done. Write 1500 (no comma) or 1.5 (with a dot)."},
		{"/withdraw 1,500 TON " + dest, "ru", "«1,500» может означать 1500 или 1.5, поэтому ничего не сделано. Напишите 1500 (без запятой) или 1.5 (с точкой)."},
		{"/pay 1,500", "en", "“1,500” could mean 1500 or 1.5"},
		{"/withdraw 1,000,000 TON " + dest, "en", "is not a valid amount of GRAM: use digits, a dot for decimals (at most 9 places) and no thousands separators, like 1500 or 1.5."},
	} {
		if txt := c.say(id, tt.lang, tt.cmd, "sendMessage").Form.Get("text"); !strings.Contains(txt, tt.want) {
			t.Fatalf("%s (%s): %q, want %q", tt.cmd, tt.lang, txt, tt.want)
		}
	}
	if ws, _ := db.UserWithdrawals(ctx, id, 10); len(ws) != 0 {
		t.Fatalf("refused commands created %d withdrawals", len(ws))
	}
	if b, _ := db.Balance(ctx, store.UserAccount(id), store.TON.Symbol); b != 2_000_000_000_000 {
		t.Fatalf("balance moved to %d", b)
	}
	// An unambiguous decimal comma is read, and the quote shows the amount.
	if txt := c.say(id, "en", "/withdraw 1,5 TON "+dest, "sendMessage").Form.Get("text"); !strings.Contains(txt, "1.5 GRAM") {
		t.Fatalf("/withdraw 1,5: %q", txt)
	}
}

// A /pay beyond the open-invoice bound is refused in words, not as an error.
func TestPayBeyondTheOpenInvoiceBound(t *testing.T) {
	c := newChatter(t, rules(func(r *store.Rules) { r.MaxOpenInvoices = 2 }))
	const id = 952
	c.say(id, "en", "/start", "sendMessage")
	for _, a := range []string{"1", "2"} {
		c.say(id, "en", "/pay "+a, "sendPhoto")
	}
	if txt := c.say(id, "en", "/pay 3", "sendMessage").Form.Get("text"); !strings.Contains(txt, "You already have 2 unpaid invoices open (the most is 2)") {
		t.Fatalf("/pay 3: %q", txt)
	}
}

// With several nodes a user's Confirm may reach another node than the one
// that quoted the /withdraw (Telegram posts to whichever the webhook
// address reaches): the quote is in the database, so that node requests
// the withdrawal, once.
func TestWithdrawConfirmedOnAnotherNode(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	db := c.r.db
	const id = 911
	c.say(id, "en", "/start", "sendMessage")
	_, err := db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Ref: strings.Repeat("cd", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -2_000_000_000}, {Account: store.UserAccount(id), Asset: store.TON.Symbol, Amount: 2_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	quote := c.say(id, "en", "/withdraw 1.5 GRAM 0QACcZCIgVK1TLifxOdlkqJPwcVs5V1k-7CPD1ATNGQQJXcn", "sendMessage")
	confirm := regexp.MustCompile(`"callback_data":"(wq:\d+)"`).FindStringSubmatch(quote.Form.Get("reply_markup"))
	if confirm == nil {
		t.Fatalf("no Confirm button: %s", quote.Form.Get("reply_markup"))
	}
	// The tap reaches a second node: its own Bot on the same database.
	other, _ := c.r.start()
	srv := httptest.NewServer(other.WebhookHandler())
	defer srv.Close()
	c.srv = srv
	edits := len(c.r.api.Sent("editMessageText", id))
	c.press(id, "en", confirm[1], 78)
	if txt := c.next("editMessageText", id, edits).Form.Get("text"); !strings.Contains(txt, "requested") {
		t.Fatalf("confirmed on the other node: %q", txt)
	}
	c.press(id, "en", confirm[1], 78) // again: the same withdrawal
	ws, err := db.UserWithdrawals(ctx, id, 10)
	if err != nil || len(ws) != 1 || ws[0].Amount != 1_500_000_000 {
		t.Fatalf("withdrawals %+v %v", ws, err)
	}
}
