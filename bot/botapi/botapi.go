// Package botapi is an in-process Telegram Bot API, as strict as Telegram
// where a bot can tell: the project's one stand-in for Telegram, used by the
// bot's tests, the service's tests and the sandbox (`tonpay sandbox`).
//
// It answers over real HTTP what go-telegram/bot sends (multipart or
// urlencoded forms at /bot<token>/<method>), refuses what Telegram refuses
// with Telegram's error shape ({"ok":false,"error_code":...,"description":
// ...}, parameters.retry_after on a 429): an unknown token or method, text
// over 4096 characters or a caption over 1024, HTML that does not parse,
// keyboards Telegram rejects, edits of messages that do not exist or would
// not change, callback queries answered twice or never asked, chats that
// blocked the bot, getUpdates while a webhook is set. It keeps each chat as
// Telegram would show it, delivers updates by long polling or to the
// webhook the bot set, and sells Telegram Stars (stars.go). Every request
// is recorded for tests to inspect (Sent, Texts, Chat).
//
// It does not import testing: the sandbox runs it in production builds.
package botapi

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is one Bot API request the stand-in received (refused ones too).
type Call struct {
	Method string
	Form   url.Values
	At     time.Time
}

// Defaults of Options.
const (
	Username = "tonpay_bot" // the bot's username getMe answers
	BotID    = 123456       // the bot's user id
	// PollWait is how long getUpdates waits for an update by default
	// before it answers with none (Telegram's long poll, short).
	PollWait = 200 * time.Millisecond
)

// Options configure a stand-in; the zero value is a test's.
type Options struct {
	Token     string        // the only token accepted (401 for others); empty accepts any
	Username  string        // getMe's username; Username when empty
	FirstName string        // getMe's first name; "tonpay" when empty
	BotID     int64         // getMe's id; BotID when empty
	PollWait  time.Duration // the longest getUpdates waits (within its timeout); PollWait when zero
	// Addr is where Start listens; a free loopback port when empty.
	Addr string
	// InvoicePrefix names invoice links (https://t.me/$<prefix><n>);
	// ChargePrefix starts a payment's charge id (<prefix><invoice slug>).
	InvoicePrefix, ChargePrefix string
	// Limits, when set, answers sends over Telegram's rates with 429 and
	// retry_after, as Telegram does; none when nil.
	Limits *Limits
	// WebhookClient delivers updates to the webhook (its roots decide which
	// certificates are trusted, as Telegram trusts public CAs); a client
	// with a 10 s timeout when nil.
	WebhookClient *http.Client
}

// API is a running stand-in. Reply, when set, may answer a call in place
// of the default (return nil for the default); set it before the bot starts
// or through SetReply once it runs. A call Telegram would refuse is refused
// before Reply is asked.
type API struct {
	URL   string // http://127.0.0.1:port
	Reply func(c Call) map[string]any

	o    Options
	srv  *http.Server
	ln   net.Listener
	stop context.CancelFunc
	ctx  context.Context
	wg   sync.WaitGroup

	mu       sync.Mutex
	calls    []Call
	chats    map[int64][]Message
	version  int64         // changes with every change to any chat or the update queue
	changed  chan struct{} // closed and replaced on every change
	updates  []map[string]any
	nextUpd  int
	nextID   int                      // message ids
	users    map[int64]map[string]any // Telegram users by id
	blocked  map[int64]bool           // chats that blocked the bot
	queries  map[string]bool          // callback query id → answered
	hook     webhook                  // webhook.go
	stars    starsState               // stars.go
	delivery bool                     // a webhook delivery loop runs
	rates    rates                    // limits.go
}

// Message is one message of a chat as a Telegram app shows it.
type Message struct {
	ID     int             `json:"id"`
	From   string          `json:"from"` // "bot", "user" or "toast" (a notice from Telegram, an answered callback)
	Text   string          `json:"text"`
	HTML   bool            `json:"html"`
	Photo  string          `json:"photo,omitempty"` // data: URL of an upload, or the file_id or URL sent
	Markup json.RawMessage `json:"markup,omitempty"`
	Edited bool            `json:"edited,omitempty"`
	At     int64           `json:"at"`
}

