package miniapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// testClock is a clock a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// meShown is what a test reads of GET /api/me.
type meShown struct {
	User struct {
		FirstName string `json:"first_name"`
		Username  string
	}
	Wallet   *struct{ Address string }
	Balances []struct{ Asset, Amount string }
	Roles    struct {
		Merchants []struct {
			ID   int64
			Name string
		}
	}
	Blocked bool
}

func (m meShown) balance(asset string) string {
	for _, b := range m.Balances {
		if b.Asset == asset {
			return b.Amount
		}
	}
	return ""
}

func decodeMe(t *testing.T, r resp) meShown {
	t.Helper()
	var m meShown
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("/api/me: %v: %s", err, r.body)
	}
	return m
}

// namedAuth is an Authorization header for the user under the given names.
func namedAuth(t *testing.T, userID int64, firstName, username string) string {
	t.Helper()
	now := time.Now()
	u := fmt.Sprintf(`{"id":%d,"first_name":%q,"username":%q,"language_code":"en"}`, userID, firstName, username)
	qs := url.Values{"user": {u}, "auth_date": {fmt.Sprint(now.Unix())}}.Encode()
	hash, err := initdata.SignQueryString(qs, botToken, now)
	if err != nil {
		t.Fatal(err)
	}
	return "tma " + qs + "&hash=" + hash
}

