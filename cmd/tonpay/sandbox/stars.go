package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tonpay/tonpay/store"
)

// Telegram Stars in the sandbox's Telegram stand-in, as strict as Telegram
// where the bot can tell: invoices (sendInvoice in a chat,
// createInvoiceLink for the Mini App and subscriptions), the payment as
// Telegram runs it (a pre_checkout_query the bot must approve within 10 s,
// then successful_payment), subscriptions (renewals, editUserStarSubscription,
// and the Bot API 10.2 subscription updates — canceled, failed, restored —
// played from the sandbox page), refunds (refundStarPayment, then the
// refunded_payment message) and the transaction list the bot reconciles
// with (getStarTransactions, getMyStarBalance). The user's side is the
// chat panel's Pay button and the Mini App's openInvoice (inject.js).

// starsState is the stand-in's Stars books (guarded by tgStandIn.mu).
type starsState struct {
	invoices map[string]starInvoice      // slug → invoice
	answers  map[string]chan preCheckout // pre_checkout_query id → the bot's answer
	txs      []map[string]any            // star transactions, oldest first
	subs     []*starSub                  // subscriptions, oldest first
	charged  map[string]*starCharge      // charge id → payment
	seq      int
}

type starInvoice struct {
	Title, Payload string
	Amount, Period int
}

type preCheckout struct {
	OK      bool
	Message string
}

type starCharge struct {
	user     int64
	amount   int
	payload  string
	refunded bool
}

type starSub struct {
	user     int64
	inv      starInvoice
	charge   string // the first payment's: names the subscription
	expires  int64
	canceled bool
}

// starsMethod answers the Bot API's Stars methods; handled is false for
// any other method. A non-empty refusal is a 400 with that description.
func (t *tgStandIn) starsMethod(method string, r *http.Request) (result any, refusal string, handled bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.stars
	if s.invoices == nil {
		s.invoices, s.answers, s.charged = map[string]starInvoice{}, map[string]chan preCheckout{}, map[string]*starCharge{}
	}
	switch method {
	case "sendInvoice", "createInvoiceLink":
		inv, refusal := readInvoice(r)
		if refusal != "" {
			return nil, refusal, true
		}
		if inv.Period > 0 && method == "sendInvoice" {
			return nil, "Bad Request: subscription_period is for invoice links", true
		}
		s.seq++
		slug := "sandbox" + strconv.Itoa(s.seq)
		s.invoices[slug] = inv
		link := "https://t.me/$" + slug
		if method == "createInvoiceLink" {
			return link, "", true
		}
		chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
		kb, _ := json.Marshal(map[string]any{"inline_keyboard": [][]map[string]any{{{"text": fmt.Sprintf("Pay ⭐ %d", inv.Amount), "url": link}}}})
		m := chatMsg{ID: t.nextID, From: "bot", Text: "<b>" + esc(inv.Title) + "</b>\n" + esc(r.FormValue("description")) + fmt.Sprintf("\n⭐ %d", inv.Amount),
			HTML: true, Markup: kb, At: time.Now().Unix()}
		t.nextID++
		t.chats[chat] = append(t.chats[chat], m)
		t.bump()
		return t.message(chat, m), "", true
	case "answerPreCheckoutQuery":
		ch, ok := s.answers[r.FormValue("pre_checkout_query_id")]
		if !ok {
			return nil, "Bad Request: query is too old and response timeout expired or query ID is invalid", true
		}
		delete(s.answers, r.FormValue("pre_checkout_query_id"))
		ch <- preCheckout{OK: r.FormValue("ok") == "true", Message: r.FormValue("error_message")}
		return true, "", true
	case "editUserStarSubscription":
		user, _ := strconv.ParseInt(r.FormValue("user_id"), 10, 64)
		for _, sub := range s.subs {
			if sub.user == user && sub.charge == r.FormValue("telegram_payment_charge_id") {
				sub.canceled = r.FormValue("is_canceled") == "true"
				return true, "", true
			}
		}
		return nil, "Bad Request: SUBSCRIPTION_NOT_FOUND", true
	case "refundStarPayment":
		user, _ := strconv.ParseInt(r.FormValue("user_id"), 10, 64)
		id := r.FormValue("telegram_payment_charge_id")
		c, ok := s.charged[id]
		switch {
		case !ok || c.user != user:
			return nil, "Bad Request: CHARGE_NOT_FOUND", true
		case c.refunded:
			return nil, "Bad Request: CHARGE_ALREADY_REFUNDED", true
		}
		c.refunded = true
		s.txs = append(s.txs, map[string]any{"id": id, "amount": c.amount, "date": time.Now().Unix(), "receiver": map[string]any{
			"type": "user", "transaction_type": "invoice_payment", "user": t.users[user], "invoice_payload": c.payload}})
		t.queue(map[string]any{"message": t.userMessage(user, "refunded_payment", map[string]any{"currency": store.Stars.Symbol,
			"total_amount": c.amount, "invoice_payload": c.payload, "telegram_payment_charge_id": id})})
		return true, "", true
	case "getStarTransactions":
		offset, _ := strconv.Atoi(r.FormValue("offset"))
		limit, _ := strconv.Atoi(r.FormValue("limit"))
		if limit <= 0 || limit > 100 {
			limit = 100
		}
		out := []map[string]any{}
		if offset < len(s.txs) {
			out = append(out, s.txs[offset:min(offset+limit, len(s.txs))]...)
		}
		return map[string]any{"transactions": out}, "", true
	case "getMyStarBalance":
		total := 0
		for _, c := range s.charged {
			if !c.refunded {
				total += c.amount
			}
		}
		return map[string]any{"amount": total}, "", true
	}
	return nil, "", false
}

