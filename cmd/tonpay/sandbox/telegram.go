package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tgStandIn is the sandbox's Bot API: it answers what the bot calls over
// real HTTP (the go-telegram/bot library cannot tell it from Telegram),
// keeps each chat as Telegram would show it, and turns what a user types
// or taps in the chat panel into updates for getUpdates.
type tgStandIn struct {
	srv  *http.Server
	url  string
	name string // the bot's username

	mu      sync.Mutex
	chats   map[int64][]chatMsg
	version int64         // changes with every change to any chat
	changed chan struct{} // closed and replaced on every change
	updates []map[string]any
	nextID  int // message ids
	nextUpd int
	users   map[int64]map[string]any // Telegram users by id
	stars   starsState               // invoices, payments, subscriptions (stars.go)
}

// chatMsg is one message of a chat as the panel shows it.
type chatMsg struct {
	ID     int             `json:"id"`
	From   string          `json:"from"` // "bot", "user" or "toast" (an answered callback)
	Text   string          `json:"text"`
	HTML   bool            `json:"html"`
	Photo  string          `json:"photo,omitempty"` // data: URL
	Markup json.RawMessage `json:"markup,omitempty"`
	Edited bool            `json:"edited,omitempty"`
	At     int64           `json:"at"`
}

func newTGStandIn(name string) *tgStandIn {
	return &tgStandIn{name: name, chats: map[int64][]chatMsg{}, changed: make(chan struct{}), users: map[int64]map[string]any{}, nextID: 1}
}

// start listens on a free loopback port.
func (t *tgStandIn) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	t.url = "http://" + ln.Addr().String()
	t.srv = &http.Server{Handler: http.HandlerFunc(t.serve), ReadHeaderTimeout: 5 * time.Second}
	go t.srv.Serve(ln)
	return nil
}

// Run stops the stand-in when ctx ends.
func (t *tgStandIn) Run(ctx context.Context) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return t.srv.Shutdown(sctx)
}

// bump records a change (with t.mu held).
func (t *tgStandIn) bump() {
	t.version++
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *tgStandIn) serve(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		_ = r.ParseMultipartForm(8 << 20)
	} else {
		_ = r.ParseForm()
	}
	w.Header().Set("Content-Type", "application/json")
	if result, refusal, ok := t.starsMethod(method, r); ok {
		if refusal != "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": http.StatusBadRequest, "description": refusal})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
		return
	}
	var result any = true
	switch method {
	case "getMe":
		result = map[string]any{"id": 7000000001, "is_bot": true, "first_name": "tonpay sandbox", "username": t.name,
			"can_join_groups": false, "supports_inline_queries": false}
	case "getUpdates":
		result = t.getUpdates(r)
	case "sendMessage":
		result = t.say(r, chatMsg{Text: r.FormValue("text"), HTML: r.FormValue("parse_mode") == "HTML", Markup: markup(r)})
	case "sendPhoto":
		m := chatMsg{Text: r.FormValue("caption"), HTML: r.FormValue("parse_mode") == "HTML", Markup: markup(r)}
		if f, _, err := r.FormFile("photo"); err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			m.Photo = "data:image/png;base64," + base64.StdEncoding.EncodeToString(b)
		}
		result = t.say(r, m)
	case "editMessageText", "editMessageCaption", "editMessageReplyMarkup":
		result = t.edit(r, method)
	case "answerCallbackQuery":
		if text := r.FormValue("text"); text != "" {
			if chat, ok := t.callbackChat(r.FormValue("callback_query_id")); ok {
				t.mu.Lock()
				t.chats[chat] = append(t.chats[chat], chatMsg{From: "toast", Text: text, At: time.Now().Unix()})
				t.bump()
				t.mu.Unlock()
			}
		}
	case "getWebhookInfo":
		result = map[string]any{"url": "", "pending_update_count": 0}
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func markup(r *http.Request) json.RawMessage {
	if m := r.FormValue("reply_markup"); m != "" && json.Valid([]byte(m)) {
		return json.RawMessage(m)
	}
	return nil
}

// say appends a bot message to a chat and answers it as Telegram would.
func (t *tgStandIn) say(r *http.Request, m chatMsg) any {
	chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	t.mu.Lock()
	defer t.mu.Unlock()
	m.ID, m.From, m.At = t.nextID, "bot", time.Now().Unix()
	t.nextID++
	t.chats[chat] = append(t.chats[chat], m)
	t.bump()
	return t.message(chat, m)
}

