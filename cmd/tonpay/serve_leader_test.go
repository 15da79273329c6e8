package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// TestServeTwoNodesPollTheBotOnTheLeaderOnly runs two nodes on one
// PostgreSQL database without WEBHOOK_URL: only the leader long-polls the
// bot's updates (Telegram ends a getUpdates with 409 Conflict when another
// starts, and the stand-in does the same and counts it), and once the
// leader stops the other node leads and polls. No getUpdates is ever cut
// short, and each command is answered once. Neither node makes scheduled
// backups (the database's own count there), and each says so once.
func TestServeTwoNodesPollTheBotOnTheLeaderOnly(t *testing.T) {
	pg := storetest.Schema(t)
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(200 * time.Millisecond)
	tgAPI := botapi.New(t)
	words := tonrig.Seed()
	db, err := store.Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	nodes := map[string]*service{}
	addrs := map[string]string{}
	for _, name := range []string{"n1", "n2"} {
		addrs[name] = freeAddr(t)
		nodes[name] = startService(t, map[string]string{
			"BOT_TOKEN":           "123456:TEST",
			"TELEGRAM_API_URL":    tgAPI.URL,
			"DATABASE_URL":        pg,
			"DB_PATH":             t.TempDir() + "/unused.db",
			"NODE_NAME":           name,
			"HTTP_ADDR":           addrs[name],
			"TON_LITESERVERS":     chain.LiteServers(),
			"TON_PROOF_CHECK":     "unsafe",
			"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
			"LOG_LEVEL":           "info",
		})
	}
	leading := func(name string) bool {
		resp, err := http.Get("http://" + addrs[name] + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var h struct {
			Leading *bool `json:"leading"`
		}
		json.NewDecoder(resp.Body).Decode(&h)
		return h.Leading != nil && *h.Leading
	}
	var leader, other string
	waitFor(t, 30*time.Second, func() bool {
		for name := range nodes {
			if leading(name) {
				leader = name
				return true
			}
		}
		return false
	})
	other = map[string]string{"n1": "n2", "n2": "n1"}[leader]

	// answered waits for the bot's answer to a user's command, then for
	// twenty more polls: with two pollers some would have been cut short.
	answered := func(user int64) {
		t.Helper()
		tgAPI.Command(user, "/start")
		waitFor(t, 15*time.Second, func() bool { return len(tgAPI.Texts(user)) > 0 })
		polls := len(tgAPI.Sent("getUpdates", 0))
		waitFor(t, 15*time.Second, func() bool { return len(tgAPI.Sent("getUpdates", 0)) >= polls+20 })
		if n := tgAPI.Conflicts(); n != 0 {
			t.Fatalf("%d getUpdates cut short by another (409 Conflict): more than one node polls", n)
		}
		if n := len(tgAPI.Texts(user)); n != 1 {
			t.Fatalf("user %d got %d answers to one /start: %q", user, n, tgAPI.Texts(user))
		}
	}
	answered(7001)
	if leading(other) {
		t.Fatalf("both nodes lead")
	}

	// The leader stops (releasing the lease): the other leads and polls.
	if code := nodes[leader].stop(); code != 0 {
		t.Fatalf("%s exited %d: %s", leader, code, nodes[leader].log())
	}
	waitFor(t, 30*time.Second, func() bool { return leading(other) })
	answered(7002)

	// No scheduled SQLite backups on PostgreSQL, said once at start.
	for name, n := range nodes {
		if c := strings.Count(n.log(), "no scheduled backups: they copy the SQLite file; on PostgreSQL the database's own backups count"); c != 1 {
			t.Errorf("node %s said %d times why it makes no scheduled backups:\n%s", name, c, n.log())
		}
	}
}

// TestServeTwoNodesServeTheBotWebhookOnEach: with WEBHOOK_URL every node
// takes the bot's updates, the one that does not lead too (Telegram posts
// to whichever node the address reaches), and none long-polls.
func TestServeTwoNodesServeTheBotWebhookOnEach(t *testing.T) {
	pg := storetest.Schema(t)
	t.Parallel()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(200 * time.Millisecond)
	tgAPI := botapi.New(t)
	words := tonrig.Seed()
	addrs := map[string]string{}
	for _, name := range []string{"n1", "n2"} {
		addrs[name] = freeAddr(t)
		startService(t, map[string]string{
			"BOT_TOKEN":        "123456:TEST",
			"TELEGRAM_API_URL": tgAPI.URL,
			// Telegram's side of it is not exercised: updates are posted
			// to each node below.
			"WEBHOOK_URL":         "https://" + freeAddr(t) + "/telegram/hook",
			"DATABASE_URL":        pg,
			"DB_PATH":             t.TempDir() + "/unused.db",
			"NODE_NAME":           name,
			"HTTP_ADDR":           addrs[name],
			"TON_LITESERVERS":     chain.LiteServers(),
			"TON_PROOF_CHECK":     "unsafe",
			"HOT_WALLET_MNEMONIC": strings.Join(words, " "),
			"LOG_LEVEL":           "warn",
		})
	}
	waitFor(t, 15*time.Second, func() bool { return len(tgAPI.Sent("setWebhook", 0)) >= 2 })
	secret := tgAPI.Sent("setWebhook", 0)[0].Form.Get("secret_token")
	user := int64(7100)
	for _, name := range []string{"n1", "n2"} {
		user++
		update := map[string]any{"update_id": user, "message": map[string]any{"message_id": 1, "date": time.Now().Unix(),
			"chat": map[string]any{"id": user, "type": "private"}, "from": map[string]any{"id": user, "first_name": "U", "language_code": "en"},
			"text": "/start", "entities": []any{map[string]any{"type": "bot_command", "offset": 0, "length": 6}}}}
		tgAPI.Delivered(update)
		b, _ := json.Marshal(update)
		req, _ := http.NewRequest("POST", "http://"+addrs[name]+"/telegram/hook", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s's webhook answered %s", name, resp.Status)
		}
		waitFor(t, 15*time.Second, func() bool { return len(tgAPI.Texts(user)) > 0 })
	}
	if n := len(tgAPI.Sent("getUpdates", 0)); n != 0 {
		t.Fatalf("%d getUpdates with a webhook", n)
	}
}

// On SQLite (one process) the bot polls from the start, lease or not: a
// service restarted after a crash, the dead process's lease still running,
// answers at once instead of after the lease.
func TestServeOnSQLiteAnswersTheBotBeforeItLeads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(200 * time.Millisecond)
	tgAPI := botapi.New(t)
	path := t.TempDir() + "/tonpay.db"
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// The process that crashed holds the lease for a long while yet.
	if _, ok, err := db.AcquireLease(ctx, "crashed-1", 10*time.Minute); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	db.Close()
	addr := freeAddr(t)
	startService(t, map[string]string{
		"BOT_TOKEN":           "123456:TEST",
		"TELEGRAM_API_URL":    tgAPI.URL,
		"DB_PATH":             path,
		"HTTP_ADDR":           addr,
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(tonrig.Seed(), " "),
	})
	tgAPI.Command(7101, "/start")
	waitFor(t, 15*time.Second, func() bool { return len(tgAPI.Texts(7101)) > 0 })
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Leading *bool  `json:"leading"`
		Leader  string `json:"leader"`
	}
	json.NewDecoder(resp.Body).Decode(&h)
	if h.Leading == nil || *h.Leading {
		t.Fatalf("healthz leading=%v leader=%q: the test needs the crashed process's lease still held", h.Leading, h.Leader)
	}
}
