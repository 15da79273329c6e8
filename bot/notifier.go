package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// notifier delivers the bot topic of the outbox: deposit, withdrawal and
// admin notices. Each event is marked done only after Telegram accepted its
// message (at least once); a chat gets at most one notice per ChatInterval
// while other chats go on; a 429 pauses everything for retry_after; a user
// who blocked the bot is marked and their notices dropped.
type notifier struct {
	b    *Bot
	wake chan struct{}

	mu      sync.Mutex
	busy    map[int64]bool // chats with a notice in flight
	handled map[int64]bool // events whose sending ended since this pass read the outbox
}

// notifyBatch is how many chats' due events one look at the outbox reads.
const notifyBatch = 256

func newNotifier(b *Bot) *notifier {
	return &notifier{b: b, wake: make(chan struct{}, 1), busy: map[int64]bool{}, handled: map[int64]bool{}}
}

func (n *notifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// run delivers until ctx ends (nil) or a failpoint fires (its error).
func (n *notifier) run(ctx context.Context) error {
	unsubscribe := n.b.db.Subscribe(func(store.Change) { n.poke() })
	defer unsubscribe()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, n.b.cfg.Workers)
	for {
		wait, err := n.pass(ctx, &wg, sem, cancel)
		if err != nil && ctx.Err() == nil {
			n.b.log.Warn("notifier", "err", err)
		}
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			wg.Wait()
			if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
				return c
			}
			return nil
		case <-n.wake:
		case <-tm.C:
		}
		tm.Stop()
	}
}

// pass starts the sending of every due event whose chat is free and ready,
// and says how long to wait before the next look.
func (n *notifier) pass(ctx context.Context, wg *sync.WaitGroup, sem chan struct{}, crash context.CancelCauseFunc) (time.Duration, error) {
	wait := n.b.cfg.PollInterval
	// An event in flight when the outbox is read may end (done, or due
	// later) before this pass reaches it, its chat free again: it must not
	// be sent again from this stale read.
	n.mu.Lock()
	clear(n.handled)
	n.mu.Unlock()
	// The oldest due event of each user only: a chat with a long queue
	// (paced to one a second) must not fill the window and hold up the rest.
	evs, err := n.b.db.DueEventsPerUser(ctx, store.TopicBot, notifyBatch)
	if err != nil {
		return wait, err
	}
	now := time.Now()
	claimed := map[int64]bool{} // one event per chat per pass keeps order
	for _, ev := range evs {
		chats := n.recipients(ev)
		if len(chats) == 0 {
			// Nobody to tell (an admin notice with no admins).
			if err := n.b.db.MarkEventDone(ctx, ev.ID); err != nil {
				return wait, err
			}
			continue
		}
		ready := true
		for _, c := range chats {
			if claimed[c] || n.isBusy(c) {
				ready = false
				break
			}
			if at := n.b.thr.readyAt(c); at.After(now) {
				wait = min(wait, at.Sub(now))
				ready = false
				break
			}
		}
		// After the chats: ended marks the event before it frees them.
		ready = ready && !n.wasHandled(ev.ID)
		for _, c := range chats {
			claimed[c] = true
		}
		if !ready {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return wait, nil
		}
		n.setBusy(chats, true)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem; n.ended(ev.ID, chats); n.poke() }()
			if err := n.deliver(ctx, ev, chats); err != nil {
				var fp *failpointError
				if errors.As(err, &fp) {
					crash(err)
					return
				}
				if ctx.Err() == nil {
					n.b.log.Warn("notice", "event", ev.ID, "type", ev.Type, "err", err)
				}
			}
		}()
	}
	return wait, nil
}

func (n *notifier) isBusy(chat int64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.busy[chat]
}

func (n *notifier) wasHandled(id int64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.handled[id]
}

// ended frees an event's chats and remembers that its sending ended.
func (n *notifier) ended(id int64, chats []int64) {
	n.mu.Lock()
	n.handled[id] = true
	n.mu.Unlock()
	n.setBusy(chats, false)
}

func (n *notifier) setBusy(chats []int64, busy bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range chats {
		if busy {
			n.busy[c] = true
		} else {
			delete(n.busy, c)
		}
	}
}

// recipients are the chats an event goes to: its user, or every admin for
// events addressed to user 0.
func (n *notifier) recipients(ev store.Event) []int64 {
	if ev.UserID != 0 {
		return []int64{ev.UserID}
	}
	return n.b.cfg.AdminIDs
}

