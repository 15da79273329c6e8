package miniapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// TestMain runs the package's tests; with TONPAY_TEST_POSTGRES set, the hot
// reads' tests (and, asked with -bench, BenchmarkAPIMe) run again on
// PostgreSQL (storetest.MainOn). The other tests read the SQLite file
// directly here and there, so they run on SQLite only.
func TestMain(m *testing.M) { storetest.MainOn(m, "^TestHotReads") }

// queryLog records the statements a store sends to its engine.
type queryLog struct {
	mu sync.Mutex
	qs []string
}

func (l *queryLog) add(q string) {
	l.mu.Lock()
	l.qs = append(l.qs, q)
	l.mu.Unlock()
}

// during runs fn and returns the statements sent meanwhile.
func (l *queryLog) during(fn func()) []string {
	l.mu.Lock()
	l.qs = nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.qs
}

// newCountedEnv is newEnv whose store reports its statements to the log.
func newCountedEnv(t *testing.T, path string) (*env, *queryLog) {
	t.Helper()
	log := &queryLog{}
	return newEnvStore(t, path, []store.Option{store.WithQueryHook(log.add)}, nil), log
}

// oneRoundTrip does the request and fails unless it answered want with
// exactly one statement sent to the database.
func oneRoundTrip(t *testing.T, e *env, log *queryLog, path, auth string, want int) resp {
	t.Helper()
	var r resp
	qs := log.during(func() { r = e.do("GET", path, auth, nil) })
	if r.status != want {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if len(qs) != 1 {
		t.Fatalf("GET %s took %d statements, want 1:\n%s", path, len(qs), strings.Join(qs, "\n----\n"))
	}
	return r
}

// statements does the request and fails unless it answered want with
// exactly n statements sent to the database.
func statements(t *testing.T, e *env, log *queryLog, path, auth string, want, n int) resp {
	t.Helper()
	var r resp
	qs := log.during(func() { r = e.do("GET", path, auth, nil) })
	if r.status != want {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if len(qs) != n {
		t.Fatalf("GET %s took %d statements, want %d:\n%s", path, len(qs), n, strings.Join(qs, "\n----\n"))
	}
	return r
}

// meRepeat is how many statements GET /api/me sends when nothing was
// written since the user's last call: none on SQLite, which keeps the
// answer, one on PostgreSQL.
func meRepeat() int {
	if storetest.OnPostgres() {
		return 1
	}
	return 0
}

// The Mini App's hot reads take one round trip to the database each, on
// either engine, once the user's first call has recorded them (and their
// deposit address): GET /api/me with merchants owned, a linked wallet and
// balances in two assets; the history with a withdrawal whose transaction
// is linked; a top-up's status; a merchant invoice's status with the
// jetton payment request. A block is seen on the next call, in the same
// one statement. On SQLite GET /api/me repeated with nothing written
// meanwhile sends none.
func TestHotReadsOneRoundTrip(t *testing.T) {
	t.Parallel()
	e, log := newCountedEnv(t, "")
	ctx := context.Background()
	const id = 9100
	auth := e.auth(id)
	if r := e.do("GET", "/api/me", auth, nil); r.status != 200 { // records the user and the deposit address
		t.Fatalf("first /api/me: %d %s", r.status, r.body)
	}
	e.fund(id, store.TON.Symbol, 5_000_000_000)
	e.fund(id, usdt.Symbol, 7_000_000)
	e.linkWallet(id, newTestWallet(t, 91))
	var merchants []int64
	for _, name := range []string{"Shop B", "Shop A"} {
		m, _, err := e.db.CreateMerchant(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.SetMerchantOwners(ctx, store.Actor{Role: "operator"}, m.ID, []int64{id}); err != nil {
			t.Fatal(err)
		}
		merchants = append(merchants, m.ID)
	}

	r := oneRoundTrip(t, e, log, "/api/me", auth, 200)
	var me struct {
		User           struct{ ID int64 }
		Wallet         *struct{ Address string }
		Balances       []struct{ Asset, Amount string }
		Deposit        struct{ Comment string }
		DepositAddress string `json:"deposit_address"`
		Roles          struct {
			Merchants []struct {
				ID   int64
				Name string
			}
		}
		Blocked bool
	}
	if err := json.Unmarshal(r.body, &me); err != nil {
		t.Fatal(err)
	}
	if me.User.ID != id || me.Wallet == nil || me.DepositAddress == "" || len(me.Deposit.Comment) != store.CommentLen || me.Blocked {
		t.Fatalf("/api/me: %s", r.body)
	}
	if len(me.Balances) != 2 || me.Balances[0].Amount != "5000000000" || me.Balances[1].Amount != "7000000" {
		t.Fatalf("balances: %s", r.body)
	}
	if len(me.Roles.Merchants) != 2 || me.Roles.Merchants[0].ID != merchants[0] || me.Roles.Merchants[0].Name != "Shop B" || me.Roles.Merchants[1].Name != "Shop A" {
		t.Fatalf("merchants owned: %s", r.body)
	}
	// Again with nothing written: the same answer, kept on SQLite.
	if again := statements(t, e, log, "/api/me", auth, 200, meRepeat()); string(again.body) != string(r.body) {
		t.Fatalf("repeated /api/me:\n%s\nfirst:\n%s", again.body, r.body)
	}
	// Any write at all, even one that is not the user's, is read again.
	e.fund(id+3, store.TON.Symbol, 1)
	oneRoundTrip(t, e, log, "/api/me", auth, 200)
	statements(t, e, log, "/api/me", auth, 200, meRepeat())

	// A withdrawal, sent: its entry links its transaction.
	if r := e.do("POST", "/api/withdrawals", auth, map[string]string{"asset": store.TON.Symbol, "amount": "1",
		"address": ton.FormatAddress(newTestWallet(t, 92).addr, true)}, "Idempotency-Key", "hot1"); r.status != 201 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	ws, err := e.db.UserWithdrawals(ctx, id, 1)
	if err != nil || len(ws) != 1 {
		t.Fatal(ws, err)
	}
	txHash := strings.Repeat("cd", 32)
	setWithdrawalTx(t, e, ws[0].ID, txHash)
	r = oneRoundTrip(t, e, log, "/api/history?limit=3", auth, 200)
	var page struct {
		Items []struct{ Kind, Link string }
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 || page.Items[0].Kind != "withdrawal" || page.Items[0].Link != ton.TxLink(true, txHash) {
		t.Fatalf("history: %s", r.body)
	}
	if page.Items[1].Link == "" || page.Items[1].Link == page.Items[0].Link {
		t.Fatalf("deposit's link: %s", r.body)
	}

	// A top-up's status, as the page polls it.
	r = e.do("POST", "/api/deposits", auth, map[string]string{"asset": store.TON.Symbol, "amount": "1"})
	if r.status != 201 && r.status != 200 {
		t.Fatalf("deposit: %d %s", r.status, r.body)
	}
	dep := r.json(t)["invoice"].(map[string]any)["id"].(string)
	r = oneRoundTrip(t, e, log, "/api/deposits/"+dep, auth, 200)
	if st := r.json(t)["invoice"].(map[string]any)["status"]; st != "created" {
		t.Fatalf("top-up: %s", r.body)
	}
	// A merchant's invoice in a jetton: the payer is the linked wallet's
	// jetton wallet (asked of the chain once, then remembered).
	inv, err := e.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: merchants[1], Asset: usdt.Symbol, Amount: 2_500_000, TTL: time.Hour, Description: "tea"})
	if err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/api/invoices/"+inv.ID, auth, nil)
	r = oneRoundTrip(t, e, log, "/api/invoices/"+inv.ID, auth, 200)
	if m := r.json(t); m["invoice"].(map[string]any)["merchant"] != "Shop A" || m["invoice"].(map[string]any)["description"] != "tea" || m["transaction"] == nil {
		t.Fatalf("invoice: %s", r.body)
	}

	// A service that hands out no deposit addresses: a user without one
	// is shown none, still in one statement.
	other := e.auth(id + 1)
	e.do("GET", "/api/me", other, nil)
	e.db.SetDepositDeriver(nil)
	none := e.auth(id + 2)
	e.do("GET", "/api/me", none, nil) // the user's first call records them
	if r := statements(t, e, log, "/api/me", none, 200, meRepeat()); r.json(t)["deposit_address"] != nil {
		t.Fatalf("/api/me without deposit addresses: %s", r.body)
	}
	if r := oneRoundTrip(t, e, log, "/api/me", other, 200); r.json(t)["deposit_address"] == nil {
		t.Fatalf("/api/me of a user who has a deposit address: %s", r.body)
	}

	// Blocked: the first call after the block authenticates afresh (the
	// cache forgot the user: a write), then each hot read is again one
	// statement, which refuses.
	if _, err := e.db.BlockUser(ctx, store.Actor{Role: "operator"}, id, "test"); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/api/me", auth, nil); r.status != 200 || r.json(t)["blocked"] != true {
		t.Fatalf("blocked /api/me: %d %s", r.status, r.body)
	}
	if r := statements(t, e, log, "/api/me", auth, 200, meRepeat()); r.json(t)["blocked"] != true {
		t.Fatalf("blocked /api/me: %s", r.body)
	}
	for _, path := range []string{"/api/history", "/api/deposits/" + dep, "/api/invoices/" + inv.ID} {
		if r := oneRoundTrip(t, e, log, path, auth, 403); r.errCode() != "blocked" {
			t.Fatalf("%s: %s", path, r.body)
		}
	}
	// Missing invoices are refused as blocked too (the standing is read on
	// its own then).
	for _, path := range []string{"/api/deposits/inv_00", "/api/invoices/inv_00", "/api/invoices/x"} {
		if r := e.do("GET", path, auth, nil); r.status != 403 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}
	if _, err := e.db.UnblockUser(ctx, store.Actor{Role: "operator"}, id); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/deposits/inv_00", "/api/invoices/inv_00", "/api/invoices/x"} {
		if r := e.do("GET", path, auth, nil); r.status != 404 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}
}