// What changes a user's GET /api/me shows on their very next call, though
// the answer is kept on SQLite: a balance change, a wallet linked, a
// merchant made theirs, a block and its lifting. Each is read again with
// one statement (PostgreSQL: every call is one statement).
func TestHotReadsMeShowsEveryWrite(t *testing.T) {
	t.Parallel()
	e, log := newCountedEnv(t, "")
	ctx := context.Background()
	const id = 9300
	auth := e.auth(id)
	e.do("GET", "/api/me", auth, nil) // records the user and the deposit address
	oneRoundTrip(t, e, log, "/api/me", auth, 200)
	statements(t, e, log, "/api/me", auth, 200, meRepeat())

	e.fund(id, store.TON.Symbol, 3_000_000_000)
	if m := decodeMe(t, oneRoundTrip(t, e, log, "/api/me", auth, 200)); m.balance(store.TON.Symbol) != "3000000000" {
		t.Fatalf("balance after a deposit: %+v", m.Balances)
	}
	statements(t, e, log, "/api/me", auth, 200, meRepeat())

	w := newTestWallet(t, 93)
	e.linkWallet(id, w)
	if m := decodeMe(t, e.do("GET", "/api/me", auth, nil)); m.Wallet == nil || m.Wallet.Address != w.addr.StringRaw() {
		t.Fatalf("wallet after linking %s: %+v", w.addr.StringRaw(), m.Wallet)
	}
	statements(t, e, log, "/api/me", auth, 200, meRepeat())

	mc, _, err := e.db.CreateMerchant(ctx, "Kiosk", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMerchantOwners(ctx, store.Actor{Role: "operator"}, mc.ID, []int64{id}); err != nil {
		t.Fatal(err)
	}
	if m := decodeMe(t, oneRoundTrip(t, e, log, "/api/me", auth, 200)); len(m.Roles.Merchants) != 1 || m.Roles.Merchants[0].ID != mc.ID {
		t.Fatalf("merchants after one was made the user's: %+v", m.Roles.Merchants)
	}
	statements(t, e, log, "/api/me", auth, 200, meRepeat())

	if _, err := e.db.BlockUser(ctx, store.Actor{Role: "operator"}, id, "test"); err != nil {
		t.Fatal(err)
	}
	if m := decodeMe(t, e.do("GET", "/api/me", auth, nil)); !m.Blocked {
		t.Fatal("/api/me after a block does not say blocked")
	}
	statements(t, e, log, "/api/me", auth, 200, meRepeat())
	if _, err := e.db.UnblockUser(ctx, store.Actor{Role: "operator"}, id); err != nil {
		t.Fatal(err)
	}
	if m := decodeMe(t, e.do("GET", "/api/me", auth, nil)); m.Blocked {
		t.Fatal("/api/me after the block was lifted still says blocked")
	}

	// The user's names are the initData's: a request under other names is
	// answered with its own, whichever answer was kept last.
	old := namedAuth(t, id, "Ann", "ann")
	renamed := namedAuth(t, id, "Anna", "anna_k")
	for _, c := range []struct{ auth, name string }{{old, "Ann"}, {old, "Ann"}, {renamed, "Anna"}, {old, "Ann"}, {renamed, "Anna"}} {
		if m := decodeMe(t, e.do("GET", "/api/me", c.auth, nil)); m.User.FirstName != c.name {
			t.Fatalf("/api/me under the name %s shows %q", c.name, m.User.FirstName)
		}
	}
	statements(t, e, log, "/api/me", renamed, 200, meRepeat())

	// An indented answer, asked for, is not the kept one.
	if r := e.do("GET", "/api/me?pretty", renamed, nil); r.status != 200 || !strings.Contains(string(r.body), "\n  \"user\"") {
		t.Fatalf("/api/me?pretty: %d %s", r.status, r.body)
	}
	statements(t, e, log, "/api/me", renamed, 200, meRepeat())
}

// A write by another process on the same SQLite file (the command-line
// tool), which this process does not hear, shows once the kept answer is
// MeCacheTTL old, and not before.
func TestHotReadsMeAnotherProcess(t *testing.T) {
	t.Parallel()
	if storetest.OnPostgres() {
		t.Skip("answers are kept on SQLite only")
	}
	e, log := newCountedEnv(t, "")
	clock := &testClock{t: time.Now()}
	miniapp.SetMeCache(e.srv, 100, clock.now)
	const id = 9400
	auth := e.auth(id)
	e.do("GET", "/api/me", auth, nil)
	oneRoundTrip(t, e, log, "/api/me", auth, 200) // kept

	other := storetest.OpenWith(t, storetest.Config{Path: e.path})
	fundUserOn(t, other, id, 2_000_000_000)

	clock.add(miniapp.MeCacheTTL - time.Millisecond)
	if m := decodeMe(t, statements(t, e, log, "/api/me", auth, 200, 0)); m.balance(store.TON.Symbol) != "0" {
		t.Fatalf("a write this process did not hear shows before the kept answer is old: %+v", m.Balances)
	}
	clock.add(time.Millisecond)
	if m := decodeMe(t, oneRoundTrip(t, e, log, "/api/me", auth, 200)); m.balance(store.TON.Symbol) != "2000000000" {
		t.Fatalf("another process's deposit after %v: %+v", miniapp.MeCacheTTL, m.Balances)
	}
	statements(t, e, log, "/api/me", auth, 200, 0)
}

// fundUserOn credits the user's account through db.
func fundUserOn(t *testing.T, db *store.DB, userID int64, amt store.Amount) {
	t.Helper()
	_, err := db.Post(context.Background(), store.Transfer{Key: fmt.Sprintf("fund-on:%d:%d", userID, time.Now().UnixNano()), Kind: store.TransferDeposit,
		Ref: strings.Repeat("ef", 32), Postings: []store.Posting{
			{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -amt},
			{Account: store.UserAccount(userID), Asset: store.TON.Symbol, Amount: amt},
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// The answers kept are bounded: never more than the bound, whatever the
// number of users calling; those dropped are read again.
func TestHotReadsMeBounded(t *testing.T) {
	t.Parallel()
	if storetest.OnPostgres() {
		t.Skip("answers are kept on SQLite only")
	}
	e, log := newCountedEnv(t, "")
	const max = 4
	clock := &testClock{t: time.Now()}
	miniapp.SetMeCache(e.srv, max, clock.now)
	auths := make([]string, 3*max)
	for i := range auths {
		auths[i] = e.auth(int64(9500 + i))
		e.do("GET", "/api/me", auths[i], nil) // the users' first calls write
	}
	// Nothing is written from here on: every call either is served from
	// what is kept or reads and keeps.
	hits := 0
	for round := range 3 {
		for i, auth := range auths {
			qs := log.during(func() {
				if r := e.do("GET", "/api/me", auth, nil); r.status != 200 {
					t.Fatalf("/api/me: %d %s", r.status, r.body)
				}
			})
			if len(qs) == 0 {
				hits++
			}
			if n := miniapp.MeCacheSize(e.srv); n > max || n < 1 {
				t.Fatalf("round %d, user %d: %d answers kept, bound %d", round, i, n, max)
			}
		}
	}
	// The last user's answer was just kept: served again without a read.
	statements(t, e, log, "/api/me", auths[len(auths)-1], 200, 0)
	if hits == len(auths)*3 {
		t.Fatal("more users than the bound were all served from what is kept")
	}
}
