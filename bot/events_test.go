package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// silentEvents are the bot-topic events the notifier consumes without a
// message, and why.
var silentEvents = map[store.EventType]string{}

// TestEveryProducedEventHasANotice: every event type the store and its
// callers put on the bot's topic is rendered by the notifier (in both
// languages) or listed as silent on purpose. An event type renamed on one
// side only fails here instead of silently dropping notifications.
func TestEveryProducedEventHasANotice(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b, err := New(r.cfg, r.db, fixedStatus{})
	if err != nil {
		t.Fatal(err)
	}
	produced := store.Produced(store.TopicBot)
	if len(produced) == 0 {
		t.Fatal("the store lists no bot events")
	}
	for _, typ := range produced {
		payload := `{}`
		if status, ok := strings.CutPrefix(string(typ), "withdrawal."); ok {
			payload = `{"status":"` + status + `"}`
		}
		for _, l := range []lang{en, ru} {
			text, _, ok, err := b.notice(context.Background(), l, store.Event{Type: typ, Payload: json.RawMessage(payload)})
			if err != nil {
				t.Errorf("%s (%s): %v", typ, l, err)
				continue
			}
			_, silent := silentEvents[typ]
			switch {
			case silent && ok:
				t.Errorf("%s is listed as silent but the notifier renders it: %q", typ, text)
			case !silent && (!ok || strings.TrimSpace(text) == ""):
				t.Errorf("%s (%s): no notice: the event is produced but nobody is told", typ, l)
			}
		}
	}
	for typ := range silentEvents {
		if !strings.Contains(strings.Join(eventStrings(produced), " "), string(typ)) {
			t.Errorf("%s is listed as silent but no longer produced", typ)
		}
	}
}

func eventStrings(ts []store.EventType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}
