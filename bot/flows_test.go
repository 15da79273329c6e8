package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

func TestLongPollingTakesUpdatesFromGetUpdates(t *testing.T) {
	r := newRig(t) // no WebhookURL: long polling; updates pushed to the stand-in's queue
	r.start()
	waitUntil(t, 5*time.Second, "deleteWebhook before polling", func() bool { return len(r.api.Sent("deleteWebhook", 0)) == 1 })

	const id = 1001
	r.api.Push(map[string]any{"message": map[string]any{"message_id": 1, "date": time.Now().Unix(),
		"chat": map[string]any{"id": id, "type": "private"}, "from": from(id, "ru"), "text": "/balance"}})
	waitUntil(t, 5*time.Second, "/balance answered", func() bool { return len(r.api.Sent("sendMessage", id)) == 1 })
	if txt := r.api.Sent("sendMessage", id)[0].Form.Get("text"); !strings.Contains(txt, "0 GRAM") || !strings.ContainsAny(txt, "абвгдеёжзийклмнопрстуфхцчшщыьэюя") {
		t.Fatalf("ru /balance over long polling: %q", txt)
	}
	if _, err := r.db.User(context.Background(), id); err != nil {
		t.Fatalf("user not registered from a polled update: %v", err)
	}

	// A button press arrives the same way and is answered once.
	r.api.Push(map[string]any{"callback_query": map[string]any{"id": "poll-q", "from": from(id, "ru"), "chat_instance": "1", "data": "m:balance",
		"message": map[string]any{"message_id": 2, "date": time.Now().Unix(), "chat": map[string]any{"id": id, "type": "private"}, "text": "x"}}})
	waitUntil(t, 5*time.Second, "callback answered", func() bool { return len(r.api.Sent("answerCallbackQuery", 0)) == 1 })
	if a := r.api.Sent("answerCallbackQuery", 0)[0]; a.Form.Get("callback_query_id") != "poll-q" {
		t.Fatalf("answered %v", a.Form)
	}
	waitUntil(t, 5*time.Second, "balance from the button", func() bool { return len(r.api.Sent("sendMessage", id)) == 2 })
	// Each update is handled once even though getUpdates is asked again and
	// again (the library moves the offset on).
	time.Sleep(500 * time.Millisecond)
	if n := len(r.api.Sent("sendMessage", id)); n != 2 {
		t.Fatalf("%d replies to 2 updates", n)
	}
}

