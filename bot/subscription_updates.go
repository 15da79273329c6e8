package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// Bot API 10.2 `subscription` updates: a user's Stars subscription was
// canceled, failed to renew, or was restored.
//
// go-telegram/bot v1.19.0 speaks Bot API 9.4: it decodes an update into a
// models.Update that has no such field, so the handler gets an update with
// nothing but its update_id. The raw body is therefore read before the
// library decodes it, in the two places every update passes: the getUpdates
// answers through the HTTP client the library is given (pollClient), and
// the webhook posts (WebhookHandler). The subscription field is kept by
// update_id (rawUpdates) until the handler gets that update, so it is
// handled in order, on the library's workers, like any other. When the
// library learns the type, read u.Subscription instead and delete this.

// allowedUpdateSubscription is the update's name in allowed_updates.
const allowedUpdateSubscription = "subscription"

// botSubscriptionUpdated is the Bot API's BotSubscriptionUpdated, the
// field `subscription` of an Update. The field names are the Bot API's
// (core.telegram.org/bots/api#botsubscriptionupdated): user,
// invoice_payload, state; state is "canceled" (the user canceled it),
// "active" (the user re-enabled a canceled one) or "failed" (the renewal
// payment failed). This type and change are the only places that know them.
type botSubscriptionUpdated struct {
	User           *models.User `json:"user"`
	InvoicePayload string       `json:"invoice_payload"`
	State          string       `json:"state"`
}

// change is what the update says, in the store's words.
func (s botSubscriptionUpdated) change() (store.SubscriptionChange, bool) {
	switch s.State {
	case "canceled":
		return store.SubscriptionCanceled, true
	case "failed":
		return store.SubscriptionPaymentFailed, true
	case "active":
		return store.SubscriptionRestored, true
	}
	return "", false
}

// rawUpdates keeps the subscription field of updates read raw, by
// update_id, until the handler takes it.
type rawUpdates struct {
	mu   sync.Mutex
	subs map[int64]botSubscriptionUpdated
}

// maxRawUpdates bounds what is kept of updates the library never handed
// on (it drops what it holds when it stops); Telegram delivers them again.
const maxRawUpdates = 4096

func newRawUpdates() *rawUpdates { return &rawUpdates{subs: map[int64]botSubscriptionUpdated{}} }

// keep reads one update object.
func (r *rawUpdates) keep(raw []byte) {
	var u struct {
		ID           int64                   `json:"update_id"`
		Subscription *botSubscriptionUpdated `json:"subscription"`
	}
	if json.Unmarshal(raw, &u) != nil || u.Subscription == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.subs) >= maxRawUpdates {
		clear(r.subs)
	}
	r.subs[u.ID] = *u.Subscription
}

// keepAll reads a getUpdates answer.
func (r *rawUpdates) keepAll(body []byte) {
	var res struct {
		Result []json.RawMessage `json:"result"`
	}
	if json.Unmarshal(body, &res) != nil {
		return
	}
	for _, u := range res.Result {
		r.keep(u)
	}
}

// take returns and forgets the subscription field of an update.
func (r *rawUpdates) take(id int64) (botSubscriptionUpdated, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.subs[id]
	delete(r.subs, id)
	return s, ok
}

// pollClient is the HTTP client the library polls with: it passes every
// call on and reads the getUpdates answers raw on the way back.
type pollClient struct {
	next tg.HttpClient
	raw  *rawUpdates
}

// pollTimeout is the library's default: the client's timeout, and
// getUpdates' long-poll timeout a second under it.
const pollTimeout = time.Minute

func newPollClient(raw *rawUpdates) pollClient {
	return pollClient{next: &http.Client{Timeout: pollTimeout}, raw: raw}
}

func (p pollClient) Do(req *http.Request) (*http.Response, error) {
	res, err := p.next.Do(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/getUpdates") {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	p.raw.keepAll(body)
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// onSubscription books a subscription update. It moves no credits; the
// user hears from the notifier when the state moved. A redelivered update
// books nothing (store.BookSubscriptionUpdate).
func (b *Bot) onSubscription(ctx context.Context, updateID int64, s botSubscriptionUpdated) {
	change, ok := s.change()
	if !ok || s.User == nil {
		b.log.Warn("subscription update not understood", "update", updateID, "state", s.State)
		return
	}
	res, err := b.db.BookSubscriptionUpdate(ctx, store.SubscriptionUpdate{UpdateID: updateID, UserID: s.User.ID, Payload: s.InvoicePayload,
		Change: change})
	if err != nil {
		b.log.Error("book subscription update", "update", updateID, "user", s.User.ID, "state", s.State, "err", err)
		return
	}
	switch {
	case !res.Created:
		b.log.Debug("subscription update booked before", "update", updateID)
	case res.Outcome == store.SubUpdateUnknown:
		b.log.Warn("subscription update for no subscription of ours", "update", updateID, "user", s.User.ID, "payload", s.InvoicePayload,
			"state", s.State)
	case res.Outcome == store.SubUpdateChanged:
		b.log.Info("subscription updated", "user", s.User.ID, "package", res.Subscription.Package, "change", change)
		b.notifier.poke()
	}
}

// subscriptionNotice renders a "stars.subscription" event.
func subscriptionNotice(l lang, ev store.Event) (string, error) {
	var e store.StarSubscriptionEvent
	if err := json.Unmarshal(ev.Payload, &e); err != nil {
		return "", err
	}
	ends := stamp(time.Unix(e.ExpiresAt, 0))
	switch store.SubscriptionChange(e.Change) {
	case store.SubscriptionCanceled:
		return l.t("notice_sub_canceled", esc(e.Package), ends), nil
	case store.SubscriptionPaymentFailed:
		return l.t("notice_sub_failed", esc(e.Package), ends), nil
	}
	return l.t("notice_sub_restored", esc(e.Package), ends), nil
}

func init() {
	for k, v := range map[string]string{
		"notice_sub_canceled": "✖️ Your subscription <b>%s</b> is canceled: it will not renew. The paid month runs to %s UTC; your credits stay yours.",
		"notice_sub_failed":   "⚠️ Telegram could not renew <b>%s</b>: the payment failed. No new credits after %s UTC unless the renewal is paid; the credits you have stay yours.",
		"notice_sub_restored": "🔁 Your subscription <b>%s</b> is active again: it renews on %s UTC.",
		"sub_failed":          "• <b>%s</b>: ⭐ %d a month for %d credits; the renewal payment failed, credits stop on %s UTC",
		"sub_expired_failed":  "• <b>%s</b>: ended on %s UTC (the renewal payment failed)",
	} {
		catalog[en][k] = v
	}
	for k, v := range map[string]string{
		"notice_sub_canceled": "✖️ Ваша подписка <b>%s</b> отменена: продления не будет. Оплаченный месяц действует до %s UTC; кредиты остаются у вас.",
		"notice_sub_failed":   "⚠️ Telegram не смог продлить <b>%s</b>: платёж не прошёл. Новых кредитов после %s UTC не будет, пока продление не оплачено; имеющиеся кредиты остаются у вас.",
		"notice_sub_restored": "🔁 Ваша подписка <b>%s</b> снова активна: продление %s UTC.",
		"sub_failed":          "• <b>%s</b>: ⭐ %d в месяц за %d кредитов; платёж за продление не прошёл, кредиты до %s UTC",
		"sub_expired_failed":  "• <b>%s</b>: закончилась %s UTC (платёж за продление не прошёл)",
	} {
		catalog[ru][k] = v
	}
}