// deliver sends one event's message to each of its chats and records the
// outcome. A failpoint error means "crashed here" and is returned as is.
func (n *notifier) deliver(ctx context.Context, ev store.Event, chats []int64) error {
	db := n.b.db
	for _, chat := range chats {
		l := en
		u, err := db.User(ctx, chat)
		switch {
		case err == nil:
			l = langOf(u.LanguageCode)
			if u.BotBlocked {
				if ev.UserID == 0 {
					continue // this admin blocked the bot; the others still hear
				}
				return db.FailEvent(ctx, ev.ID, "user blocked the bot")
			}
		case !errors.Is(err, store.ErrNotFound):
			return n.retry(ctx, ev, err)
		}
		text, kb, ok, err := n.b.notice(ctx, l, ev)
		if err != nil {
			return db.FailEvent(ctx, ev.ID, "unreadable event: "+err.Error())
		}
		if !ok {
			return db.MarkEventDone(ctx, ev.ID) // nothing a person needs to hear
		}
		_, err = n.b.send(ctx, chat, text, kb)
		var tooMany *tg.TooManyRequestsError
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil // shutting down: the event stays due
		case errors.Is(err, tg.ErrorForbidden):
			if berr := db.SetBotBlocked(ctx, chat, true); berr != nil && !errors.Is(berr, store.ErrNotFound) {
				n.b.log.Warn("mark bot blocked", "user", chat, "err", berr)
			}
			if ev.UserID == 0 {
				continue
			}
			return db.FailEvent(ctx, ev.ID, "user blocked the bot")
		case errors.As(err, &tooMany):
			// The throttle already holds every send for retry_after.
			return db.RetryEvent(ctx, ev.ID, time.Now().Add(time.Duration(max(tooMany.RetryAfter, 1))*time.Second), err.Error())
		case errors.Is(err, tg.ErrorBadRequest):
			return db.FailEvent(ctx, ev.ID, err.Error()) // chat not found and the like: retrying cannot help
		default:
			return n.retry(ctx, ev, err)
		}
	}
	if err := n.b.fail("sent"); err != nil {
		return err
	}
	return db.MarkEventDone(ctx, ev.ID)
}

// retry schedules the event again, doubling the wait from RetryBase up to
// ten minutes, or gives it up once it is GiveUpAfter old.
func (n *notifier) retry(ctx context.Context, ev store.Event, cause error) error {
	if time.Since(ev.CreatedAt) >= n.b.cfg.GiveUpAfter {
		return n.b.db.FailEvent(ctx, ev.ID, fmt.Sprintf("given up %v after it was emitted: %v", n.b.cfg.GiveUpAfter, cause))
	}
	d := n.b.cfg.RetryBase << min(ev.Attempts, 12)
	d = min(d, 10*time.Minute)
	return n.b.db.RetryEvent(ctx, ev.ID, time.Now().Add(d), cause.Error())
}