func TestHistoryPagesThroughButtons(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	const id = 1101
	c.say(id, "en", "/start", "sendMessage")
	for i := 1; i <= historyPage+2; i++ {
		_, err := c.r.db.Post(ctx, store.Transfer{Key: fmt.Sprint("dep-", i), Kind: store.TransferDeposit, Ref: fmt.Sprintf("%064x", i), Postings: []store.Posting{
			{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -store.Amount(i) * 1_000_000_000},
			{Account: store.UserAccount(id), Asset: store.TON.Symbol, Amount: store.Amount(i) * 1_000_000_000}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// First page: the ten newest (12 … 3 GRAM) and an "Older" button.
	first := c.say(id, "en", "/history", "sendMessage")
	txt, kb := first.Form.Get("text"), first.Form.Get("reply_markup")
	for i := 3; i <= historyPage+2; i++ {
		if !strings.Contains(txt, fmt.Sprintf("+%d GRAM", i)) {
			t.Fatalf("first page lacks +%d GRAM: %q", i, txt)
		}
	}
	if strings.Contains(txt, "+2 GRAM") || strings.Contains(txt, "+1 GRAM") {
		t.Fatalf("first page shows older entries: %q", txt)
	}
	if !strings.Contains(txt, ton.TxLink(true, fmt.Sprintf("%064x", 12))) {
		t.Fatalf("history without the deposit's explorer link: %q", txt)
	}
	if !strings.Contains(kb, `"callback_data":"h:`) || strings.Contains(kb, `"h:0"`) {
		t.Fatalf("first page keyboard: %s", kb)
	}
	older := kb[strings.Index(kb, `"h:`)+1:]
	older = older[:strings.Index(older, `"`)]
	msgID := 4242

	// Older: the message is edited in place to the two oldest, with a way back.
	before := len(c.r.api.Sent("editMessageText", id))
	c.press(id, "en", older, msgID)
	page2 := c.next("editMessageText", id, before)
	if page2.Form.Get("message_id") != strconv.Itoa(msgID) {
		t.Fatalf("edited message %s, pressed under %d", page2.Form.Get("message_id"), msgID)
	}
	txt, kb = page2.Form.Get("text"), page2.Form.Get("reply_markup")
	if !strings.Contains(txt, "+2 GRAM") || !strings.Contains(txt, "+1 GRAM") || strings.Contains(txt, "+3 GRAM") {
		t.Fatalf("second page: %q", txt)
	}
	if !strings.Contains(kb, `"callback_data":"h:0"`) || strings.Count(kb, `"callback_data"`) != 1 {
		t.Fatalf("second page keyboard (want only Newest): %s", kb)
	}

	// Newest again.
	before = len(c.r.api.Sent("editMessageText", id))
	c.press(id, "en", "h:0", msgID)
	if txt := c.next("editMessageText", id, before).Form.Get("text"); !strings.Contains(txt, "+12 GRAM") || strings.Contains(txt, "+2 GRAM") {
		t.Fatalf("back to the newest: %q", txt)
	}
}

func TestNonAdminButtonsChangeNothing(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	db := c.r.db
	const owner, stranger = 1201, 1202
	c.r.user(owner, "en")
	_, err := db.Post(ctx, store.Transfer{Key: "fund", Kind: store.TransferDeposit, Ref: strings.Repeat("ab", 32), Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -10_000_000_000}, {Account: store.UserAccount(owner), Asset: store.TON.Symbol, Amount: 10_000_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: owner, IdemKey: "k", Asset: store.TON.Symbol, Amount: 4_000_000_000,
		Fee: 0, FeeAsset: store.TON.Symbol, Destination: "0:" + strings.Repeat("22", 32), NeedsApproval: true})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "approval notice", func() bool { return len(c.r.api.Sent("sendMessage", testAdmin)) == 1 })

	for _, data := range []string{fmt.Sprintf("wa:%d", w.ID), fmt.Sprintf("wr:%d", w.ID), fmt.Sprintf("wa:%d:l", w.ID), "u:0"} {
		for _, who := range []int64{stranger, owner} {
			a := c.press(who, "en", data, 7)
			if a.Form.Get("show_alert") != "true" || !strings.Contains(a.Form.Get("text"), "Only administrators") {
				t.Fatalf("%d pressed %s: answer %v", who, data, a.Form)
			}
		}
	}
	for _, cmd := range []string{"/stats", "/pending", "/unmatched"} {
		if txt := c.say(stranger, "en", cmd, "sendMessage").Form.Get("text"); !strings.Contains(txt, "administrators only") {
			t.Fatalf("non-admin %s: %q", cmd, txt)
		}
	}
	got, err := db.Withdrawal(ctx, w.ID)
	if err != nil || got.Status != store.WithdrawalAwaitingApproval {
		t.Fatalf("withdrawal after refused presses: %+v %v", got, err)
	}
	if bal, _ := db.Balance(ctx, store.UserAccount(owner), store.TON.Symbol); bal != 6_000_000_000 {
		t.Fatalf("owner balance %d, want the 6 GRAM left after the hold", bal)
	}
	if n := len(c.r.api.Sent("editMessageText", 0)); n != 0 {
		t.Fatalf("%d messages edited for refused presses", n)
	}
	if n := len(c.r.api.Sent("sendMessage", owner)); n != 0 {
		t.Fatalf("the owner was told %d things though nothing was decided", n)
	}
}

func TestUnmatchedListedForAdmin(t *testing.T) {
	c := newChatter(t)
	ctx := context.Background()
	hot := "0:" + strings.Repeat("11", 32)
	hash := strings.Repeat("7e", 32)
	res, err := c.r.db.ApplyChainTx(ctx, store.DepositTx(store.ChainEvent{Account: hot, LT: 10, Hash: hash, Time: time.Now(), Kind: store.KindCredited}, store.Incoming{Asset: store.TON.Symbol, Amount: 3_250_000_000, Sender: "0:" + strings.Repeat("33", 32), Comment: "NOBODY42", Min: 1000}, 0))
	if err != nil || res.Kind != store.KindUnmatched {
		t.Fatalf("apply: %+v %v", res, err)
	}
	txt := c.say(testAdmin, "en", "/unmatched", "sendMessage").Form.Get("text")
	for _, want := range []string{"3.25 GRAM", "NOBODY42", ton.TxLink(true, hash)} {
		if !strings.Contains(txt, want) {
			t.Fatalf("/unmatched lacks %q: %q", want, txt)
		}
	}
	// Assigned in the Mini App's dashboard: the list says to whom.
	c.r.user(1501, "en")
	evs, _ := c.r.db.ChainEvents(ctx, 0, 1)
	if _, err := c.r.db.AssignUnmatched(ctx, store.AdminActor(testAdmin, ""), evs[0].ID, 1501, 0); err != nil {
		t.Fatal(err)
	}
	if txt := c.say(testAdmin, "en", "/unmatched", "sendMessage").Form.Get("text"); !strings.Contains(txt, "Assigned to") || !strings.Contains(txt, "1501") {
		t.Fatalf("/unmatched after assigning: %q", txt)
	}
}

func TestNotifierRetriesTransientErrorsWithBackoff(t *testing.T) {
	r := newRig(t)
	r.user(1301, "en")
	fails := 2
	var mu sync.Mutex
	r.api.Reply = func(c call) map[string]any {
		mu.Lock()
		defer mu.Unlock()
		if c.Method == "sendMessage" && fails > 0 {
			fails--
			return map[string]any{"ok": false, "error_code": 500, "description": "Internal Server Error"}
		}
		return nil
	}
	r.deposit(1301, 1_000_000_000)
	evs, err := r.db.DueEvents(context.Background(), store.TopicBot, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	r.start()
	waitUntil(t, 10*time.Second, "delivered on the third try", func() bool { return len(r.api.Sent("sendMessage", 1301)) == 3 })
	waitUntil(t, 5*time.Second, "event done", func() bool { _, done, _ := r.db.Event(context.Background(), evs[0].ID); return done })
	msgs := r.api.Sent("sendMessage", 1301)
	// Backoff doubles from RetryBase.
	if g := msgs[1].At.Sub(msgs[0].At); g < r.cfg.RetryBase {
		t.Fatalf("first retry after %v, RetryBase %v", g, r.cfg.RetryBase)
	}
	if g := msgs[2].At.Sub(msgs[1].At); g < 2*r.cfg.RetryBase {
		t.Fatalf("second retry after %v, want ≥ %v", g, 2*r.cfg.RetryBase)
	}
	ev, _, _ := r.db.Event(context.Background(), evs[0].ID)
	if ev.Attempts != 3 {
		t.Fatalf("attempts %d, want 3", ev.Attempts)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(r.api.Sent("sendMessage", 1301)); n != 3 {
		t.Fatalf("%d sends after delivery", n)
	}
}

func TestNotifierGivesUpOnBadRequest(t *testing.T) {
	r := newRig(t)
	r.api.Reply = func(c call) map[string]any {
		if c.Method == "sendMessage" && c.Form.Get("chat_id") == "1401" {
			return map[string]any{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}
		}
		return nil
	}
	r.deposit(1401, 1_000_000_000)
	r.deposit(1402, 1_000_000_000)
	r.start()
	waitUntil(t, 5*time.Second, "both handled", func() bool { return r.pending() == 0 && len(r.api.Sent("sendMessage", 1402)) == 1 })
	time.Sleep(3 * r.cfg.PollInterval)
	if n := len(r.api.Sent("sendMessage", 1401)); n != 1 {
		t.Fatalf("%d sends to a chat Telegram does not know, want 1", n)
	}
}

func TestNoticesFromTheStoreInTheUsersLanguage(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	u := r.user(1501, "ru")
	r.start()

	// A real deposit by the user's comment: the scanner's transaction emits
	// deposit.credited, and the user hears amount, balance and the link.
	hot := "0:" + strings.Repeat("11", 32)
	hash := strings.Repeat("5d", 32)
	res, err := r.db.ApplyChainTx(ctx, store.DepositTx(store.ChainEvent{Account: hot, LT: 20, Hash: hash, Time: time.Now(), Kind: store.KindCredited}, store.Incoming{Asset: store.TON.Symbol, Amount: 2_500_000_000, Sender: "0:" + strings.Repeat("33", 32), Comment: u.Comment, Min: 1000}, 0))
	if err != nil || res.UserID != u.ID {
		t.Fatalf("apply: %+v %v", res, err)
	}
	waitUntil(t, 5*time.Second, "deposit notice", func() bool { return len(r.api.Sent("sendMessage", u.ID)) == 1 })
	txt := r.api.Sent("sendMessage", u.ID)[0].Form.Get("text")
	for _, want := range []string{"Пополнение получено", "+2.5 GRAM", "Баланс: <b>2.5 GRAM</b>", ton.TxLink(true, hash)} {
		if !strings.Contains(txt, want) {
			t.Fatalf("deposit notice lacks %q: %q", want, txt)
		}
	}

	// A withdrawal that reached its destination.
	whash := strings.Repeat("6e", 32)
	err = r.db.Emit(ctx, store.TopicBot, "withdrawal."+store.WithdrawalConfirmed, u.ID, 0, store.WithdrawalEvent{WithdrawalID: 7, UserID: u.ID,
		Status: store.WithdrawalConfirmed, Asset: store.TON.Symbol, Amount: "1000000000", Fee: "0", FeeAsset: store.TON.Symbol,
		Destination: "0:" + strings.Repeat("22", 32), TxHash: whash})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "withdrawal notice", func() bool { return len(r.api.Sent("sendMessage", u.ID)) == 2 })
	txt = r.api.Sent("sendMessage", u.ID)[1].Form.Get("text")
	for _, want := range []string{"дошёл", "1 GRAM", ton.TxLink(true, whash)} {
		if !strings.Contains(txt, want) {
			t.Fatalf("withdrawal notice lacks %q: %q", want, txt)
		}
	}
	waitUntil(t, 5*time.Second, "outbox drained", func() bool { return r.pending() == 0 })
}

// One chat with a long queue (more than one look at the outbox reads) must
// not hold up the other chats' notices behind its one-a-second pace.
func TestNotifierLongQueueOfOneChatDoesNotBlockOthers(t *testing.T) {
	r := newRig(t)
	const busy, other = 1601, 1602
	r.user(busy, "en")
	r.user(other, "en")
	for i := range notifyBatch + 50 {
		r.deposit(busy, store.Amount(1_000_000_000+i))
	}
	r.deposit(other, 7_000_000_000)
	r.start()
	waitUntil(t, 3*time.Second, "the other chat's notice", func() bool { return len(r.api.Sent("sendMessage", other)) == 1 })
	if n := len(r.api.Sent("sendMessage", busy)); n > 3*int(time.Second/r.cfg.ChatInterval)+1 {
		t.Fatalf("busy chat got %d notices in about 3 s (interval %v)", n, r.cfg.ChatInterval)
	}
}

// A notice that keeps failing is given up GiveUpAfter after it was emitted,
// and the chat's later notice, held behind it to keep their order, follows
// then and not before.
func TestNotifierGivesUpAStaleNoticeAndTheNextFollows(t *testing.T) {
	const giveUp = 600 * time.Millisecond
	r := newRig(t, func(c *Config) { c.GiveUpAfter = giveUp })
	r.user(1311, "en")
	r.api.Reply = func(c call) map[string]any {
		if c.Method == "sendMessage" && strings.Contains(c.Form.Get("text"), "7.5") {
			return map[string]any{"ok": false, "error_code": 500, "description": "Internal Server Error"}
		}
		return nil
	}
	r.deposit(1311, 7_500_000_000) // its notice always fails
	evs, err := r.db.DueEvents(context.Background(), store.TopicBot, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	emitted := time.Now()
	r.deposit(1311, 2_000_000_000)
	r.start()
	waitUntil(t, 10*time.Second, "the second notice delivered", func() bool {
		for _, text := range r.api.Texts(1311) {
			if strings.Contains(text, "2 GRAM") || strings.Contains(text, "+2") {
				return true
			}
		}
		return false
	})
	if since := time.Since(emitted); since < giveUp {
		t.Fatalf("the second notice came %v after the first was emitted, before the first was given up (%v)", since, giveUp)
	}
	ev, done, err := r.db.Event(context.Background(), evs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if done || ev.Attempts < 2 {
		t.Fatalf("the failing notice: done %v after %d attempts, want failed after retries", done, ev.Attempts)
	}
}
