package botapi

import (
	"math"
	"time"
)

// Limits are Telegram's send rates: about one message a second in a chat
// (a short burst passes) and about 30 a second overall. A send over them
// is answered 429 with the seconds to wait in retry_after, and is not
// delivered.
type Limits struct {
	ChatInterval time.Duration // sustained: one message per ChatInterval in a chat
	ChatBurst    int           // messages a quiet chat may take at once (at least 1)
	Global       int           // messages a second over all chats (0: no limit)
}

// TelegramLimits are the documented rates.
var TelegramLimits = Limits{ChatInterval: time.Second, ChatBurst: 1, Global: 30}

// rates is what the limits have counted (guarded by API.mu).
type rates struct {
	chats  map[int64]*bucket
	recent []time.Time // sends of the last second
}

type bucket struct {
	tokens float64
	at     time.Time
}

// limited answers how many seconds a send to chat must wait, 0 when it
// may go now (and then counts it); with a.mu held.
func (a *API) limited(chat int64, now time.Time) int {
	l := a.o.Limits
	if l == nil {
		return 0
	}
	r := &a.rates
	if r.chats == nil {
		r.chats = map[int64]*bucket{}
	}
	burst := float64(max(l.ChatBurst, 1))
	b := r.chats[chat]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		r.chats[chat] = b
	}
	if l.ChatInterval > 0 {
		b.tokens = min(burst, b.tokens+float64(now.Sub(b.at))/float64(l.ChatInterval))
	}
	b.at = now
	kept := r.recent[:0]
	for _, t := range r.recent {
		if now.Sub(t) < time.Second {
			kept = append(kept, t)
		}
	}
	r.recent = kept
	switch {
	case l.ChatInterval > 0 && b.tokens < 1:
		return max(1, int(math.Ceil((1-b.tokens)*l.ChatInterval.Seconds())))
	case l.Global > 0 && len(r.recent) >= l.Global:
		return 1
	}
	b.tokens--
	r.recent = append(r.recent, now)
	return 0
}
