package botapi

// Chats as a Telegram app shows them: the bot's messages, their edits,
// what Telegram itself says in a chat.

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

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
