package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// drift books 5 GRAM on the hot wallet for user id and has the store compare
// that with a chain holding 4 GRAM at block, as the follower does after a
// block: a drift of -1 GRAM.
func drift(t *testing.T, db *store.DB, user int64, block uint32) store.ReconcileResult {
	t.Helper()
	ctx := context.Background()
	if _, err := db.UpsertUser(ctx, store.User{ID: user}); err != nil {
		t.Fatal(err)
	}
	_, err := db.Post(ctx, store.Transfer{Key: "fund-drift", Kind: store.TransferDeposit, Ref: strings.Repeat("ab", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -5_000_000_000}, {Account: store.UserAccount(user), Asset: store.TON.Symbol, Amount: 5_000_000_000}}})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		t.Fatal(err)
	}
	res, err := db.Reconcile(ctx, block, time.Now(), map[string]store.Amount{store.TON.Symbol: 4_000_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func paused(t *testing.T, db *store.DB) (store.Pause, bool) {
	t.Helper()
	p, ok, err := db.PayoutPause(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p, ok
}

func TestLedgerDriftNoticeReachesEachAdminOnce(t *testing.T) {
	const ruAdmin, user = 902, 903
	r := newRig(t, func(c *Config) { c.AdminIDs = []int64{testAdmin, ruAdmin} })
	r.user(testAdmin, "en")
	r.user(ruAdmin, "ru")
	if res := drift(t, r.db, user, 100); !res.NewDrift || !res.Paused {
		t.Fatalf("reconcile: %+v", res)
	}
	// The same drift at the next block is not news.
	if res := drift(t, r.db, user, 101); res.NewDrift {
		t.Fatalf("the same drift again: %+v", res)
	}
	r.start()
	waitUntil(t, 10*time.Second, "both admins told", func() bool {
		return len(r.api.Sent("sendMessage", testAdmin)) == 1 && len(r.api.Sent("sendMessage", ruAdmin)) == 1
	})
	waitUntil(t, 5*time.Second, "outbox drained", func() bool { return r.pending() == 0 })
	time.Sleep(3 * r.cfg.PollInterval)
	if n := len(r.api.Sent("sendMessage", 0)); n != 2 {
		t.Fatalf("%d messages for one drift and two admins", n)
	}
	en := r.api.Sent("sendMessage", testAdmin)[0].Form.Get("text")
	for _, want := range []string{"Ledger drift", "block 100", "GRAM: chain <b>4</b>, ledger <b>5</b>, drift <b>-1</b>",
		"Payouts are paused", "tonpay reconcile", "/resume"} {
		if !strings.Contains(en, want) {
			t.Fatalf("admin notice lacks %q: %q", want, en)
		}
	}
	ru := r.api.Sent("sendMessage", ruAdmin)[0].Form.Get("text")
	for _, want := range []string{"Расхождение учёта", "блоке 100", "в сети <b>4</b>", "Выплаты приостановлены", "tonpay reconcile", "/resume"} {
		if !strings.Contains(ru, want) {
			t.Fatalf("ru admin notice lacks %q: %q", want, ru)
		}
	}
}

func TestPauseAndResumeByAdmin(t *testing.T) {
	c := newChatter(t)
	db := c.r.db
	drift(t, db, 1701, 100)
	waitUntil(t, 5*time.Second, "drift notice", func() bool { return len(c.r.api.Sent("sendMessage", testAdmin)) == 1 })

	stats := c.say(testAdmin, "en", "/stats", "sendMessage").Form.Get("text")
	for _, want := range []string{"Hot wallet (ledger): 5 GRAM", "drift <b>-1 GRAM</b>", "block 100", "chain 4 GRAM, ledger 5 GRAM", "<b>paused</b>", "ledger drift"} {
		if !strings.Contains(stats, want) {
			t.Fatalf("/stats during a drift lacks %q: %q", want, stats)
		}
	}

	// /resume lifts the drift's pause and says what it was.
	txt := c.say(testAdmin, "en", "/resume", "sendMessage").Form.Get("text")
	if !strings.Contains(txt, "Payouts resumed") || !strings.Contains(txt, "ledger drift") || !strings.Contains(txt, "acknowledged") {
		t.Fatalf("/resume: %q", txt)
	}
	if p, ok := paused(t, db); ok {
		t.Fatalf("still paused after /resume: %+v", p)
	}
	if txt := c.say(testAdmin, "en", "/resume", "sendMessage").Form.Get("text"); !strings.Contains(txt, "were not paused") {
		t.Fatalf("second /resume: %q", txt)
	}
	// The acknowledged drift, still there at the next block, does not pause
	// payouts again.
	if res := drift(t, db, 1701, 101); res.Paused {
		t.Fatalf("an acknowledged drift paused again: %+v", res)
	}
	stats = c.say(testAdmin, "en", "/stats", "sendMessage").Form.Get("text")
	if !strings.Contains(stats, "Payouts: running") || !strings.Contains(stats, "block 101") {
		t.Fatalf("/stats after /resume: %q", stats)
	}

	// /pause with a reason, then /resume: a round trip.
	txt = c.say(testAdmin, "en", "/pause cold wallet check", "sendMessage").Form.Get("text")
	if !strings.Contains(txt, "Payouts are paused: cold wallet check") {
		t.Fatalf("/pause: %q", txt)
	}
	p, ok := paused(t, db)
	if !ok || p.Cause != "admin" || !strings.HasPrefix(p.Reason, "cold wallet check") {
		t.Fatalf("pause after /pause: %+v %v", p, ok)
	}
	if stats := c.say(testAdmin, "en", "/stats", "sendMessage").Form.Get("text"); !strings.Contains(stats, "by an administrator") ||
		!strings.Contains(stats, "cold wallet check") {
		t.Fatalf("/stats while paused by an admin: %q", stats)
	}
	txt = c.say(testAdmin, "ru", "/resume", "sendMessage").Form.Get("text")
	if !strings.Contains(txt, "Выплаты возобновлены") || !strings.Contains(txt, "cold wallet check") {
		t.Fatalf("ru /resume: %q", txt)
	}
	if _, ok := paused(t, db); ok {
		t.Fatal("still paused after /pause and /resume")
	}
	// The help of an admin lists both; a user's does not.
	if txt := c.say(testAdmin, "en", "/help", "sendMessage").Form.Get("text"); !strings.Contains(txt, "/pause") || !strings.Contains(txt, "/resume") {
		t.Fatalf("admin /help: %q", txt)
	}
	if txt := c.say(1702, "en", "/help", "sendMessage").Form.Get("text"); strings.Contains(txt, "/pause") {
		t.Fatalf("user /help lists admin commands: %q", txt)
	}
}

func TestPauseAndResumeRefusedToNonAdmins(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	db := c.r.db
	const stranger = 1801
	if txt := c.say(stranger, "en", "/pause", "sendMessage").Form.Get("text"); !strings.Contains(txt, "administrators only") {
		t.Fatalf("non-admin /pause: %q", txt)
	}
	if _, ok := paused(t, db); ok {
		t.Fatal("a non-admin's /pause paused payouts")
	}

	drift(t, db, 1802, 100)
	if _, ok := paused(t, db); !ok {
		t.Fatal("the drift did not pause payouts")
	}
	for _, cmd := range []string{"/resume", "/resume@tonpay_bot", "/pause now"} {
		if txt := c.say(stranger, "en", cmd, "sendMessage").Form.Get("text"); !strings.Contains(txt, "administrators only") {
			t.Fatalf("non-admin %s: %q", cmd, txt)
		}
	}
	p, ok := paused(t, db)
	if !ok || p.Cause != "drift" {
		t.Fatalf("pause after a non-admin's commands: %+v %v", p, ok)
	}
	// Not acknowledged either: the drift's pause is still the store's own.
	if res := drift(t, db, 1802, 101); !res.Paused {
		t.Fatalf("after a refused /resume: %+v", res)
	}
	if _, err := db.User(ctx, stranger); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused admin command registered the user: %v", err)
	}
}

func TestAdminCommandScopeListsPauseAndResume(t *testing.T) {
	r := newRig(t)
	r.user(testAdmin, "ru")
	r.start()
	waitUntil(t, 5*time.Second, "admin commands registered", func() bool {
		for _, c := range r.api.Sent("setMyCommands", 0) {
			if strings.Contains(c.Form.Get("scope"), `"chat_id":900`) {
				return true
			}
		}
		return false
	})
	for _, c := range r.api.Sent("setMyCommands", 0) {
		cmds := c.Form.Get("commands")
		admin := strings.Contains(c.Form.Get("scope"), `"chat_id":900`)
		for _, name := range []string{"pause", "resume"} {
			if has := strings.Contains(cmds, `"command":"`+name+`"`); has != admin {
				t.Fatalf("/%s listed %v in scope %q: %s", name, has, c.Form.Get("scope"), cmds)
			}
		}
		if admin && !strings.Contains(cmds, "Возобновить выплаты") {
			t.Fatalf("admin commands not in the admin's language: %s", cmds)
		}
	}
}

func TestForeignNoticeReachesAdmins(t *testing.T) {
	r := newRig(t)
	r.user(testAdmin, "en")
	if err := r.db.HoldForeign(context.Background(), store.ForeignNotice{Account: "0:" + strings.Repeat("11", 32),
		TxHash: strings.Repeat("ab", 32), Asset: store.TON.Symbol, Amount: "99", Note: "sent 99 GRAM to 0:00, not a message of ours"}); err != nil {
		t.Fatal(err)
	}
	if p, ok := paused(t, r.db); !ok || p.Cause != store.PauseForeign {
		t.Fatalf("pause %+v %v", p, ok)
	}
	r.start()
	waitUntil(t, 10*time.Second, "admin told", func() bool { return len(r.api.Sent("sendMessage", testAdmin)) == 1 })
	text := r.api.Sent("sendMessage", testAdmin)[0].Form.Get("text")
	for _, want := range []string{"did not sign", "99 GRAM left it", "not a message of ours", "/resume"} {
		if !strings.Contains(text, want) {
			t.Fatalf("notice lacks %q: %q", want, text)
		}
	}
}
