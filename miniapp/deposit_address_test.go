package miniapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

type meDeposit struct {
	Address string            `json:"deposit_address"`
	Link    string            `json:"deposit_link"`
	Links   map[string]string `json:"deposit_links"`
	Deposit struct{ Address, Comment, Link string }
}

// Every user's /api/me shows their own deposit address: the one the store
// recorded for them, the same on every call, another for another user, and
// nobody else's.
func TestMeShowsTheUsersOwnDepositAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	get := func(id int64) (meDeposit, []byte) {
		t.Helper()
		r := e.do("GET", "/api/me", e.auth(id), nil)
		if r.status != 200 {
			t.Fatalf("me %d: %d %s", id, r.status, r.body)
		}
		var m meDeposit
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		return m, r.body
	}
	ann, annBody := get(7)
	w, err := e.db.DepositWallet(ctx, store.UserOwner(7))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ton.DepositAddressText(w.Address, true)
	if err != nil {
		t.Fatal(err)
	}
	if ann.Address != want || !strings.HasPrefix(want, "0Q") {
		t.Fatalf("deposit_address %q, the store's %q (%s)", ann.Address, want, w.Address)
	}
	if ann.Address == ann.Deposit.Address {
		t.Fatal("the deposit address is the hot wallet's")
	}
	if ann.Link != "ton://transfer/"+want || ann.Links[store.TON.Symbol] != ann.Link {
		t.Fatalf("deposit_link %q, links %v", ann.Link, ann.Links)
	}
	master, _ := ton.ParseAddress(usdtMaster, true)
	if got := ann.Links["USDT"]; got != "ton://transfer/"+want+"?jetton="+ton.FormatBounceable(master, true) || len(ann.Links) != 2 {
		t.Fatalf("deposit_links %v", ann.Links)
	}
	// Stable: the same address on the next call, and one recorded row.
	if again, _ := get(7); again.Address != want {
		t.Fatalf("second call: %q, first %q", again.Address, want)
	}
	if n := e.count(`SELECT count(*) FROM deposit_wallets WHERE owner_kind = 'user' AND owner_id = 7`); n != 1 {
		t.Fatalf("%d deposit wallets recorded for user 7", n)
	}
	// Another user: another address, and not a trace of the first one's.
	bob, bobBody := get(8)
	wb, err := e.db.DepositWallet(ctx, store.UserOwner(8))
	if err != nil {
		t.Fatal(err)
	}
	if wantB, _ := ton.DepositAddressText(wb.Address, true); bob.Address != wantB || bob.Address == ann.Address {
		t.Fatalf("user 8's address %q (store %q), user 7's %q", bob.Address, wantB, ann.Address)
	}
	if bytes.Contains(bobBody, []byte(ann.Address)) || bytes.Contains(annBody, []byte(bob.Address)) {
		t.Fatal("one user's /api/me shows the other's deposit address")
	}
	// The address is the one the seed derives for the user: deposits
	// there are theirs.
	if a, err := depositKeys(t).Address(store.UserOwner(8)); err != nil || a.StringRaw() != wb.Address {
		t.Fatalf("derived %v, recorded %s (%v)", a, wb.Address, err)
	}
}

// Without a deriver (no seed) the address is absent and /api/me still works,
// with the comment path as before.
func TestMeWithoutDepositAddresses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.db.SetDepositDeriver(nil)
	r := e.do("GET", "/api/me", e.auth(7), nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	for _, k := range []string{"deposit_address", "deposit_link", "deposit_links"} {
		if _, ok := m[k]; ok {
			t.Fatalf("%s present without a deriver: %s", k, r.body)
		}
	}
	if d := m["deposit"].(map[string]any); d["address"] != ton.FormatAddress(e.hot, true) || d["comment"] == "" {
		t.Fatalf("deposit: %v", d)
	}
}