// Start runs a stand-in until Close.
func Start(o Options) (*API, error) {
	if o.Username == "" {
		o.Username = Username
	}
	if o.FirstName == "" {
		o.FirstName = "tonpay"
	}
	if o.BotID == 0 {
		o.BotID = BotID
	}
	if o.PollWait <= 0 {
		o.PollWait = PollWait
	}
	if o.InvoicePrefix == "" {
		o.InvoicePrefix = "invoice-"
	}
	if o.ChargePrefix == "" {
		o.ChargePrefix = "stx-"
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	a := &API{o: o, ln: ln, URL: "http://" + ln.Addr().String(), changed: make(chan struct{}), chats: map[int64][]Message{},
		users: map[int64]map[string]any{}, blocked: map[int64]bool{}, queries: map[string]bool{}, nextID: 1}
	a.ctx, a.stop = context.WithCancel(context.Background())
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

// TB is what New needs of a test (testing.TB has it).
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// New starts a stand-in for a test, closed when the test ends.
func New(t TB, opts ...Options) *API {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	a, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// Close stops the server and the webhook delivery.
func (a *API) Close() {
	a.halt()
	a.srv.Close()
	a.wg.Wait()
}

// halt ends the webhook delivery; none starts after it (deliver checks
// under a.mu).
func (a *API) halt() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stop()
}

// Run serves until ctx ends, then shuts down gracefully (a part of the
// sandbox).
func (a *API) Run(ctx context.Context) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := a.srv.Shutdown(sctx)
	a.halt()
	a.wg.Wait()
	return err
}

// bump records a change (with a.mu held).
func (a *API) bump() {
	a.version++
	close(a.changed)
	a.changed = make(chan struct{})
}

// Error is a Bot API refusal in Telegram's shape.
func Error(code int, description string) map[string]any {
	return map[string]any{"ok": false, "error_code": code, "description": description}
}

// TooMany is Telegram's 429 with its retry_after.
func TooMany(retryAfter int) map[string]any {
	e := Error(http.StatusTooManyRequests, "Too Many Requests: retry after "+strconv.Itoa(retryAfter))
	e["parameters"] = map[string]any{"retry_after": retryAfter}
	return e
}

// Blocked is Telegram's answer to a send to a user who blocked the bot.
func Blocked() map[string]any {
	return Error(http.StatusForbidden, "Forbidden: bot was blocked by the user")
}

// OK is a successful answer.
func OK(result any) map[string]any { return map[string]any{"ok": true, "result": result} }

func badRequest(description string) map[string]any {
	return Error(http.StatusBadRequest, "Bad Request: "+description)
}

// request is a parsed Bot API call.
type request struct {
	Call
	files map[string][]byte
	http  *http.Request
}

func (r *request) get(k string) string { return r.Form.Get(k) }

func (r *request) chat() int64 {
	id, _ := strconv.ParseInt(r.get("chat_id"), 10, 64)
	return id
}

// ServeHTTP answers a Bot API call.
func (a *API) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	rest, ok := strings.CutPrefix(hr.URL.Path, "/bot")
	token, method, found := strings.Cut(rest, "/")
	if !ok || !found || token == "" {
		a.write(w, Error(http.StatusNotFound, "Not Found"))
		return
	}
	r := a.parse(hr, method)
	a.mu.Lock()
	a.calls = append(a.calls, r.Call)
	reply := a.Reply
	a.mu.Unlock()
	if a.o.Token != "" && token != a.o.Token {
		a.write(w, Error(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	if !knownMethod(method) {
		a.write(w, Error(http.StatusNotFound, "Not Found"))
		return
	}
	if refusal := a.check(r); refusal != nil {
		a.write(w, refusal)
		return
	}
	wait := a.pollWait(r)
	if method == "getUpdates" && reply != nil {
		// A scripted getUpdates answers after the poll's wait, as Telegram
		// does when nothing is queued.
		if !a.waitChange(hr.Context(), wait) {
			return
		}
		wait = 0
	}
	if reply != nil {
		if out := reply(r.Call); out != nil {
			if method == "getUpdates" {
				if res, ok := out["result"].([]any); ok {
					for _, u := range res {
						if m, ok := u.(map[string]any); ok {
							a.Delivered(m)
						}
					}
				}
			}
			a.write(w, out)
			return
		}
	}
	out, hungUp := a.answer(r, wait)
	if hungUp {
		return
	}
	a.write(w, out)
}

func (a *API) write(w http.ResponseWriter, out map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	if ok, _ := out["ok"].(bool); !ok {
		if code, _ := out["error_code"].(int); code != 0 {
			w.WriteHeader(code)
		}
	}
	json.NewEncoder(w).Encode(out)
}

// parse reads the form the library sends (multipart, urlencoded or none).
func (a *API) parse(hr *http.Request, method string) *request {
	r := &request{Call: Call{Method: method, Form: url.Values{}, At: time.Now()}, files: map[string][]byte{}, http: hr}
	if strings.HasPrefix(hr.Header.Get("Content-Type"), "multipart/") {
		if hr.ParseMultipartForm(8<<20) == nil { // calls without parameters send an empty body
			for k, v := range hr.MultipartForm.Value {
				r.Form[k] = v
			}
			for k, fs := range hr.MultipartForm.File {
				r.Form.Set(k, "<file>")
				if f, err := fs[0].Open(); err == nil {
					r.files[k], _ = io.ReadAll(f)
					f.Close()
				}
			}
		}
	} else if strings.HasPrefix(hr.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if json.NewDecoder(hr.Body).Decode(&m) == nil {
			for k, v := range m {
				if s, ok := v.(string); ok {
					r.Form.Set(k, s)
				} else {
					b, _ := json.Marshal(v)
					r.Form.Set(k, string(b))
				}
			}
		}
	} else {
		_ = hr.ParseForm()
		r.Form = hr.Form
	}
	return r
}

// pollWait is how long a getUpdates may wait: its timeout, at most
// Options.PollWait.
func (a *API) pollWait(r *request) time.Duration {
	if r.Method != "getUpdates" {
		return 0
	}
	timeout, err := strconv.Atoi(r.get("timeout"))
	if err != nil || timeout < 0 {
		return a.o.PollWait
	}
	return min(time.Duration(timeout)*time.Second, a.o.PollWait)
}

// waitChange waits until something changes or d passes; false when the
// caller hung up.
func (a *API) waitChange(ctx context.Context, d time.Duration) bool {
	a.mu.Lock()
	changed := a.changed
	a.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
	case <-changed:
	}
	return true
}

// answer is the default answer to a checked call; hungUp when the caller
// left while it waited.
func (a *API) answer(r *request, wait time.Duration) (out map[string]any, hungUp bool) {
	if result, refusal, ok := a.starsMethod(r); ok {
		if refusal != nil {
			return refusal, false
		}
		return OK(result), false
	}
	var result any = true
	switch r.Method {
	case "getMe":
		result = map[string]any{"id": a.o.BotID, "is_bot": true, "first_name": a.o.FirstName, "username": a.o.Username,
			"can_join_groups": false, "can_read_all_group_messages": false, "supports_inline_queries": false}
	case "getUpdates":
		updates, ok := a.poll(r, wait)
		if !ok {
			return nil, true
		}
		result = updates
	case "sendMessage":
		result = a.say(r, Message{Text: r.get("text"), HTML: r.get("parse_mode") == "HTML", Markup: markup(r)})
	case "sendPhoto":
		m := Message{Text: r.get("caption"), HTML: r.get("parse_mode") == "HTML", Markup: markup(r)}
		m.Photo = r.get("photo") // a file_id or URL
		if b := r.files["photo"]; b != nil {
			m.Photo = "data:" + http.DetectContentType(b) + ";base64," + base64Std(b)
		}
		result = a.say(r, m)
	case "editMessageText", "editMessageCaption", "editMessageReplyMarkup":
		result = a.edit(r)
	case "answerCallbackQuery":
		a.answerQuery(r)
	case "setWebhook", "deleteWebhook", "getWebhookInfo":
		result = a.webhookMethod(r)
	}
	return OK(result), false
}

func markup(r *request) json.RawMessage {
	if m := r.get("reply_markup"); m != "" && json.Valid([]byte(m)) {
		return json.RawMessage(m)
	}
	return nil
}

// say appends a bot message to a chat and answers it as Telegram would.
func (a *API) say(r *request, m Message) any {
	chat := r.chat()
	a.mu.Lock()
	defer a.mu.Unlock()
	m.ID, m.From, m.At = a.nextID, "bot", time.Now().Unix()
	a.nextID++
	a.chats[chat] = append(a.chats[chat], m)
	a.bump()
	return a.message(chat, m)
}

// message is a bot message as the Bot API returns it (with a.mu held).
func (a *API) message(chat int64, m Message) map[string]any {
	out := map[string]any{"message_id": m.ID, "date": m.At, "chat": map[string]any{"id": chat, "type": chatType(chat)},
		"from": map[string]any{"id": a.o.BotID, "is_bot": true, "first_name": a.o.FirstName, "username": a.o.Username}}
	if m.Photo != "" {
		out["caption"] = m.Text
		out["photo"] = []any{map[string]any{"file_id": "photo" + strconv.Itoa(m.ID), "file_unique_id": "p" + strconv.Itoa(m.ID), "width": 1, "height": 1}}
	} else {
		out["text"] = m.Text
	}
	if m.Edited {
		out["edit_date"] = time.Now().Unix()
	}
	return out
}

func chatType(chat int64) string {
	if chat < 0 {
		return "supergroup"
	}
	return "private"
}

// edit changes a bot message (check found it).
func (a *API) edit(r *request) any {
	chat := r.chat()
	id, _ := strconv.Atoi(r.get("message_id"))
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.find(chat, id)
	switch r.Method {
	case "editMessageText":
		m.Text, m.HTML = r.get("text"), r.get("parse_mode") == "HTML"
	case "editMessageCaption":
		m.Text = r.get("caption")
	}
	m.Markup, m.Edited = markup(r), true
	a.bump()
	return a.message(chat, *m)
}

// find is a chat's message (with a.mu held), nil when there is none.
func (a *API) find(chat int64, id int) *Message {
	for i := range a.chats[chat] {
		if m := &a.chats[chat][i]; m.ID == id {
			return m
		}
	}
	return nil
}

// answerQuery marks a callback query answered and shows its text.
func (a *API) answerQuery(r *request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queries[r.get("callback_query_id")] = true
	if text := r.get("text"); text != "" {
		if chat, ok := queryChat(r.get("callback_query_id")); ok {
			a.toast(chat, text)
		}
	}
}

// queryChat finds the chat of a callback query id the stand-in issued
// ("cb<chat>:<n>").
func queryChat(id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "cb")
	if !ok {
		return 0, false
	}
	chat, _, _ := strings.Cut(rest, ":")
	v, err := strconv.ParseInt(chat, 10, 64)
	return v, err == nil
}

// toast shows a line from Telegram in a chat (with a.mu held).
func (a *API) toast(chat int64, text string) {
	a.chats[chat] = append(a.chats[chat], Message{From: "toast", Text: text, At: time.Now().Unix()})
	a.bump()
}

// poll answers getUpdates: the queued updates at or after the offset, as
// soon as there is one, or none after wait. What the bot confirmed (below
// the offset) is forgotten, as Telegram forgets it.
func (a *API) poll(r *request, wait time.Duration) ([]map[string]any, bool) {
	offset, _ := strconv.Atoi(r.get("offset"))
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		a.confirm(offset)
		out := append([]map[string]any{}, a.updates...)
		changed := a.changed
		a.mu.Unlock()
		if len(out) > 0 {
			return out, true
		}
		select {
		case <-r.http.Context().Done():
			return nil, false
		case <-deadline.C:
			return out, true
		case <-changed:
		}
	}
}

