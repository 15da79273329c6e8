package bot

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/bot/botapi"
)

// Long polling moves with the leader's lease: a node that steps down ends
// RunUpdates and the next leader polls. A user's update the old leader had
// already taken from Telegram (its next getUpdates confirmed it) but not yet
// handled must still be answered, by the node that leads next, not be lost
// with the old leader's queue (nor handled by it whenever it leads again).
func TestLongPollingHandoverLosesNoUpdate(t *testing.T) {
	r := newRig(t, func(c *Config) { c.Workers = 1 })
	const slow, waiting = 2001, 2002
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	r.api.Reply = func(c botapi.Call) map[string]any {
		if c.Method == "sendMessage" && c.Form.Get("chat_id") == strconv.Itoa(slow) {
			<-release // the old leader's one worker is busy with this update
		}
		return nil
	}
	push := func(id int64) {
		r.api.Push(map[string]any{"message": map[string]any{"message_id": id, "date": time.Now().Unix(),
			"chat": map[string]any{"id": id, "type": "private"}, "from": from(id, "en"), "text": "/balance"}})
	}
	a, err := New(r.cfg, r.db, fixedStatus{})
	if err != nil {
		t.Fatal(err)
	}
	actx, stepDown := context.WithCancel(context.Background())
	aDone := make(chan error, 1)
	go func() { aDone <- a.RunUpdates(actx) }()
	push(slow)
	waitUntil(t, 5*time.Second, "the slow update in hand", func() bool { return len(r.api.Sent("sendMessage", slow)) == 1 })
	push(waiting)
	// A poller that polls on while its worker is busy (go-telegram/bot's
	// own) takes the waiting update now and confirms it with its next
	// getUpdates; ours asks for nothing more until its batch is handled.
	// Either has a second to do so.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		confirmed := false
		for _, c := range r.api.Sent("getUpdates", 0) {
			if n, _ := strconv.Atoi(c.Form.Get("offset")); n > 2 {
				confirmed = true
			}
		}
		if confirmed {
			break
		}
	}
	// The lease is lost: the old leader stops.
	stepDown()
	once.Do(func() { close(release) })
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	// The next leader polls.
	b, err := New(r.cfg, r.db, fixedStatus{})
	if err != nil {
		t.Fatal(err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	bDone := make(chan error, 1)
	go func() { bDone <- b.RunUpdates(bctx) }()
	defer func() { cancel(); <-bDone }()
	// It takes what arrives from now on.
	const later = 2003
	push(later)
	waitUntil(t, 5*time.Second, "the new leader answers a new update", func() bool { return len(r.api.Sent("sendMessage", later)) == 1 })
	waitUntil(t, 5*time.Second, "the waiting update answered", func() bool { return len(r.api.Sent("sendMessage", waiting)) > 0 })
	// Each answered once: the old leader confirmed the batch it handled
	// before it stopped, so the next does not handle it again.
	for _, u := range []int64{slow, waiting, later} {
		if n := len(r.api.Sent("sendMessage", u)); n != 1 {
			t.Fatalf("user %d answered %d times, want 1", u, n)
		}
	}
}
