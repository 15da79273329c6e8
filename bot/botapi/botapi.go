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
// blocked the bot, getUpdates while a webhook is set, two getUpdates at
// once (the older one gets 409 Conflict, Conflicts counts them). It keeps each chat as
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

	mu        sync.Mutex
	calls     []Call
	chats     map[int64][]Message
	version   int64         // changes with every change to any chat or the update queue
	changed   chan struct{} // closed and replaced on every change
	updates   []map[string]any
	nextUpd   int
	nextID    int                      // message ids
	users     map[int64]map[string]any // Telegram users by id
	blocked   map[int64]bool           // chats that blocked the bot
	queries   map[string]bool          // callback query id → answered
	hook      webhook                  // webhook.go
	stars     starsState               // stars.go
	delivery  bool                     // a webhook delivery loop runs
	poller    chan struct{}            // closed to end the waiting getUpdates (a newer one came)
	conflicts int                      // getUpdates ended by a newer one
	rates     rates                    // limits.go
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
		updates, refusal, ok := a.poll(r, wait)
		if !ok {
			return nil, true
		}
		if refusal != nil {
			return refusal, false
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