// A user blocked through one node is refused by another on its next call,
// though the other node's authentication remembered the user: the hot
// reads read the standing in their statement, the other calls read it on
// PostgreSQL (where other nodes write), whether or not the block's notice
// has arrived.
func TestHotReadsBlockAcrossNodes(t *testing.T) {
	t.Parallel()
	if !storetest.OnPostgres() {
		t.Skip("several nodes share a PostgreSQL database only (the PostgreSQL run of this package)")
	}
	a, _ := newCountedEnv(t, "")
	b, _ := newCountedEnv(t, a.path)
	const id = 9200
	auth := a.auth(id)
	for _, e := range []*env{a, b} {
		if r := e.do("GET", "/api/me", auth, nil); r.status != 200 {
			t.Fatalf("/api/me: %d %s", r.status, r.body)
		}
	}
	if _, err := a.db.BlockUser(context.Background(), store.Actor{Role: "operator"}, id, "test"); err != nil {
		t.Fatal(err)
	}
	// Node b may not have heard of it yet; each call reads the standing.
	if r := b.do("GET", "/api/me", auth, nil); r.status != 200 || r.json(t)["blocked"] != true {
		t.Fatalf("node b /api/me: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ method, path string }{{"GET", "/api/history"}, {"POST", "/api/wallet/payload"}, {"GET", "/api/deposits/inv_00"}} {
		if r := b.do(c.method, c.path, auth, nil); r.status != 403 {
			t.Fatalf("node b %s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
}

// setWithdrawalTx records the hash of the transaction that paid a
// withdrawal, as the payer does once it is sent.
func setWithdrawalTx(t *testing.T, e *env, id int64, hash string) {
	t.Helper()
	dsn := e.path
	if storetest.OnPostgres() {
		dsn = storetest.RawURL(t, e.path)
	}
	raw, err := store.OpenRaw(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE withdrawals SET tx_hash = ? WHERE id = ?`, hash, id); err != nil {
		t.Fatal(err)
	}
}
