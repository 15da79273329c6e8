package botapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/bot/botapi"
)

const token = "123:TEST"

// answer is a Bot API answer as a client reads it.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
	status int
}

func call(t *testing.T, api *botapi.API, tok, method string, form url.Values) answer {
	t.Helper()
	res, err := http.PostForm(api.URL+"/bot"+tok+"/"+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a answer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	a.status = res.StatusCode
	return a
}

// refused checks a refusal's shape: not ok, the HTTP status its
// error_code, a description that says why.
func refused(t *testing.T, a answer, code int, description string) {
	t.Helper()
	if a.OK || a.ErrorCode != code || a.status != code || !strings.Contains(a.Description, description) {
		t.Fatalf("answer %+v; want %d %q", a, code, description)
	}
}

func ok(t *testing.T, a answer) {
	t.Helper()
	if !a.OK || a.status != http.StatusOK {
		t.Fatalf("answer %+v; want ok", a)
	}
}

func send(text string, more ...string) url.Values {
	f := url.Values{"chat_id": {"42"}, "text": {text}}
	for i := 0; i+1 < len(more); i += 2 {
		f.Set(more[i], more[i+1])
	}
	return f
}

func TestTokenAndMethod(t *testing.T) {
	t.Parallel()
	api := botapi.New(t, botapi.Options{Token: token, Username: "shop_bot"})
	refused(t, call(t, api, "999:OTHER", "getMe", nil), 401, "Unauthorized")
	refused(t, call(t, api, token, "sendTelepathy", nil), 404, "Not Found")
	a := call(t, api, token, "getMe", nil)
	ok(t, a)
	var me struct{ Username string }
	json.Unmarshal(a.Result, &me)
	if me.Username != "shop_bot" {
		t.Fatalf("getMe %s", a.Result)
	}
	if n := len(api.Sent("getMe", 0)); n != 2 {
		t.Fatalf("%d getMe calls recorded, want 2 (refused ones too)", n)
	}
}

func TestMessagesAsStrictAsTelegram(t *testing.T) {
	t.Parallel()
	api := botapi.New(t)
	long := strings.Repeat("я", botapi.MaxText)
	for _, c := range []struct {
		name string
		form url.Values
		code int
		desc string
	}{
		{"no chat", url.Values{"text": {"hi"}}, 400, "chat_id is empty"},
		{"empty text", send(" "), 400, "message text is empty"},
		{"too long", send(long + "!"), 400, "message is too long"},
		{"unclosed tag", send("<b>bold", "parse_mode", "HTML"), 400, `can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{"crossed tags", send("<b><i>x</b></i>", "parse_mode", "HTML"), 400, "Unmatched end tag"},
		{"unknown tag", send("a<br>b", "parse_mode", "HTML"), 400, `Unsupported start tag "br"`},
		{"bare less-than", send("1 < 2", "parse_mode", "HTML"), 400, "can't parse entities"},
		{"link without href", send("<a>x</a>", "parse_mode", "HTML"), 400, "href"},
		{"MarkdownV2 unescaped", send("1.5 GRAM", "parse_mode", "MarkdownV2"), 400, "Character '.' is reserved"},
		{"unknown parse mode", send("x", "parse_mode", "html5"), 400, "unsupported parse_mode"},
		{"keyboard not JSON", send("x", "reply_markup", "{"), 400, "can't parse reply keyboard markup"},
		{"long callback data", send("x", "reply_markup", `{"inline_keyboard":[[{"text":"a","callback_data":"`+strings.Repeat("d", 65)+`"}]]}`), 400, "BUTTON_DATA_INVALID"},
		{"empty copy_text", send("x", "reply_markup", `{"inline_keyboard":[[{"text":"a","callback_data":"d","copy_text":{"text":""}}]]}`), 400, "BUTTON_COPY_TEXT_INVALID"},
		{"no action", send("x", "reply_markup", `{"inline_keyboard":[[{"text":"a"}]]}`), 400, "can't parse inline keyboard button"},
		{"web app in a group", url.Values{"chat_id": {"-100"}, "text": {"x"}, "reply_markup": {`{"inline_keyboard":[[{"text":"a","web_app":{"url":"https://pay.example.com"}}]]}`}}, 400, "BUTTON_TYPE_INVALID"},
	} {
		refused(t, call(t, api, token, "sendMessage", c.form), c.code, c.desc)
	}
	// At the limit, counted as Telegram counts: the text shown, in UTF-16
	// code units, tags and entities not counted.
	ok(t, call(t, api, token, "sendMessage", send("<b>"+long[:len(long)-2*4]+"</b>&amp;&lt;&#1103;&#x44f;", "parse_mode", "HTML")))
	ok(t, call(t, api, token, "sendMessage", send("Tom & Jerry <i>1 &lt; 2</i>", "parse_mode", "HTML")))
	ok(t, call(t, api, token, "sendMessage", send(`1\.5 *GRAM*`, "parse_mode", "MarkdownV2")))
	refused(t, call(t, api, token, "sendMessage", send(strings.Repeat("😀", botapi.MaxText/2)+"x")), 400, "message is too long")
	refused(t, call(t, api, token, "sendPhoto", url.Values{"chat_id": {"42"}, "photo": {"p"}, "caption": {strings.Repeat("c", botapi.MaxCaption+1)}}), 400, "caption is too long")

	api.Block(42, true)
	refused(t, call(t, api, token, "sendMessage", send("hi")), 403, "Forbidden: bot was blocked by the user")
	api.Block(42, false)
	ok(t, call(t, api, token, "sendMessage", send("hi")))
	// Every call is recorded; the chat shows only what Telegram took.
	if n := len(api.Sent("sendMessage", 42)); n != 19 {
		t.Fatalf("%d sendMessage calls recorded", n)
	}
	_, chat := api.Transcript(context.Background(), 42, -1, time.Second)
	if len(chat) != 4 || chat[1].Text != "Tom & Jerry <i>1 &lt; 2</i>" || !chat[1].HTML || chat[3].Text != "hi" {
		t.Fatalf("chat of %d messages", len(chat))
	}
}

func TestEditsAndCallbackAnswers(t *testing.T) {
	t.Parallel()
	api := botapi.New(t)
	a := call(t, api, token, "sendMessage", send("quote", "reply_markup", `{"inline_keyboard":[[{"text":"Confirm","callback_data":"c:1"}]]}`))
	ok(t, a)
	var m struct {
		MessageID int `json:"message_id"`
	}
	json.Unmarshal(a.Result, &m)
	id := strconv.Itoa(m.MessageID)
	edit := func(text, markup string) answer {
		return call(t, api, token, "editMessageText", url.Values{"chat_id": {"42"}, "message_id": {id}, "text": {text}, "reply_markup": {markup}})
	}
	refused(t, edit("quote", `{"inline_keyboard":[[{"text":"Confirm","callback_data":"c:1"}]]}`), 400, "message is not modified")
	refused(t, call(t, api, token, "editMessageText", url.Values{"chat_id": {"42"}, "message_id": {"999"}, "text": {"x"}}), 400, "message to edit not found")
	refused(t, call(t, api, token, "editMessageText", url.Values{"chat_id": {"43"}, "message_id": {id}, "text": {"x"}}), 400, "message to edit not found")
	ok(t, edit("confirmed", ""))
	photo := call(t, api, token, "sendPhoto", url.Values{"chat_id": {"42"}, "photo": {"AgADqr"}, "caption": {"QR"}})
	ok(t, photo)
	json.Unmarshal(photo.Result, &m)
	refused(t, call(t, api, token, "editMessageText", url.Values{"chat_id": {"42"}, "message_id": {strconv.Itoa(m.MessageID)}, "text": {"x"}}), 400, "there is no text in the message to edit")
	ok(t, call(t, api, token, "editMessageCaption", url.Values{"chat_id": {"42"}, "message_id": {strconv.Itoa(m.MessageID)}, "caption": {"QR code"}}))
	refused(t, call(t, api, token, "editMessageCaption", url.Values{"chat_id": {"42"}, "message_id": {id}, "caption": {"x"}}), 400, "there is no caption in the message to edit")

	// A callback query is answered once, and only one Telegram asked.
	refused(t, call(t, api, token, "answerCallbackQuery", url.Values{"callback_query_id": {"made-up"}}), 400, "query ID is invalid")
	api.User(42, "Ann", "en")
	api.Pressed(42, m.MessageID, "c:1")
	upd := call(t, api, token, "getUpdates", url.Values{"offset": {"0"}, "timeout": {"1"}})
	var updates []struct {
		UpdateID      int `json:"update_id"`
		CallbackQuery struct {
			ID   string
			Data string
			From struct {
				FirstName string `json:"first_name"`
			}
		} `json:"callback_query"`
	}
	json.Unmarshal(upd.Result, &updates)
	if len(updates) != 1 || updates[0].CallbackQuery.Data != "c:1" || updates[0].CallbackQuery.From.FirstName != "Ann" {
		t.Fatalf("updates %s", upd.Result)
	}
	qid := updates[0].CallbackQuery.ID
	refused(t, call(t, api, token, "answerCallbackQuery", url.Values{"callback_query_id": {qid}, "text": {strings.Repeat("t", botapi.MaxCallbackToast+1)}}), 400, "MESSAGE_TOO_LONG")
	ok(t, call(t, api, token, "answerCallbackQuery", url.Values{"callback_query_id": {qid}, "text": {"Done"}}))
	refused(t, call(t, api, token, "answerCallbackQuery", url.Values{"callback_query_id": {qid}}), 400, "query ID is invalid")

	// An update a test hands the bot itself is as good as one Telegram sent.
	api.Delivered(map[string]any{"callback_query": map[string]any{"id": "hook-1", "data": "x",
		"message": map[string]any{"message_id": 77, "chat": map[string]any{"id": 42}, "text": "old"}}})
	ok(t, call(t, api, token, "answerCallbackQuery", url.Values{"callback_query_id": {"hook-1"}}))
	ok(t, call(t, api, token, "editMessageText", url.Values{"chat_id": {"42"}, "message_id": {"77"}, "text": {"new"}}))

	// The confirmed update is gone; the chat shows what a user would see.
	upd = call(t, api, token, "getUpdates", url.Values{"offset": {strconv.Itoa(updates[0].UpdateID + 1)}, "timeout": {"0"}})
	if string(upd.Result) != "[]" {
		t.Fatalf("after the offset: %s", upd.Result)
	}
	_, chat := api.Transcript(context.Background(), 42, -1, time.Second)
	var shown []string
	for _, m := range chat {
		shown = append(shown, m.From+":"+m.Text)
	}
	if got := strings.Join(shown, "|"); got != "bot:confirmed|bot:QR code|toast:Done|bot:new" {
		t.Fatalf("chat %s", got)
	}
}

func TestErrorHelpersAreTelegramsShape(t *testing.T) {
	t.Parallel()
	api := botapi.New(t)
	api.Reply = func(c botapi.Call) map[string]any {
		if c.Method == "sendMessage" {
			return botapi.TooMany(3)
		}
		return nil
	}
	a := call(t, api, token, "sendMessage", send("hi"))
	refused(t, a, 429, "Too Many Requests: retry after 3")
	if a.Parameters.RetryAfter != 3 {
		t.Fatalf("retry_after %d", a.Parameters.RetryAfter)
	}
	// What Telegram refuses is refused before a scripted answer.
	refused(t, call(t, api, token, "sendMessage", send("")), 400, "message text is empty")
}

func TestLongPollingWaitsForAnUpdate(t *testing.T) {
	t.Parallel()
	api := botapi.New(t, botapi.Options{PollWait: 5 * time.Second})
	go func() {
		time.Sleep(100 * time.Millisecond)
		api.Command(7, "/start")
	}()
	start := time.Now()
	a := call(t, api, token, "getUpdates", url.Values{"timeout": {"30"}})
	var updates []struct {
		Message struct {
			Text     string
			Entities []struct{ Type string }
		}
	}
	json.Unmarshal(a.Result, &updates)
	if len(updates) != 1 || updates[0].Message.Text != "/start" || updates[0].Message.Entities[0].Type != "bot_command" {
		t.Fatalf("updates %s", a.Result)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the update came after %v", d)
	}
}

// Two getUpdates at once: as on Telegram, the newer one ends the waiting
// one with 409 Conflict, and takes the update.
func TestSecondPollerEndsTheFirstWithConflict(t *testing.T) {
	t.Parallel()
	api := botapi.New(t, botapi.Options{PollWait: 10 * time.Second})
	first := make(chan answer, 1)
	go func() { first <- call(t, api, token, "getUpdates", url.Values{"timeout": {"30"}}) }()
	// The first is waiting once the stand-in has its call.
	for deadline := time.Now().Add(5 * time.Second); len(api.Sent("getUpdates", 0)) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first getUpdates never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	second := make(chan answer, 1)
	go func() { second <- call(t, api, token, "getUpdates", url.Values{"timeout": {"30"}}) }()
	refused(t, <-first, 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
	if n := api.Conflicts(); n != 1 {
		t.Fatalf("%d conflicts, want 1", n)
	}
	api.Command(7, "/start")
	a := <-second
	ok(t, a)
	if !strings.Contains(string(a.Result), "/start") {
		t.Fatalf("the second poller did not get the update: %s", a.Result)
	}
	// One after the other is no conflict.
	ok(t, call(t, api, token, "getUpdates", url.Values{"timeout": {"0"}}))
	if n := api.Conflicts(); n != 1 {
		t.Fatalf("%d conflicts, want 1", n)
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	fail := 1 // the first delivery fails: Telegram tries again
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if fail > 0 {
			fail--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var u struct {
			Message struct{ Text string }
		}
		json.Unmarshal(b, &u)
		got = append(got, r.Header.Get("X-Telegram-Bot-Api-Secret-Token")+":"+u.Message.Text)
	}))
	defer hook.Close()
	// Telegram trusts public CAs; here, the test server's own certificate.
	api := botapi.New(t, botapi.Options{WebhookClient: hook.Client()})
	refused(t, call(t, api, token, "setWebhook", url.Values{"url": {"http://pay.example.com/hook"}}), 400, "An HTTPS URL must be provided")
	refused(t, call(t, api, token, "setWebhook", url.Values{"url": {"https://pay.example.com/hook"}, "secret_token": {"a b"}}), 400, "secret token")
	ok(t, call(t, api, token, "setWebhook", url.Values{"url": {hook.URL}, "secret_token": {"s3"}}))
	refused(t, call(t, api, token, "getUpdates", nil), 409, "can't use getUpdates method while webhook is active")
	api.Command(7, "/one")
	api.Command(7, "/two")
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Join(got, ",") != "s3:/one,s3:/two" {
		t.Fatalf("delivered %v", got)
	}
	info := call(t, api, token, "getWebhookInfo", nil)
	var wi struct {
		URL     string `json:"url"`
		Pending int    `json:"pending_update_count"`
		LastErr string `json:"last_error_message"`
	}
	json.Unmarshal(info.Result, &wi)
	if wi.URL != hook.URL || wi.Pending != 0 || !strings.Contains(wi.LastErr, "500") {
		t.Fatalf("webhook info %s", info.Result)
	}
	ok(t, call(t, api, token, "deleteWebhook", nil))
	ok(t, call(t, api, token, "getUpdates", url.Values{"timeout": {"0"}}))
}

func TestStars(t *testing.T) {
	t.Parallel()
	api := botapi.New(t)
	api.User(7, "Ann", "en")
	invoice := url.Values{"chat_id": {"7"}, "title": {"Starter"}, "description": {"100 credits"}, "payload": {"p-1"},
		"currency": {"XTR"}, "prices": {`[{"label":"Starter","amount":150}]`}}
	wrong := url.Values{}
	for k, v := range invoice {
		wrong[k] = v
	}
	wrong.Set("currency", "USD")
	refused(t, call(t, api, token, "sendInvoice", wrong), 400, "CURRENCY_INVALID")
	wrong.Set("currency", "XTR")
	wrong.Set("prices", `[{"label":"a","amount":1},{"label":"b","amount":2}]`)
	refused(t, call(t, api, token, "sendInvoice", wrong), 400, "STARS_INVOICE_INVALID")
	link := call(t, api, token, "createInvoiceLink", invoice)
	ok(t, link)
	var l string
	json.Unmarshal(link.Result, &l)

	// The bot answers the pre-checkout query it is sent; then the payment.
	go func() {
		for range 50 {
			a := call(t, api, token, "getUpdates", url.Values{"timeout": {"1"}})
			var us []struct {
				PreCheckoutQuery *struct{ ID string } `json:"pre_checkout_query"`
			}
			json.Unmarshal(a.Result, &us)
			for _, u := range us {
				if u.PreCheckoutQuery != nil {
					call(t, api, token, "answerPreCheckoutQuery", url.Values{"pre_checkout_query_id": {u.PreCheckoutQuery.ID}, "ok": {"true"}})
					return
				}
			}
		}
	}()
	status, err := api.Pay(context.Background(), 7, l)
	if err != nil || status != "paid" {
		t.Fatalf("pay: %s %v", status, err)
	}
	charge := "stx-invoice-1"
	refused(t, call(t, api, token, "refundStarPayment", url.Values{"user_id": {"8"}, "telegram_payment_charge_id": {charge}}), 400, "CHARGE_NOT_FOUND")
	ok(t, call(t, api, token, "refundStarPayment", url.Values{"user_id": {"7"}, "telegram_payment_charge_id": {charge}}))
	refused(t, call(t, api, token, "refundStarPayment", url.Values{"user_id": {"7"}, "telegram_payment_charge_id": {charge}}), 400, "CHARGE_ALREADY_REFUNDED")
	txs := call(t, api, token, "getStarTransactions", nil)
	var list struct {
		Transactions []struct {
			ID     string
			Amount int
		}
	}
	json.Unmarshal(txs.Result, &list)
	if len(list.Transactions) != 2 || list.Transactions[0].ID != charge || list.Transactions[0].Amount != 150 {
		t.Fatalf("transactions %s", txs.Result)
	}
	if _, err := api.Pay(context.Background(), 7, "https://t.me/$nothing"); err == nil {
		t.Fatal("paid an invoice nobody made")
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	api := botapi.New(t, botapi.Options{Limits: &botapi.Limits{ChatInterval: time.Second, ChatBurst: 2, Global: 3}})
	ok(t, call(t, api, token, "sendMessage", send("1")))
	ok(t, call(t, api, token, "sendMessage", send("2"))) // the burst
	a := call(t, api, token, "sendMessage", send("3"))
	refused(t, a, 429, "Too Many Requests: retry after 1")
	if a.Parameters.RetryAfter != 1 {
		t.Fatalf("retry_after %d", a.Parameters.RetryAfter)
	}
	// Another chat has its own rate, within the global one.
	ok(t, call(t, api, token, "sendMessage", url.Values{"chat_id": {"43"}, "text": {"a"}}))
	refused(t, call(t, api, token, "sendMessage", url.Values{"chat_id": {"44"}, "text": {"b"}}), 429, "retry after 1")
	time.Sleep(time.Second) // the rate is per second: nothing else to wait on
	ok(t, call(t, api, token, "sendMessage", send("3")))
	_, chat := api.Transcript(context.Background(), 42, -1, time.Second)
	if len(chat) != 3 {
		t.Fatalf("%d messages delivered to chat 42, want 3 (the refused one not)", len(chat))
	}
}
