package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// The recorded updates (testdata/subscription_updates.json): the first
// payment of Vera's pro subscription, then canceled, active (re-enabled),
// failed, and one for an invoice that is not ours.
const vera = 1207

var veraEnds = stamp(time.Unix(4102444800, 0))

func recordedUpdates(t *testing.T) (payment, canceled, restored, failed, foreign []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/subscription_updates.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Updates []json.RawMessage `json:"updates"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || len(rec.Updates) != 5 {
		t.Fatalf("recorded updates: %d, %v", len(rec.Updates), err)
	}
	u := rec.Updates
	return u[0], u[1], u[2], u[3], u[4]
}

// batches scripts getUpdates: each call answers the next batch, as given
// (a batch may repeat an update, as Telegram does when the offset that
// confirms it never reached it), then nothing.
type batches struct {
	mu   sync.Mutex
	next [][]json.RawMessage
}

func (q *batches) push(us ...[]byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var b []json.RawMessage
	for _, u := range us {
		b = append(b, u)
	}
	q.next = append(q.next, b)
}

func (q *batches) reply(c call) map[string]any {
	if c.Method != "getUpdates" {
		return starsReplies(c)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := []json.RawMessage{}
	if len(q.next) > 0 {
		out, q.next = q.next[0], q.next[1:]
	}
	return ok(out)
}

// subsMessage is a /subscriptions message from Vera (update id after the
// recorded ones).
func subsMessage(id int) []byte {
	b, _ := json.Marshal(map[string]any{"update_id": id, "message": map[string]any{"message_id": id, "date": time.Now().Unix(),
		"chat": map[string]any{"id": vera, "type": "private"}, "from": from(vera, "en"), "text": "/subscriptions",
		"entities": []any{map[string]any{"type": "bot_command", "offset": 0, "length": 14}}}})
	return b
}

func TestSubscriptionUpdatesOverLongPolling(t *testing.T) {
	t.Parallel()
	r := newRig(t, starsPackages, func(c *Config) { c.Workers = 1; c.StarsReconcileEvery = -1 })
	payment, canceled, restored, failed, foreign := recordedUpdates(t)
	q := &batches{}
	q.push(payment, canceled)
	q.push(canceled, restored, failed, foreign, subsMessage(871234506)) // the cancel delivered again
	r.api.SetReply(q.reply)
	r.start()

	waitUntil(t, 10*time.Second, "/subscriptions answered", func() bool {
		return len(texts(r, vera, "Your subscriptions")) == 1
	})
	waitUntil(t, 10*time.Second, "outbox drained", func() bool { return r.pending() == 0 })

	// Asked for: getUpdates names subscription in allowed_updates.
	polls := r.api.Sent("getUpdates", 0)
	if len(polls) == 0 || !strings.Contains(polls[0].Form.Get("allowed_updates"), `"subscription"`) {
		t.Fatalf("getUpdates allowed_updates %q", polls[0].Form.Get("allowed_updates"))
	}
	// Told once each, the redelivered cancel too; nothing for the foreign one.
	for _, s := range []string{"Payment received", "is canceled", "active again", "could not renew"} {
		if n := texts(r, vera, s); len(n) != 1 {
			t.Fatalf("%d notices with %q: %q", len(n), s, texts(r, vera, ""))
		}
	}
	if n := len(r.api.Sent("sendMessage", vera)); n != 5 {
		t.Fatalf("%d messages to the user, want 4 notices and the listing: %q", n, texts(r, vera, ""))
	}
	if txt := texts(r, vera, "could not renew")[0]; !strings.Contains(txt, "No new credits after "+veraEnds) {
		t.Fatalf("failure notice %q", txt)
	}
	// Stored: the renewal failed; the paid month's credits stay.
	ctx := context.Background()
	sub, err := r.db.StarSubscription(ctx, vera, "pro")
	if err != nil || sub.Status(r.db.Now()) != store.SubPaymentFailed || sub.Canceled {
		t.Fatalf("subscription %+v %v", sub, err)
	}
	if b, _ := r.db.Balance(ctx, store.UserAccount(vera), "CREDITS"); b != 1000 {
		t.Fatalf("credits %d, want the 1000 paid for", b)
	}
	if b, _ := r.db.Balance(ctx, store.AccountStarsRevenue, "XTR"); b != 500 {
		t.Fatalf("Stars revenue %d", b)
	}
	// Shown: the listing says so and offers no cancel for a failed renewal.
	var list call
	for _, m := range r.api.Sent("sendMessage", vera) {
		if strings.Contains(m.Form.Get("text"), "Your subscriptions") {
			list = m
		}
	}
	if !strings.Contains(list.Form.Get("text"), "the renewal payment failed, credits stop on "+veraEnds) || strings.Contains(list.Form.Get("reply_markup"), "sc:pro") {
		t.Fatalf("/subscriptions %q %s", list.Form.Get("text"), list.Form.Get("reply_markup"))
	}
	storetest.Audit(t, r.db)
}

func texts(r *rig, chat int64, s string) []string {
	var out []string
	for _, m := range r.api.Sent("sendMessage", chat) {
		if strings.Contains(m.Form.Get("text"), s) {
			out = append(out, m.Form.Get("text"))
		}
	}
	return out
}

// postRaw posts a recorded update to the webhook as it is.
func (c *chatter) postRaw(body []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("webhook answered %d", res.StatusCode)
	}
}

func TestSubscriptionUpdatesOverTheWebhook(t *testing.T) {
	t.Parallel()
	c := starsChatter(t)
	c.r.api.SetReply(starsReplies)
	payment, canceled, restored, failed, foreign := recordedUpdates(t)
	ctx := context.Background()
	status := func() string {
		t.Helper()
		s, err := c.r.db.StarSubscription(ctx, vera, "pro")
		if err != nil {
			t.Fatal(err)
		}
		return s.Status(c.r.db.Now())
	}
	listing := func() call {
		t.Helper()
		return c.say(vera, "en", "/subscriptions", "sendMessage")
	}

	c.postRaw(payment)
	c.postRaw(canceled)
	c.postRaw(canceled) // delivered again
	c.settle(vera)
	if st := status(); st != store.SubCanceled {
		t.Fatalf("after cancel: %s", st)
	}
	if n := c.texts(vera, "is canceled"); len(n) != 1 || !strings.Contains(n[0], "runs to "+veraEnds) {
		t.Fatalf("cancel notices %q", n)
	}
	if l := listing(); !strings.Contains(l.Form.Get("text"), "canceled, ends on "+veraEnds) || !strings.Contains(l.Form.Get("reply_markup"), "su:pro") {
		t.Fatalf("canceled listing %q %s", l.Form.Get("text"), l.Form.Get("reply_markup"))
	}

	c.postRaw(restored)
	c.settle(vera)
	if st := status(); st != store.SubActive || len(c.texts(vera, "active again")) != 1 {
		t.Fatalf("after restore: %s %q", st, c.texts(vera, ""))
	}
	if l := listing(); !strings.Contains(l.Form.Get("text"), "renews on "+veraEnds) || !strings.Contains(l.Form.Get("reply_markup"), "sc:pro") {
		t.Fatalf("restored listing %q %s", l.Form.Get("text"), l.Form.Get("reply_markup"))
	}

	c.postRaw(failed)
	c.postRaw(foreign)
	c.postRaw(failed)
	c.settle(vera)
	if st := status(); st != store.SubPaymentFailed || len(c.texts(vera, "could not renew")) != 1 {
		t.Fatalf("after the failed renewal: %s %q", st, c.texts(vera, ""))
	}
	if l := listing(); !strings.Contains(l.Form.Get("text"), "renewal payment failed") {
		t.Fatalf("failed listing %q", l.Form.Get("text"))
	}
	if b := c.balance(store.UserAccount(vera), "CREDITS"); b != 1000 {
		t.Fatalf("credits %d, want the 1000 paid for", b)
	}
	// No call to Telegram was made for what Telegram itself reported.
	if n := len(c.r.api.Sent("editUserStarSubscription", 0)); n != 0 {
		t.Fatalf("%d editUserStarSubscription calls", n)
	}
	if sw := c.r.api.Sent("setWebhook", 0); len(sw) != 1 || !strings.Contains(sw[0].Form.Get("allowed_updates"), `"subscription"`) {
		t.Fatalf("setWebhook allowed_updates %+v", sw)
	}
	c.audit()
}