// confirm forgets the updates below offset (with a.mu held).
func (a *API) confirm(offset int) {
	kept := a.updates[:0]
	for _, u := range a.updates {
		if u["update_id"].(int) >= offset {
			kept = append(kept, u)
		}
	}
	clear(a.updates[len(kept):])
	a.updates = kept
}

// SetReply replaces Reply while the bot runs.
func (a *API) SetReply(fn func(c Call) map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Reply = fn
}

// Block makes chat a user who blocked the bot (403 to every send), or
// unblocks them.
func (a *API) Block(chat int64, blocked bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.blocked[chat] = blocked
}

// Push queues an update for getUpdates (or the webhook); it gets the next
// update_id.
func (a *API) Push(u map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queue(u)
}

// queue adds an update (with a.mu held).
func (a *API) queue(u map[string]any) {
	a.nextUpd++
	u["update_id"] = a.nextUpd
	a.adopt(u)
	a.updates = append(a.updates, u)
	a.bump()
	a.deliver()
}

// Delivered tells the stand-in about an update a test handed the bot
// itself (to its webhook handler, or by a scripted getUpdates): its
// callback query may be answered once, and the message it names exists in
// its chat, as it would had Telegram sent it.
func (a *API) Delivered(u map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.adopt(u)
}

// adopt registers what an update says exists (with a.mu held): a callback
// query to answer, the message it was pressed on, a pre-checkout query to
// answer, a payment (and its subscription) to refund or edit.
func (a *API) adopt(u map[string]any) {
	if q, ok := u["pre_checkout_query"].(map[string]any); ok {
		a.adoptPreCheckout(q)
	}
	if m, ok := u["message"].(map[string]any); ok {
		a.adoptPayment(m)
	}
	q, ok := u["callback_query"].(map[string]any)
	if !ok {
		return
	}
	id, _ := q["id"].(string)
	if _, seen := a.queries[id]; !seen {
		a.queries[id] = false
	}
	m, _ := q["message"].(map[string]any)
	chatObj, _ := m["chat"].(map[string]any)
	chat, okc := number(chatObj["id"])
	msgID, okm := number(m["message_id"])
	if !okc || !okm || a.find(chat, int(msgID)) != nil {
		return
	}
	text, _ := m["text"].(string)
	a.chats[chat] = append(a.chats[chat], Message{ID: int(msgID), From: "bot", Text: text, At: time.Now().Unix()})
}

