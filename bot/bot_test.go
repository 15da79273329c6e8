package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// call is one Bot API request the fake received.
type call = botapi.Call

func tooMany(retryAfter int) map[string]any { return botapi.TooMany(retryAfter) }

func forbidden() map[string]any { return botapi.Blocked() }

type fixedStatus struct{}

func (fixedStatus) ScannerLag() time.Duration { return 1500 * time.Millisecond }
func (fixedStatus) HotWalletBalance(context.Context) (store.Amount, error) {
	return 12_500_000_000, nil
}

const testAdmin = 900

type rig struct {
	t   *testing.T
	db  *store.DB
	api *botapi.API
	cfg Config
}

// rules tunes the rule book a test rig's bot asks.
type rules func(*store.Rules)

// newRig is a bot on a fresh database; mods are func(*Config) or rules.
func newRig(t *testing.T, mods ...any) *rig {
	t.Helper()
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON}})
	pub, _ := url.Parse("https://pay.example.com")
	hot, err := ton.ParseAddress("0:"+strings.Repeat("11", 32), true)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db, api: botapi.New(t)}
	r.cfg = Config{
		Token:          "123:TEST",
		APIURL:         r.api.URL,
		PublicURL:      pub,
		AdminIDs:       []int64{testAdmin},
		Testnet:        true,
		DepositAddress: hot,
		ChatInterval:   200 * time.Millisecond,
		GlobalRate:     1000,
		PollInterval:   100 * time.Millisecond,
		RetryBase:      100 * time.Millisecond,
	}
	rs := store.Rules{Assets: []store.Asset{store.TON}, ParseDestination: ton.Destinations(true),
		Own: func() []string { return []string{hot.StringRaw()} }}
	for _, m := range mods {
		switch m := m.(type) {
		case func(*Config):
			m(&r.cfg)
		case rules:
			m(&rs)
		default:
			t.Fatalf("newRig: option %T", m)
		}
	}
	if r.cfg.Policy == nil {
		if len(r.cfg.Assets) > 0 {
			rs.Assets = r.cfg.Assets
		}
		r.cfg.Policy = store.NewPolicy(db, rs)
	}
	return r
}

// start runs a bot until the test ends; it returns the bot and Run's result.
func (r *rig) start() (*Bot, <-chan error) {
	r.t.Helper()
	b, err := New(r.cfg, r.db, fixedStatus{})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	r.t.Cleanup(func() { cancel(); <-done })
	return b, done
}

func (r *rig) user(id int64, lang string) store.User {
	r.t.Helper()
	u, err := r.db.UpsertUser(context.Background(), store.User{ID: id, FirstName: fmt.Sprint("U", id), LanguageCode: lang})
	if err != nil {
		r.t.Fatal(err)
	}
	return u
}