// notice renders an event for a chat in language l; ok is false for events
// nobody needs to be told about.
func (b *Bot) notice(ctx context.Context, l lang, ev store.Event) (text string, kb models.ReplyMarkup, ok bool, err error) {
	switch ev.Type {
	case store.EventDepositCredited:
		var d store.DepositEvent
		if err := json.Unmarshal(ev.Payload, &d); err != nil {
			return "", nil, false, err
		}
		text = l.t("notice_deposit", esc(b.amount(units(d.Amount), d.Asset)), esc(b.amount(units(d.Balance), d.Asset)))
		switch {
		case d.Late:
			text += "\n" + l.t("notice_deposit_late")
		case d.Duplicate:
			text += "\n" + l.t("notice_deposit_duplicate")
		}
		if link := b.txLink(d.TxHash); link != "" {
			text += "\n" + l.t("notice_explorer", esc(link))
		}
		return text, nil, true, nil
	case store.EventWithdrawalAwaiting, store.EventWithdrawalQueued, store.EventWithdrawalSent, store.EventWithdrawalConfirmed,
		store.EventWithdrawalFailed, store.EventWithdrawalRefunded, store.EventWithdrawalRejected:
		var w store.WithdrawalEvent
		if err := json.Unmarshal(ev.Payload, &w); err != nil {
			return "", nil, false, err
		}
		amt, fee := esc(b.amount(units(w.Amount), w.Asset)), esc(b.amount(units(w.Fee), w.FeeAsset))
		dest := esc(b.friendly(w.Destination))
		switch w.Status {
		case store.WithdrawalAwaitingApproval:
			who := esc(b.userLabel(ctx, w.UserID))
			if w.MerchantID != 0 {
				who = fmt.Sprintf("merchant %d", w.MerchantID)
			}
			return l.t("notice_approval", w.WithdrawalID, amt, fee, who, dest), adminKeyboard(l, w.WithdrawalID), true, nil
		case store.WithdrawalQueued: // an admin approved it
			text = l.t("notice_withdrawal_approved", amt, dest)
		case store.WithdrawalSent:
			text = l.t("notice_withdrawal_sent", amt, dest)
		case store.WithdrawalConfirmed:
			text = l.t("notice_withdrawal_confirmed", amt, dest)
		case store.WithdrawalFailed:
			text = l.t("notice_withdrawal_failed", amt, esc(w.Error))
		case store.WithdrawalRefunded:
			text = l.t("notice_withdrawal_refunded", amt, fee)
		case store.WithdrawalRejected:
			text = l.t("notice_withdrawal_rejected", amt, fee)
		}
		if link := b.txLink(w.TxHash); link != "" {
			text += "\n" + l.t("notice_explorer", esc(link))
		}
		return text, nil, true, nil
	case store.EventWebhookDisabled:
		var d store.WebhookDisabled
		if err := json.Unmarshal(ev.Payload, &d); err != nil {
			return "", nil, false, err
		}
		return l.t("notice_webhook_disabled", esc(d.Name), d.MerchantID, esc(d.URL), esc(d.Reason)), nil, true, nil
	case store.EventPayerPaused:
		var p struct {
			Reason, Asset, Need, Available string
			WithdrawalID                   int64 `json:"withdrawal_id"`
		}
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return "", nil, false, err
		}
		return l.t("notice_payer_paused", esc(symbol(p.Asset)), esc(p.Reason), esc(p.Need), esc(p.Available)), nil, true, nil
	case store.EventLedgerForeign:
		var f store.ForeignNotice
		if err := json.Unmarshal(ev.Payload, &f); err != nil {
			return "", nil, false, err
		}
		what := esc(f.Note)
		if f.Amount != "" && f.Amount != "0" {
			what = l.t("notice_foreign_amount", esc(f.Amount), esc(symbol(f.Asset))) + " " + what
		}
		text := l.t("notice_foreign", what)
		if link := b.txLink(f.TxHash); link != "" {
			text += "\n" + l.t("notice_explorer", esc(link))
		}
		return text, nil, true, nil
	case store.EventLedgerDrift:
		var d store.DriftNotice
		if err := json.Unmarshal(ev.Payload, &d); err != nil {
			return "", nil, false, err
		}
		return b.driftNotice(ctx, l, d), nil, true, nil
	case store.EventStarsPaid, store.EventStarsRefunded, store.EventStarsRefundShortfall, store.EventStarsMissing:
		text, err := b.starsNotice(l, ev)
		return text, nil, err == nil, err
	case store.EventStarsSubscriptionChange:
		text, err := subscriptionNotice(l, ev)
		return text, nil, err == nil, err
	}
	return "", nil, false, nil
}

// driftNotice tells an admin the ledger differs from the chain. Whether
// payouts are paused is read now, not when the drift was found: the store
// pauses them for a new drift unless an admin already acknowledged it, and
// another admin may have resumed them since.
func (b *Bot) driftNotice(ctx context.Context, l lang, d store.DriftNotice) string {
	lines := make([]string, 0, len(d.Assets))
	for _, a := range d.Assets {
		drift := a.Drift
		if drift != "" && drift != "0" && !strings.HasPrefix(drift, "-") {
			drift = "+" + drift
		}
		lines = append(lines, l.t("notice_drift_asset", esc(symbol(a.Asset)), esc(a.Chain), esc(a.Ledger), esc(drift)))
	}
	state := l.t("notice_drift_paused")
	if _, paused, err := b.db.PayoutPause(ctx); err != nil {
		b.log.Warn("drift notice: payout pause", "err", err)
	} else if !paused {
		state = l.t("notice_drift_running")
	}
	return l.t("notice_drift", d.Block, strings.Join(lines, "\n"), state)
}

