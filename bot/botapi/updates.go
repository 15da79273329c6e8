package botapi

// Updates: the queue getUpdates long-polls (and the webhook is sent),
// what users do that fills it, and what an update a test delivered itself
// says exists.

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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

// Conflict is Telegram's answer to a getUpdates that a newer one cut
// short: two bot instances polling at once.
func Conflict() map[string]any {
	return Error(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
}

// Conflicts is how many getUpdates another one cut short (answered
// Conflict): how often two bot instances polled at once.
func (a *API) Conflicts() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.conflicts
}

// poll answers getUpdates: the queued updates at or after the offset, as
// soon as there is one, or none after wait. What the bot confirmed (below
// the offset) is forgotten, as Telegram forgets it. One getUpdates waits at
// a time, as on Telegram: a newer one ends the waiting one with Conflict
// (refusal); ok is false when the caller hung up.
func (a *API) poll(r *request, wait time.Duration) (updates []map[string]any, refusal map[string]any, ok bool) {
	offset, _ := strconv.Atoi(r.get("offset"))
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	cut := make(chan struct{})
	a.mu.Lock()
	if a.poller != nil {
		close(a.poller)
		a.conflicts++
	}
	a.poller = cut
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if a.poller == cut {
			a.poller = nil
		}
		a.mu.Unlock()
	}()
	for {
		a.mu.Lock()
		a.confirm(offset)
		out := append([]map[string]any{}, a.updates...)
		changed := a.changed
		a.mu.Unlock()
		if len(out) > 0 {
			return out, nil, true
		}
		select {
		case <-r.http.Context().Done():
			return nil, nil, false
		case <-cut:
			return nil, Conflict(), true
		case <-deadline.C:
			return out, nil, true
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
