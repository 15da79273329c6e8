package miniapp

import (
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// A user read before an admin's block is not cached after it: the block's
// forget may land between the authenticating read and the put.
func TestAuthCacheForgetBeatsALatePut(t *testing.T) {
	a := newAuthCache(10)
	now := time.Now()
	gen := a.gen(5)                                               // the request reads the user (not blocked yet)...
	a.forget(5)                                                   // ...an admin blocks them meanwhile...
	a.put("raw", store.User{ID: 5}, gen, now.Add(time.Hour), now) // ...and the stale read is dropped
	if _, ok := a.get("raw", now); ok {
		t.Fatal("a user read before the block was cached after it")
	}
	a.put("raw", store.User{ID: 5, Blocked: true}, a.gen(5), now.Add(time.Hour), now)
	if u, ok := a.get("raw", now); !ok || !u.Blocked {
		t.Fatalf("a fresh read is not cached: %+v %v", u, ok)
	}
}

// After changes went unheard (a resync) every cached user is read afresh,
// and a read from before it is not cached after it.
func TestAuthCacheForgetAll(t *testing.T) {
	a := newAuthCache(10)
	now := time.Now()
	a.put("one", store.User{ID: 1}, a.gen(1), now.Add(time.Hour), now)
	a.forget(2) // another user's generation moved before
	gen := a.gen(2)
	a.forgetAll()
	if _, ok := a.get("one", now); ok {
		t.Fatal("an entry survived forgetAll")
	}
	a.put("two", store.User{ID: 2}, gen, now.Add(time.Hour), now)
	if _, ok := a.get("two", now); ok {
		t.Fatal("a user read before forgetAll was cached after it")
	}
	a.put("two", store.User{ID: 2}, a.gen(2), now.Add(time.Hour), now)
	if _, ok := a.get("two", now); !ok {
		t.Fatal("a fresh read is not cached")
	}
}