func number(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// User registers a Telegram user (what Telegram knows of them, the from
// of their updates).
func (a *API) User(id int64, first, lang string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[id] = map[string]any{"id": id, "is_bot": false, "first_name": first, "language_code": lang}
}

// from is a user as updates carry them (with a.mu held).
func (a *API) from(id int64) map[string]any {
	if u, ok := a.users[id]; ok {
		return u
	}
	return map[string]any{"id": id, "is_bot": false, "first_name": "U", "language_code": "en"}
}

// Command queues a user's command in their private chat.
func (a *API) Command(user int64, text string) { a.Typed(user, text) }

// Typed is a user's message in their private chat: shown in the chat, and
// queued for the bot (a command with its bot_command entity).
func (a *API) Typed(user int64, text string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := Message{ID: a.nextID, From: "user", Text: text, At: time.Now().Unix()}
	a.nextID++
	a.chats[user] = append(a.chats[user], m)
	msg := map[string]any{"message_id": m.ID, "date": m.At, "chat": map[string]any{"id": user, "type": "private"},
		"from": a.from(user), "text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": utf16Len(cmd)}}
	}
	a.queue(map[string]any{"message": msg})
}

// Pressed is a tap on an inline button of a bot message.
func (a *API) Pressed(user int64, msgID int, data string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var text string
	if m := a.find(user, msgID); m != nil {
		text = m.Text
	}
	a.queue(map[string]any{"callback_query": map[string]any{
		"id": "cb" + strconv.FormatInt(user, 10) + ":" + strconv.Itoa(a.nextUpd+1), "from": a.from(user), "chat_instance": "c" + strconv.FormatInt(user, 10),
		"data": data, "message": map[string]any{"message_id": msgID, "date": time.Now().Unix(),
			"chat": map[string]any{"id": user, "type": "private"}, "text": text}}})
}