// readInvoice checks an invoice as Telegram does for Stars: currency XTR,
// no provider token, exactly one price, a payload of 1-128 bytes, a
// subscription period of 30 days or none.
func readInvoice(r *http.Request) (starInvoice, string) {
	var prices []struct {
		Amount int `json:"amount"`
	}
	period, _ := strconv.Atoi(r.FormValue("subscription_period"))
	inv := starInvoice{Title: r.FormValue("title"), Payload: r.FormValue("payload"), Period: period}
	switch {
	case r.FormValue("currency") != store.Stars.Symbol || r.FormValue("provider_token") != "":
		return inv, "Bad Request: CURRENCY_INVALID"
	case json.Unmarshal([]byte(r.FormValue("prices")), &prices) != nil || len(prices) != 1 || prices[0].Amount <= 0:
		return inv, "Bad Request: STARS_INVOICE_INVALID"
	case inv.Payload == "" || len(inv.Payload) > 128:
		return inv, "Bad Request: INVOICE_PAYLOAD_INVALID"
	case period != 0 && period != store.StarsSubscriptionPeriod:
		return inv, "Bad Request: SUBSCRIPTION_PERIOD_INVALID"
	}
	inv.Amount = prices[0].Amount
	return inv, ""
}

// userMessage is a message from a user carrying one field (with t.mu held).
func (t *tgStandIn) userMessage(user int64, field string, v any) map[string]any {
	id := t.nextID
	t.nextID++
	return map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": user, "type": "private"},
		"from": t.users[user], field: v}
}

// toast shows a line from Telegram in a chat (with t.mu held).
func (t *tgStandIn) toast(user int64, text string) {
	t.chats[user] = append(t.chats[user], chatMsg{From: "toast", Text: text, At: time.Now().Unix()})
	t.bump()
}

