package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/cmd/tonpay/sandbox"
)

// TestSandboxStars runs the sandbox and buys Stars packages there as a
// person would: /buy starter sends an invoice whose Pay button pays
// (pre-checkout approved by the bot, then the payment), /buy pro a
// subscription link; then the sandbox page plays what Telegram reports of
// the subscription (a failed renewal, a restore, a cancel, a renewal), and
// the chat and the Mini App API show each state.
func TestSandboxStars(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"DB_PATH": filepath.Join(dir, "ignored.db"), "HTTP_ADDR": addr}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("the sandbox did not stop")
		}
	}()
	waitFor(t, 10*time.Second, func() bool { return strings.Contains(stdout.String(), "open http://") })
	base := "http://" + addr

	call := func(method, path, auth string, body any, out any) int {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	type msg struct {
		ID     int             `json:"id"`
		From   string          `json:"from"`
		Text   string          `json:"text"`
		Markup json.RawMessage `json:"markup"`
	}
	chat := func() []msg {
		var c struct{ Messages []msg }
		call("GET", "/sandbox/api/chat?user=1001", "", nil, &c)
		return c.Messages
	}
	// waitChat waits for a bot message containing s and returns it.
	waitChat := func(s string) msg {
		t.Helper()
		var found msg
		waitFor(t, 10*time.Second, func() bool {
			for _, m := range chat() {
				if m.From == "bot" && strings.Contains(m.Text, s) {
					found = m
					return true
				}
			}
			return false
		})
		return found
	}
	count := func(s string) int {
		n := 0
		for _, m := range chat() {
			if m.From == "bot" && strings.Contains(m.Text, s) {
				n++
			}
		}
		return n
	}
	say := func(text string) {
		call("POST", "/sandbox/api/chat", "", map[string]any{"user": "1001", "text": text}, nil)
	}
	payLink := func(m msg) {
		t.Helper()
		var kb struct {
			InlineKeyboard [][]struct{ URL string } `json:"inline_keyboard"`
		}
		if json.Unmarshal(m.Markup, &kb) != nil || len(kb.InlineKeyboard) == 0 || !strings.HasPrefix(kb.InlineKeyboard[0][0].URL, "https://t.me/$") {
			t.Fatalf("no invoice link under %q: %s", m.Text, m.Markup)
		}
		var res struct{ Status string }
		if code := call("POST", "/sandbox/api/pay", "", map[string]any{"user": "1001", "link": kb.InlineKeyboard[0][0].URL}, &res); code != 200 || res.Status != "paid" {
			t.Fatalf("pay: %d %+v\n%s", code, res, stderr.String())
		}
	}
	auth := tma(t, sandbox.BotToken, 1001)
	type sub struct{ Package, Status, ExpiresAt string }
	subscription := func() sub {
		t.Helper()
		var r struct {
			Subscriptions []struct {
				Package   string `json:"package"`
				Status    string `json:"status"`
				ExpiresAt string `json:"expires_at"`
			} `json:"subscriptions"`
		}
		if code := call("GET", "/api/stars/subscriptions", auth, nil, &r); code != 200 || len(r.Subscriptions) != 1 {
			t.Fatalf("subscriptions: %d %+v", code, r)
		}
		s := r.Subscriptions[0]
		return sub{s.Package, s.Status, s.ExpiresAt}
	}
	waitStatus := func(want string) sub {
		t.Helper()
		var s sub
		waitFor(t, 10*time.Second, func() bool { s = subscription(); return s.Status == want })
		return s
	}
	event := func(ev string) int {
		return call("POST", "/sandbox/api/stars", "", map[string]any{"user": "1001", "event": ev}, nil)
	}

	// A one-off package: an invoice in the chat, paid with its button.
	say("/buy starter")
	payLink(waitChat("100 credits"))
	waitChat("Payment received")

	// A subscription: the link under the offer.
	if code := event("fail"); code != http.StatusConflict {
		t.Fatalf("an event with no subscription: %d", code)
	}
	say("/buy pro")
	payLink(waitChat("every month"))
	waitChat("Credits: <b>1100</b>")
	first := waitStatus("active")

	// What Telegram reports, and what each shows.
	for _, step := range []struct{ event, status, notice string }{
		{"fail", "payment_failed", "could not renew"},
		{"restore", "active", "active again"},
		{"cancel", "canceled", "is canceled"},
	} {
		if code := event(step.event); code != 200 {
			t.Fatalf("%s: %d", step.event, code)
		}
		waitStatus(step.status)
		waitChat(step.notice)
	}
	if code := event("renew"); code != http.StatusConflict {
		t.Fatalf("renewing a canceled subscription: %d", code)
	}
	event("restore")
	waitStatus("active")
	if code := event("renew"); code != 200 {
		t.Fatalf("renew: %d", code)
	}
	waitChat("Credits: <b>2100</b>")
	if s := subscription(); s.Status != "active" || s.ExpiresAt <= first.ExpiresAt {
		t.Fatalf("after the renewal %+v (before %+v)", s, first)
	}
	if n := count("active again"); n != 2 {
		t.Fatalf("%d restore notices, want 2", n)
	}
	say("/subscriptions")
	waitChat("renews on")
}