func (t *tgStandIn) message(chat int64, m chatMsg) map[string]any {
	return map[string]any{"message_id": m.ID, "date": m.At, "chat": map[string]any{"id": chat, "type": "private"},
		"from": map[string]any{"id": 7000000001, "is_bot": true, "first_name": "tonpay sandbox"}, "text": m.Text}
}

func (t *tgStandIn) edit(r *http.Request, method string) any {
	chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	id, _ := strconv.Atoi(r.FormValue("message_id"))
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.chats[chat] {
		m := &t.chats[chat][i]
		if m.ID != id || m.From != "bot" {
			continue
		}
		switch method {
		case "editMessageText":
			m.Text, m.HTML = r.FormValue("text"), r.FormValue("parse_mode") == "HTML"
		case "editMessageCaption":
			m.Text = r.FormValue("caption")
		}
		m.Markup, m.Edited = markup(r), true
		t.bump()
		return t.message(chat, *m)
	}
	return true
}

// callbackChat finds the chat of a callback query id ("cb<chat>:<n>").
func (t *tgStandIn) callbackChat(id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "cb")
	if !ok {
		return 0, false
	}
	chat, _, _ := strings.Cut(rest, ":")
	v, err := strconv.ParseInt(chat, 10, 64)
	return v, err == nil
}

// getUpdates long-polls the queue, as Telegram does; what the bot
// confirmed (below offset) is forgotten.
func (t *tgStandIn) getUpdates(r *http.Request) any {
	offset, _ := strconv.Atoi(r.FormValue("offset"))
	timeout, _ := strconv.Atoi(r.FormValue("timeout"))
	deadline := time.Now().Add(time.Duration(min(max(timeout, 0), 10)) * time.Second)
	for {
		t.mu.Lock()
		kept := t.updates[:0]
		for _, u := range t.updates {
			if u["update_id"].(int) >= offset {
				kept = append(kept, u)
			}
		}
		t.updates = kept
		out := append([]map[string]any{}, kept...)
		wait := t.changed
		t.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		select {
		case <-wait:
		case <-r.Context().Done():
			return []map[string]any{}
		case <-time.After(time.Until(deadline)):
		}
	}
}

// user registers a demo user (what Telegram knows of them).
func (t *tgStandIn) user(id int64, first, lang string) {
	t.mu.Lock()
	t.users[id] = map[string]any{"id": id, "is_bot": false, "first_name": first, "language_code": lang}
	t.mu.Unlock()
}

// typed is a user's message in the chat panel: shown, and queued for the bot.
func (t *tgStandIn) typed(user int64, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := chatMsg{ID: t.nextID, From: "user", Text: text, At: time.Now().Unix()}
	t.nextID++
	t.chats[user] = append(t.chats[user], m)
	msg := map[string]any{"message_id": m.ID, "date": m.At, "chat": map[string]any{"id": user, "type": "private"},
		"from": t.users[user], "text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": len(cmd)}}
	}
	t.queue(map[string]any{"message": msg})
}

// pressed is a tap on an inline button of a bot message.
func (t *tgStandIn) pressed(user int64, msgID int, data string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var text string
	for _, m := range t.chats[user] {
		if m.ID == msgID {
			text = m.Text
		}
	}
	t.queue(map[string]any{"callback_query": map[string]any{
		"id": "cb" + strconv.FormatInt(user, 10) + ":" + strconv.Itoa(t.nextUpd+1), "from": t.users[user], "chat_instance": "sandbox",
		"data": data, "message": map[string]any{"message_id": msgID, "date": time.Now().Unix(),
			"chat": map[string]any{"id": user, "type": "private"}, "text": text}}})
}

// queue adds an update (with t.mu held).
func (t *tgStandIn) queue(u map[string]any) {
	t.nextUpd++
	u["update_id"] = t.nextUpd
	t.updates = append(t.updates, u)
	t.bump()
}

// chat returns a chat's messages once the version moved past since
// (waiting up to wait for a change).
func (t *tgStandIn) chat(ctx context.Context, user int64, since int64, wait time.Duration) (int64, []chatMsg) {
	deadline := time.After(wait)
	for {
		t.mu.Lock()
		v, ch := t.version, t.changed
		if v != since {
			out := append([]chatMsg(nil), t.chats[user]...)
			t.mu.Unlock()
			return v, out
		}
		t.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return since, nil
		case <-ctx.Done():
			return since, nil
		}
	}
}
