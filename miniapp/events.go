package miniapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/store"
)

// streamBuffer is how many changes a stream may fall behind before it is
// dropped; the client then reconnects and reloads what it shows.
const streamBuffer = 64

// hub fans the store's committed changes out to the event streams of their
// users. Its listener runs on the committing goroutine, so it never blocks:
// a stream whose buffer is full is marked lost instead.
//
// A user holds at most max streams (the rule book's MaxStreams): a new one
// beyond it ends the oldest, which is told to come back later.
type hub struct {
	mu   sync.RWMutex
	subs map[int64]map[*stream]struct{}
	max  int // per user; 0: no bound
	seq  uint64
}

type stream struct {
	userID   int64
	seq      uint64 // order of subscription: the lowest is the oldest
	changes  chan store.Change
	lost     chan struct{} // closed when a change could not be queued
	once     sync.Once
	replaced chan struct{} // closed when a newer stream of the user took its place
}

// maxStreams is the rule book's bound on a user's streams.
func maxStreams(p *store.Policy) int {
	if p == nil {
		return store.DefaultMaxStreams
	}
	return p.MaxStreams()
}

func newHub(max int) *hub { return &hub{subs: map[int64]map[*stream]struct{}{}, max: max} }

// publish is the store listener.
func (h *hub) publish(c store.Change) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if c.Kind == store.ChangeResync {
		// Changes went unheard: every stream ends with "resync" and its
		// page reads what it shows afresh.
		for _, m := range h.subs {
			for st := range m {
				st.once.Do(func() { close(st.lost) })
			}
		}
		return
	}
	if c.UserID == 0 {
		return // merchant changes have no stream here
	}
	for st := range h.subs[c.UserID] {
		select {
		case st.changes <- c:
		default:
			st.once.Do(func() { close(st.lost) })
		}
	}
}

func (h *hub) subscribe(userID int64) *stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	st := &stream{userID: userID, seq: h.seq, changes: make(chan store.Change, streamBuffer), lost: make(chan struct{}),
		replaced: make(chan struct{})}
	m := h.subs[userID]
	if m == nil {
		m = map[*stream]struct{}{}
		h.subs[userID] = m
	}
	for h.max > 0 && len(m) >= h.max {
		var oldest *stream
		for o := range m {
			if oldest == nil || o.seq < oldest.seq {
				oldest = o
			}
		}
		delete(m, oldest) // no longer fed; its handler ends
		close(oldest.replaced)
	}
	m[st] = struct{}{}
	return st
}

// streams counts a user's open streams.
func (h *hub) streams(userID int64) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[userID])
}

func (h *hub) unsubscribe(st *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.subs[st.userID]; m != nil && hasStream(m, st) {
		delete(m, st)
		if len(m) == 0 {
			delete(h.subs, st.userID)
		}
	}
}

func hasStream(m map[*stream]struct{}, st *stream) bool {
	_, ok := m[st]
	return ok
}

// replacedRetry is how long a stream ended by a newer one of the same user
// asks its client to wait before reconnecting, so that more tabs than the
// bound take turns slowly instead of ending each other every few seconds.
const replacedRetry = 60 * time.Second