// deposit queues a deposit notice as the previous version wrote it, with
// the native coin's former code TON: the notice must say GRAM.
func (r *rig) deposit(userID int64, nano store.Amount) {
	r.t.Helper()
	err := r.db.Emit(context.Background(), store.TopicBot, "deposit.credited", userID, 0, store.DepositEvent{
		UserID: userID, Asset: "TON", Amount: nano.Units(), Balance: nano.Units(), TxHash: strings.Repeat("ab", 32)})
	if err != nil {
		r.t.Fatal(err)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) pending() int {
	evs, err := r.db.DueEvents(context.Background(), store.TopicBot, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(evs)
}

func TestNotifierBurstKeepsEachChatUnderItsRate(t *testing.T) {
	r := newRig(t)
	const chats, each = 10, 10
	for c := range int64(chats) {
		r.user(100+c, "en")
	}
	for i := range chats * each {
		r.deposit(100+int64(i%chats), store.Amount(1_000_000_000+i))
	}
	r.start()
	waitUntil(t, 20*time.Second, "100 notices delivered", func() bool { return len(r.api.Sent("sendMessage", 0)) >= chats*each })
	waitUntil(t, 5*time.Second, "outbox drained", func() bool { return r.pending() == 0 })
	if n := len(r.api.Sent("sendMessage", 0)); n != chats*each {
		t.Fatalf("%d messages for %d events", n, chats*each)
	}
	for c := range int64(chats) {
		msgs := r.api.Sent("sendMessage", 100+c)
		if len(msgs) != each {
			t.Fatalf("chat %d got %d messages", 100+c, len(msgs))
		}
		for i := 1; i < len(msgs); i++ {
			if gap := msgs[i].At.Sub(msgs[i-1].At); gap < r.cfg.ChatInterval {
				t.Fatalf("chat %d: two messages %v apart (interval %v)", 100+c, gap, r.cfg.ChatInterval)
			}
		}
		if txt := msgs[0].Form.Get("text"); !strings.Contains(txt, "+1") || !strings.Contains(txt, " GRAM</b>") || strings.Contains(txt, "TON") {
			t.Fatalf("notice text %q", msgs[0].Form.Get("text"))
		}
	}
}

func TestNotifierHonoursRetryAfter(t *testing.T) {
	r := newRig(t)
	r.user(201, "en")
	var once sync.Once
	r.api.Reply = func(c call) map[string]any {
		var out map[string]any
		if c.Method == "sendMessage" {
			once.Do(func() { out = tooMany(1) })
		}
		return out
	}
	r.deposit(201, 1_000_000_000)
	r.start()
	waitUntil(t, 10*time.Second, "notice delivered after the 429", func() bool { return len(r.api.Sent("sendMessage", 201)) == 2 })
	msgs := r.api.Sent("sendMessage", 201)
	if gap := msgs[1].At.Sub(msgs[0].At); gap < time.Second {
		t.Fatalf("re-sent %v after a 429 with retry_after 1", gap)
	}
	waitUntil(t, 5*time.Second, "event done", func() bool { return r.pending() == 0 })
}

// TestNotifierUnderTelegramsLimits: with a chat interval shorter than
// Telegram's one message a second, the stand-in answers the extra sends
// 429 as Telegram does; the bot waits retry_after and every notice arrives
// once.
func TestNotifierUnderTelegramsLimits(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.api = botapi.New(t, botapi.Options{Limits: &botapi.TelegramLimits})
	r.cfg.APIURL = r.api.URL
	r.user(211, "en")
	for i := range 3 {
		r.deposit(211, store.Amount(1_000_000_000+i))
	}
	r.start()
	var chat []botapi.Message
	waitUntil(t, 15*time.Second, "three notices shown", func() bool {
		_, chat = r.api.Transcript(context.Background(), 211, -1, 0)
		return len(chat) >= 3
	})
	waitUntil(t, 5*time.Second, "outbox drained", func() bool { return r.pending() == 0 })
	_, chat = r.api.Transcript(context.Background(), 211, -1, 0)
	var got []string
	for _, m := range chat {
		got = append(got, m.Text)
	}
	slices.Sort(got) // a notice answered 429 is retried after the ones behind it
	if len(got) != 3 || !strings.Contains(got[0], "+1 GRAM") || !strings.Contains(got[1], "+1.000000001 GRAM") || !strings.Contains(got[2], "+1.000000002 GRAM") {
		t.Fatalf("delivered %q", got)
	}
	if n := len(r.api.Sent("sendMessage", 211)); n <= 3 {
		t.Fatalf("%d sends for 3 notices: the limit never answered 429", n)
	}
}

func TestNotifierCrashBetweenSendAndDoneResends(t *testing.T) {
	r := newRig(t)
	r.user(301, "en")
	r.deposit(301, 2_000_000_000)
	crashed := errors.New("crash")
	r.cfg.Failpoint = func(step string) error {
		if step == "sent" {
			return crashed
		}
		return nil
	}
	b, err := New(r.cfg, r.db, fixedStatus{})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if !errors.Is(err, crashed) {
		t.Fatalf("Run = %v, want the crash", err)
	}
	if n := len(r.api.Sent("sendMessage", 301)); n != 1 || r.pending() != 1 {
		t.Fatalf("after the crash: %d sent, %d pending", n, r.pending())
	}
	// Restart: the notice is sent again (at least once) and then done.
	r.cfg.Failpoint = nil
	r.start()
	waitUntil(t, 10*time.Second, "re-sent after restart", func() bool { return len(r.api.Sent("sendMessage", 301)) == 2 })
	waitUntil(t, 5*time.Second, "event done", func() bool { return r.pending() == 0 })
}

func TestNotifierStopsForBlockedUser(t *testing.T) {
	r := newRig(t)
	r.user(401, "en")
	r.user(402, "en")
	r.api.Reply = func(c call) map[string]any {
		if c.Method == "sendMessage" && c.Form.Get("chat_id") == "401" {
			return forbidden()
		}
		return nil
	}
	r.deposit(401, 1_000_000_000)
	r.deposit(402, 1_000_000_000)
	r.start()
	waitUntil(t, 10*time.Second, "both handled", func() bool { return r.pending() == 0 })
	u, err := r.db.User(context.Background(), 401)
	if err != nil || !u.BotBlocked {
		t.Fatalf("user 401 not marked as blocking the bot: %+v %v", u, err)
	}
	r.deposit(401, 5_000_000_000)
	waitUntil(t, 5*time.Second, "later notice dropped", func() bool { return r.pending() == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := len(r.api.Sent("sendMessage", 401)); n != 1 {
		t.Fatalf("%d sends to a user who blocked the bot, want the 1 that found out", n)
	}
	if n := len(r.api.Sent("sendMessage", 402)); n != 1 {
		t.Fatalf("user 402 got %d notices", n)
	}
}

func TestAdminNoticeWithButtonsAndDecision(t *testing.T) {
	r := newRig(t, rules(func(r *store.Rules) { r.ApprovalAbove = map[string]store.Amount{store.TON.Symbol: 1_000_000_000} }))
	ctx := context.Background()
	r.user(testAdmin, "en")
	r.user(501, "en")
	_, err := r.db.Post(ctx, store.Transfer{Key: "fund-501", Kind: store.TransferDeposit, Ref: strings.Repeat("cd", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -10_000_000_000},
		{Account: store.UserAccount(501), Asset: store.TON.Symbol, Amount: 10_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := r.db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 501, IdemKey: "k", Asset: store.TON.Symbol, Amount: 5_000_000_000,
		Fee: 0, FeeAsset: store.TON.Symbol, Destination: "0:" + strings.Repeat("22", 32), NeedsApproval: true})
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	waitUntil(t, 10*time.Second, "admin told", func() bool { return len(r.api.Sent("sendMessage", testAdmin)) == 1 })
	m := r.api.Sent("sendMessage", testAdmin)[0]
	if !strings.Contains(m.Form.Get("text"), "#"+strconv.FormatInt(w.ID, 10)) || !strings.Contains(m.Form.Get("reply_markup"), "wa:"+strconv.FormatInt(w.ID, 10)) {
		t.Fatalf("admin notice %q %q", m.Form.Get("text"), m.Form.Get("reply_markup"))
	}
	if n := len(r.api.Sent("sendMessage", 501)); n != 0 {
		t.Fatalf("the user got %d admin notices", n)
	}
}

func TestWebhookRejectsWrongSecret(t *testing.T) {
	hook, _ := url.Parse("https://pay.example.com/telegram/hook")
	r := newRig(t, func(c *Config) { c.WebhookURL = hook; c.WebhookSecret = "s3cret" })
	b, _ := r.start()
	srv := httptest.NewServer(b.WebhookHandler())
	defer srv.Close()
	r.user(601, "en")
	update := func(id int, text string) []byte {
		u, _ := json.Marshal(map[string]any{"update_id": id, "message": map[string]any{"message_id": id, "date": time.Now().Unix(),
			"chat": map[string]any{"id": 601, "type": "private"}, "from": map[string]any{"id": 601, "first_name": "Ann", "language_code": "ru"},
			"text": text}})
		return u
	}
	post := func(secret string, body []byte) int {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post("wrong", update(1, "/start")); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", code)
	}
	if code := post("", update(2, "/start")); code != http.StatusUnauthorized {
		t.Fatalf("no secret: %d", code)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(r.api.Sent("sendMessage", 601)); n != 0 {
		t.Fatalf("a refused update was handled (%d replies)", n)
	}
	if sw := r.api.Sent("setWebhook", 0); len(sw) != 1 || sw[0].Form.Get("secret_token") != "s3cret" || sw[0].Form.Get("url") != hook.String() {
		t.Fatalf("setWebhook calls %+v", sw)
	}
	// The right secret: /start is answered, in Russian for a ru client, with
	// the Mini App button built from PUBLIC_URL.
	if code := post("s3cret", update(3, "/start")); code != http.StatusOK {
		t.Fatalf("right secret: %d", code)
	}
	waitUntil(t, 5*time.Second, "/start answered", func() bool { return len(r.api.Sent("sendMessage", 601)) == 1 })
	m := r.api.Sent("sendMessage", 601)[0]
	if !strings.Contains(m.Form.Get("text"), "Привет") {
		t.Fatalf("ru /start text %q", m.Form.Get("text"))
	}
	if kb := m.Form.Get("reply_markup"); !strings.Contains(kb, `"web_app":{"url":"https://pay.example.com`) {
		t.Fatalf("keyboard without the Mini App button: %s", kb)
	}
	// An admin command from a non-admin is refused and changes nothing.
	if code := post("s3cret", update(4, "/stats")); code != http.StatusOK {
		t.Fatal(code)
	}
	waitUntil(t, 5*time.Second, "/stats refused", func() bool { return len(r.api.Sent("sendMessage", 601)) == 2 })
	if txt := r.api.Sent("sendMessage", 601)[1].Form.Get("text"); !strings.Contains(txt, "только для администраторов") {
		t.Fatalf("non-admin /stats: %q", txt)
	}
}
