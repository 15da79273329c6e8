// Package bottest is the tests' one fake Telegram Bot API: an httptest
// server that parses the forms the real library sends (urlencoded or
// multipart), records every call, answers as Telegram would, and hands the
// bot queued updates through getUpdates.
package bottest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one Bot API request the fake received.
type Call struct {
	Method string
	Form   url.Values
	At     time.Time
}

// Username is the bot's username getMe answers.
const Username = "tonpay_bot"

// PollWait is how long getUpdates waits for an update before it answers
// with none (Telegram's long poll, short).
const PollWait = 200 * time.Millisecond

// API is a fake Bot API. Reply, when set, may answer a call in place of the
// default (return nil for the default); set it before the bot starts, or
// through SetReply once it runs.
type API struct {
	*httptest.Server
	Reply func(c Call) map[string]any

	mu      sync.Mutex
	calls   []Call
	updates []map[string]any
	changed chan struct{} // closed and replaced when an update is queued
}

// New starts a fake Bot API, closed when the test ends.
func New(t testing.TB) *API {
	a := &API{changed: make(chan struct{})}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		_ = r.ParseMultipartForm(8 << 20) // calls without parameters send an empty body
	} else {
		_ = r.ParseForm()
	}
	form := url.Values{}
	if r.MultipartForm != nil {
		for k, v := range r.MultipartForm.Value {
			form[k] = v
		}
		for k := range r.MultipartForm.File {
			form.Set(k, "<file>")
		}
	} else {
		form = r.Form
	}
	c := Call{Method: method, Form: form, At: time.Now()}
	a.mu.Lock()
	a.calls = append(a.calls, c)
	n := len(a.calls)
	reply := a.Reply
	a.mu.Unlock()
	wait := PollWait
	if method == "getUpdates" && reply != nil {
		// A scripted getUpdates answers after the poll's wait, as Telegram
		// does when nothing is queued.
		if !a.waitUpdate(r, wait) {
			return
		}
		wait = 0
	}
	var out map[string]any
	if reply != nil {
		out = reply(c)
	}
	if out == nil {
		var result any = true
		switch method {
		case "getMe":
			result = map[string]any{"id": 123456, "is_bot": true, "first_name": "tonpay", "username": Username}
		case "getUpdates":
			updates, ok := a.poll(r, c, wait)
			if !ok {
				return // the bot hung up
			}
			result = updates
		case "sendMessage", "sendPhoto", "editMessageText":
			chat, _ := strconv.ParseInt(c.Form.Get("chat_id"), 10, 64)
			result = map[string]any{"message_id": n, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}}
		}
		out = map[string]any{"ok": true, "result": result}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// waitUpdate waits until an update is pushed or d passes; false when the
// bot hung up.
func (a *API) waitUpdate(r *http.Request, d time.Duration) bool {
	a.mu.Lock()
	changed := a.changed
	a.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-timer.C:
	case <-changed:
	}
	return true
}

// poll answers getUpdates: the queued updates at or after the offset, as
// soon as there is one, or none after wait.
func (a *API) poll(r *http.Request, c Call, wait time.Duration) ([]map[string]any, bool) {
	offset, _ := strconv.Atoi(c.Form.Get("offset"))
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		out := []map[string]any{}
		for _, u := range a.updates {
			if u["update_id"].(int) >= offset {
				out = append(out, u)
			}
		}
		changed := a.changed
		a.mu.Unlock()
		if len(out) > 0 {
			return out, true
		}
		select {
		case <-r.Context().Done():
			return nil, false
		case <-deadline.C:
			return out, true
		case <-changed:
		}
	}
}

// SetReply replaces Reply while the bot runs.
func (a *API) SetReply(fn func(c Call) map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Reply = fn
}

// Push queues an update for getUpdates; it gets the next update_id.
func (a *API) Push(u map[string]any) {
	a.push(func(int) map[string]any { return u })
}

// push queues the update build makes for the next update_id.
func (a *API) push(build func(id int) map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	id := len(a.updates) + 1
	u := build(id)
	u["update_id"] = id
	a.updates = append(a.updates, u)
	close(a.changed)
	a.changed = make(chan struct{})
}

// Command queues a user's command in their private chat.
func (a *API) Command(userID int64, text string) {
	a.push(func(id int) map[string]any {
		return map[string]any{"message": map[string]any{
			"message_id": id, "date": time.Now().Unix(), "text": text,
			"chat":     map[string]any{"id": userID, "type": "private"},
			"from":     map[string]any{"id": userID, "is_bot": false, "first_name": "U", "language_code": "en"},
			"entities": []map[string]any{{"type": "bot_command", "offset": 0, "length": len(text)}},
		}}
	})
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
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, c := range a.calls {
		switch c.Method {
		case "sendMessage", "sendPhoto", "editMessageText":
			if c.Form.Get("chat_id") == strconv.FormatInt(chat, 10) {
				out = append(out, c.Form.Get("text")+c.Form.Get("caption"))
			}
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