// Transcript returns a chat's messages once the version moved past since
// (waiting up to wait for a change); the version it returns is the next
// since.
func (a *API) Transcript(ctx context.Context, user, since int64, wait time.Duration) (int64, []Message) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		v, ch := a.version, a.changed
		if v != since {
			out := append([]Message{}, a.chats[user]...)
			a.mu.Unlock()
			return v, out
		}
		a.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return since, nil
		case <-ctx.Done():
			return since, nil
		}
	}
}

// Sent are the calls of a method, to one chat unless chat is 0.
func (a *API) Sent(method string, chat int64) []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Call
	for _, c := range a.calls {
		if c.Method == method && (chat == 0 || c.Form.Get("chat_id") == strconv.FormatInt(chat, 10)) {
			out = append(out, c)
		}
	}
	return out
}

// Texts are the texts (and captions) of the messages sent to a chat, and of
// their edits, in order.
func (a *API) Texts(chat int64) []string {
	var out []string
	for _, c := range a.Chat(chat) {
		switch c.Method {
		case "sendMessage", "sendPhoto", "editMessageText":
			out = append(out, c.Form.Get("text")+c.Form.Get("caption"))
		}
	}
	return out
}

// Chat are the calls addressed to a chat (by chat_id), of any method, in
// order.
func (a *API) Chat(chat int64) []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Call
	for _, c := range a.calls {
		if c.Form.Get("chat_id") == strconv.FormatInt(chat, 10) {
			out = append(out, c)
		}
	}
	return out
}