func init() {
	for k, v := range map[string]string{
		"notice_deposit":              "✅ Top-up received: <b>+%s</b>\nBalance: <b>%s</b>",
		"notice_deposit_late":         "The invoice had expired, so the payment went to your balance.",
		"notice_deposit_duplicate":    "The invoice was already paid, so this payment went to your balance.",
		"notice_explorer":             `<a href="%s">View in the explorer</a>`,
		"notice_approval":             "🛂 Withdrawal #%d waits for approval: <b>%s</b> (fee %s) by %s to <code>%s</code>",
		"notice_withdrawal_approved":  "✅ Your withdrawal of <b>%s</b> to <code>%s</code> was approved; it leaves with the next batch.",
		"notice_withdrawal_sent":      "↗️ Your withdrawal of <b>%s</b> to <code>%s</code> is on its way.",
		"notice_withdrawal_confirmed": "✅ Your withdrawal of <b>%s</b> to <code>%s</code> has arrived.",
		"notice_withdrawal_failed":    "⚠️ Your withdrawal of <b>%s</b> failed: %s. The money goes back to your balance.",
		"notice_withdrawal_refunded":  "↩️ Your withdrawal of <b>%s</b> was returned to your balance with its fee (%s).",
		"notice_withdrawal_rejected":  "❌ Your withdrawal of <b>%s</b> was declined; it and its fee (%s) are back on your balance.",
		"notice_webhook_disabled":     "🔕 Webhooks of merchant %s (#%d) to %s are disabled: %s. Fix the endpoint and run tonpay merchant set-webhook.",
		"notice_payer_paused":         "⏸ Payouts of %s are paused: %s (need %s, hot wallet has %s). Top up the hot wallet.",
		"notice_foreign":              "🚨 <b>The hot wallet did something tonpay did not sign.</b> %s\nSomeone else may hold its seed: move the funds to a new wallet. Payouts are paused until /resume.",
		"notice_foreign_amount":       "%s %s left it.",
		"notice_drift":                "🚨 <b>Ledger drift</b> at block %d: what the ledger says our wallets hold differs from the chain.\n%s\n\n%s",
		"notice_drift_asset":          "• %s: chain <b>%s</b>, ledger <b>%s</b>, drift <b>%s</b>",
		"notice_drift_paused":         "⏸ Payouts are paused. Check on the server with <code>tonpay reconcile</code> (a transfer the service has not booked yet shows as a passing difference: run it twice). Once the difference is explained, send /resume.",
		"notice_drift_running":        "▶️ Payouts were not paused: an administrator already acknowledged this drift with /resume. Check on the server with <code>tonpay reconcile</code>; /pause stops payouts.",
	} {
		catalog[en][k] = v
	}
	for k, v := range map[string]string{
		"notice_deposit":              "✅ Пополнение получено: <b>+%s</b>\nБаланс: <b>%s</b>",
		"notice_deposit_late":         "Счёт уже истёк, поэтому платёж зачислен на ваш баланс.",
		"notice_deposit_duplicate":    "Счёт уже был оплачен, поэтому платёж зачислен на ваш баланс.",
		"notice_explorer":             `<a href="%s">Открыть в обозревателе</a>`,
		"notice_approval":             "🛂 Вывод #%d ждёт одобрения: <b>%s</b> (комиссия %s), %s, на <code>%s</code>",
		"notice_withdrawal_approved":  "✅ Вывод <b>%s</b> на <code>%s</code> одобрен и уйдёт со следующей отправкой.",
		"notice_withdrawal_sent":      "↗️ Вывод <b>%s</b> на <code>%s</code> отправлен.",
		"notice_withdrawal_confirmed": "✅ Вывод <b>%s</b> на <code>%s</code> дошёл.",
		"notice_withdrawal_failed":    "⚠️ Вывод <b>%s</b> не удался: %s. Деньги вернутся на ваш баланс.",
		"notice_withdrawal_refunded":  "↩️ Вывод <b>%s</b> возвращён на баланс вместе с комиссией (%s).",
		"notice_withdrawal_rejected":  "❌ Вывод <b>%s</b> отклонён; сумма и комиссия (%s) снова на балансе.",
		"notice_webhook_disabled":     "🔕 Вебхуки мерчанта %s (#%d) на %s отключены: %s. Исправьте адрес и выполните tonpay merchant set-webhook.",
		"notice_payer_paused":         "⏸ Выплаты %s приостановлены: %s (нужно %s, на горячем кошельке %s). Пополните горячий кошелёк.",
		"notice_foreign":              "🚨 <b>Горячий кошелёк сделал то, чего tonpay не подписывал.</b> %s\nВозможно, его сид есть у кого-то ещё: переведите средства на новый кошелёк. Выплаты приостановлены до /resume.",
		"notice_foreign_amount":       "С него ушло %s %s.",
		"notice_drift":                "🚨 <b>Расхождение учёта</b> в блоке %d: по учёту на наших кошельках не столько, сколько в сети.\n%s\n\n%s",
		"notice_drift_asset":          "• %s: в сети <b>%s</b>, по учёту <b>%s</b>, расхождение <b>%s</b>",
		"notice_drift_paused":         "⏸ Выплаты приостановлены. Проверьте на сервере: <code>tonpay reconcile</code> (перевод, который сервис ещё не учёл, даёт временную разницу: запустите дважды). Когда причина ясна, отправьте /resume.",
		"notice_drift_running":        "▶️ Выплаты не остановлены: администратор уже подтвердил это расхождение командой /resume. Проверьте на сервере: <code>tonpay reconcile</code>; /pause останавливает выплаты.",
	} {
		catalog[ru][k] = v
	}
}