// events is GET /api/events: a Server-Sent Events stream of the user's
// invoice, balance and withdrawal changes as they commit, with a ":" ping
// every PingInterval. It ends when the client goes away, the server shuts
// down, or the stream falls behind or changes went unheard (then with
// "event: resync"; the page reconnects and reloads once).
func (s *Server) events(c echo.Context) error {
	u := user(c)
	st := s.hub.subscribe(u.ID)
	defer s.hub.unsubscribe(st)
	s.metrics.sseClients.Inc()
	defer s.metrics.sseClients.Dec()

	w := c.Response()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	ctx := c.Request().Context()
	var buf bytes.Buffer
	send := func() error {
		// A stalled client must not hold the handler forever.
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
		return rc.Flush()
	}
	buf.WriteString("retry: 2000\n\n")
	// The current balances first: whatever happened while the page was
	// not listening is reflected at once.
	if err := s.writeEvent(ctx, &buf, u.ID, store.Change{Kind: store.ChangeBalance, UserID: u.ID}); err != nil {
		return nil // the stream is open: errors end it rather than answer
	}
	if err := send(); err != nil {
		return nil
	}

	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return nil
		case <-st.replaced:
			s.metrics.sseReplaced.Inc()
			buf.WriteString("retry: " + strconv.Itoa(int(replacedRetry/time.Millisecond)) + "\n")
			buf.WriteString("event: replaced\ndata: {}\n\n")
			_ = send()
			return nil
		case <-st.lost:
			s.metrics.sseResyncs.Inc()
			buf.WriteString("event: resync\ndata: {}\n\n")
			_ = send()
			return nil
		case <-ping.C:
			buf.WriteString(":\n\n")
			if err := send(); err != nil {
				return nil
			}
		case first := <-st.changes:
			// Take whatever else is queued and send each thing once.
			batch := []store.Change{first}
		drain:
			for {
				select {
				case ch := <-st.changes:
					batch = append(batch, ch)
				default:
					break drain
				}
			}
			seen := map[store.Change]bool{}
			for _, ch := range batch {
				ch.MerchantID = 0
				if seen[ch] {
					continue
				}
				seen[ch] = true
				if ch.Kind == store.ChangeUser {
					// Blocked by an admin: the stream ends; reconnecting is refused.
					if cur, err := s.db.User(ctx, u.ID); err == nil && cur.Blocked {
						return nil
					}
					continue
				}
				if err := s.writeEvent(ctx, &buf, u.ID, ch); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					s.log.Warn("event stream: read change", "kind", ch.Kind, "id", ch.ID, "err", err)
				}
			}
			if buf.Len() > 0 {
				if err := send(); err != nil {
					return nil
				}
			}
		}
	}
}

// writeEvent appends the SSE frame for a change, read fresh from the store
// (changes carry ids only).
func (s *Server) writeEvent(ctx context.Context, buf *bytes.Buffer, userID int64, ch store.Change) error {
	var data any
	switch ch.Kind {
	case store.ChangeInvoice:
		// The user's top-up, or a merchant invoice they reported paying.
		inv, err := s.db.InvoiceForUser(ctx, userID, ch.ID)
		if err != nil {
			return err
		}
		out, err := s.payInvoiceJSON(ctx, inv)
		if err != nil {
			return err
		}
		data = map[string]any{"invoice": out}
	case store.ChangeBalance:
		bals, err := s.balances(ctx, userID)
		if err != nil {
			return err
		}
		data = map[string]any{"balances": bals}
	case store.ChangeWithdrawal:
		id, err := strconv.ParseInt(ch.ID, 10, 64)
		if err != nil {
			return err
		}
		wd, err := s.db.UserWithdrawal(ctx, userID, id)
		if err != nil {
			return err
		}
		data = map[string]any{"withdrawal": s.withdrawalJSON(wd)}
	case store.ChangePurchase:
		// A Stars payment booked or refunded (id: its charge id).
		p, err := s.db.StarPayment(ctx, ch.ID)
		if err != nil {
			return err
		}
		if p.UserID != userID {
			return store.ErrNotFound
		}
		data = map[string]any{"purchase": starPaymentOf(p)}
	case store.ChangeSubscription:
		sub, err := s.db.StarSubscription(ctx, userID, ch.ID)
		if err != nil {
			return err
		}
		data = map[string]any{"subscription": s.subscriptionOf(sub)}
	default:
		return errors.New("unknown change kind " + string(ch.Kind))
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	buf.WriteString("event: ")
	buf.WriteString(string(ch.Kind))
	buf.WriteString("\ndata: ")
	buf.Write(b) // JSON has no raw newlines
	buf.WriteString("\n\n")
	return nil
}