// pay pays an invoice link for a user as the Telegram app does: the
// pre-checkout query, then, if the bot approved it within 10 s, the
// payment. The status is what openInvoice's callback gets: paid or failed.
func (t *tgStandIn) pay(ctx context.Context, user int64, link string) (string, error) {
	slug, ok := strings.CutPrefix(link, "https://t.me/$")
	t.mu.Lock()
	inv, known := t.stars.invoices[slug]
	if !ok || !known {
		t.mu.Unlock()
		return "failed", fmt.Errorf("no invoice %q", link)
	}
	t.stars.seq++
	qid := "pcq" + strconv.Itoa(t.stars.seq)
	answer := make(chan preCheckout, 1)
	t.stars.answers[qid] = answer
	t.queue(map[string]any{"pre_checkout_query": map[string]any{"id": qid, "from": t.users[user], "currency": store.Stars.Symbol,
		"total_amount": inv.Amount, "invoice_payload": inv.Payload}})
	t.mu.Unlock()
	var a preCheckout
	select {
	case a = <-answer:
	case <-time.After(10 * time.Second):
		a.Message = "the bot did not answer the pre-checkout query within 10 s"
	case <-ctx.Done():
		t.mu.Lock()
		delete(t.stars.answers, qid)
		t.mu.Unlock()
		return "failed", ctx.Err()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.stars.answers, qid)
	if !a.OK {
		t.toast(user, "Payment failed: "+a.Message)
		return "failed", nil
	}
	var sub *starSub
	if inv.Period > 0 {
		sub = &starSub{user: user, inv: inv, expires: time.Now().Unix()}
		t.stars.subs = append(t.stars.subs, sub)
	}
	t.charge(user, inv, sub)
	return "paid", nil
}

// charge books a payment and queues its successful_payment (with t.mu
// held); a subscription's first payment names it, a later one renews it.
func (t *tgStandIn) charge(user int64, inv starInvoice, sub *starSub) {
	t.stars.seq++
	id := "stxSandbox" + strconv.Itoa(t.stars.seq)
	t.stars.charged[id] = &starCharge{user: user, amount: inv.Amount, payload: inv.Payload}
	source := map[string]any{"type": "user", "transaction_type": "invoice_payment", "user": t.users[user], "invoice_payload": inv.Payload}
	sp := map[string]any{"currency": store.Stars.Symbol, "total_amount": inv.Amount, "invoice_payload": inv.Payload,
		"telegram_payment_charge_id": id, "provider_payment_charge_id": ""}
	if sub != nil {
		source["subscription_period"] = inv.Period
		sp["is_recurring"] = true
		if sub.charge == "" {
			sub.charge = id
			sp["is_first_recurring"] = true
		}
		sub.expires += int64(inv.Period)
		sp["subscription_expiration_date"] = sub.expires
	}
	t.stars.txs = append(t.stars.txs, map[string]any{"id": id, "amount": inv.Amount, "date": time.Now().Unix(), "source": source})
	t.queue(map[string]any{"message": t.userMessage(user, "successful_payment", sp)})
	t.toast(user, fmt.Sprintf("You paid ⭐ %d for %s.", inv.Amount, inv.Title))
}

// Subscription events the sandbox page can play on a user's latest
// subscription.
const (
	starsRenew   = "renew"   // Telegram charges the next month
	starsCancel  = "cancel"  // the user cancels it in Telegram
	starsFail    = "fail"    // the renewal payment fails
	starsRestore = "restore" // the user re-enables it
)

var errNoSubscription = errors.New("this user has no Stars subscription: subscribe first (/buy)")

// subscriptionEvent plays what Telegram would do or report to the bot.
func (t *tgStandIn) subscriptionEvent(user int64, what string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sub *starSub
	for _, s := range t.stars.subs {
		if s.user == user {
			sub = s
		}
	}
	if sub == nil {
		return errNoSubscription
	}
	update := func(state string) {
		t.queue(map[string]any{"subscription": map[string]any{"user": t.users[user], "invoice_payload": sub.inv.Payload, "state": state}})
	}
	switch what {
	case starsRenew:
		if sub.canceled {
			return errors.New("canceled subscriptions are not renewed: restore it first")
		}
		t.charge(user, sub.inv, sub)
	case starsCancel:
		sub.canceled = true
		update("canceled")
	case starsFail:
		update("failed")
		t.toast(user, "Telegram could not charge the renewal of "+sub.inv.Title+".")
	case starsRestore:
		sub.canceled = false
		update("active")
	default:
		return fmt.Errorf("unknown subscription event %q (renew, cancel, fail, restore)", what)
	}
	return nil
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
