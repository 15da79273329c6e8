package miniapp

import (
	"testing"

	"github.com/tonpay/tonpay/store"
)

// A user's streams beyond the bound end the oldest; other users' streams
// are untouched, and a replaced stream leaving takes nobody with it.
func TestHubBoundsAUsersStreams(t *testing.T) {
	h := newHub(3)
	var mine []*stream
	for range 5 {
		mine = append(mine, h.subscribe(1))
	}
	other := h.subscribe(2)
	if n := h.streams(1); n != 3 {
		t.Fatalf("user 1 holds %d streams, want 3", n)
	}
	for i, st := range mine {
		select {
		case <-st.replaced:
			if i >= 2 {
				t.Fatalf("stream %d replaced, but only the two oldest should be", i)
			}
		default:
			if i < 2 {
				t.Fatalf("stream %d (among the oldest) still open", i)
			}
		}
	}
	h.unsubscribe(mine[0]) // the replaced one's handler leaves
	if n := h.streams(1); n != 3 {
		t.Fatalf("after a replaced stream left: %d", n)
	}
	select {
	case <-other.replaced:
		t.Fatal("another user's stream was replaced")
	default:
	}
	for _, st := range mine[2:] {
		h.unsubscribe(st)
	}
	if n := h.streams(1); n != 0 {
		t.Fatalf("after all left: %d", n)
	}
}

// A resync (changes went unheard) ends every stream of every user with
// "resync", so each page reads what it shows afresh; other changes reach
// only their user's streams.
func TestHubResyncEndsEveryStream(t *testing.T) {
	h := newHub(3)
	a1, a2, b := h.subscribe(1), h.subscribe(1), h.subscribe(2)
	h.publish(store.Change{Kind: store.ChangeBalance, UserID: 2})
	for _, st := range []*stream{a1, a2} {
		select {
		case <-st.lost:
			t.Fatal("a change of user 2 ended a stream of user 1")
		case c := <-st.changes:
			t.Fatalf("user 1 got %v", c)
		default:
		}
	}
	h.publish(store.Change{Kind: store.ChangeResync})
	h.publish(store.Change{Kind: store.ChangeResync}) // twice is harmless
	for i, st := range []*stream{a1, a2, b} {
		select {
		case <-st.lost:
		default:
			t.Fatalf("stream %d still open after a resync", i)
		}
	}
}
