package botapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tonpay/tonpay/store"
)

// Telegram Stars, as strict as Telegram
// where the bot can tell: invoices (sendInvoice in a chat,
// createInvoiceLink for the Mini App and subscriptions), the payment as
// Telegram runs it (a pre_checkout_query the bot must approve within 10 s,
// then successful_payment), subscriptions (renewals, editUserStarSubscription,
// and the Bot API 10.2 subscription updates — canceled, failed, restored —
// played from the sandbox page), refunds (refundStarPayment, then the
// refunded_payment message) and the transaction list the bot reconciles
// with (getStarTransactions, getMyStarBalance). The user's side is Pay
// (the Telegram app paying a link) and SubscriptionEvent.

// starsState is the stand-in's Stars books (guarded by API.mu).
type starsState struct {
	invoices map[string]starInvoice      // slug → invoice
	answers  map[string]chan preCheckout // pre_checkout_query id → the bot's answer
	txs      []map[string]any            // star transactions, oldest first
	subs     []*starSub                  // subscriptions, oldest first
	charged  map[string]*starCharge      // charge id → payment
	seq      int
	links    int
	paid     map[string]int // invoice slug → payments of it
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
	slug     string // the invoice link's
	charge   string // the first payment's: names the subscription
	expires  int64
	canceled bool
}

// starsMethod answers the Bot API's Stars methods; handled is false for
// any other method. A non-empty refusal is a 400 with that description.
func (a *API) starsMethod(r *request) (result any, refusal map[string]any, handled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.starsBooks()
	switch r.Method {
	case "sendInvoice", "createInvoiceLink":
		inv, refusal := readInvoice(r)
		if refusal != "" {
			return nil, badRequest(refusal), true
		}
		if inv.Period > 0 && r.Method == "sendInvoice" {
			return nil, badRequest("subscription_period is for invoice links"), true
		}
		s.links++
		slug := a.o.InvoicePrefix + strconv.Itoa(s.links)
		s.invoices[slug] = inv
		link := InvoiceLink(slug)
		if r.Method == "createInvoiceLink" {
			return link, nil, true
		}
		chat := r.chat()
		kb, _ := json.Marshal(map[string]any{"inline_keyboard": [][]map[string]any{{{"text": fmt.Sprintf("Pay ⭐ %d", inv.Amount), "url": link}}}})
		m := Message{ID: a.nextID, From: "bot", Text: "<b>" + esc(inv.Title) + "</b>\n" + esc(r.get("description")) + fmt.Sprintf("\n⭐ %d", inv.Amount),
			HTML: true, Markup: kb, At: time.Now().Unix()}
		a.nextID++
		a.chats[chat] = append(a.chats[chat], m)
		a.bump()
		return a.message(chat, m), nil, true
	case "answerPreCheckoutQuery":
		ch, ok := s.answers[r.get("pre_checkout_query_id")]
		if !ok {
			return nil, badRequest("query is too old and response timeout expired or query ID is invalid"), true
		}
		delete(s.answers, r.get("pre_checkout_query_id"))
		ch <- preCheckout{OK: r.get("ok") == "true", Message: r.get("error_message")}
		return true, nil, true
	case "editUserStarSubscription":
		user := r.user()
		for _, sub := range s.subs {
			if sub.user == user && sub.charge == r.get("telegram_payment_charge_id") {
				sub.canceled = r.get("is_canceled") == "true"
				return true, nil, true
			}
		}
		return nil, badRequest("SUBSCRIPTION_NOT_FOUND"), true
	case "refundStarPayment":
		user := r.user()
		id := r.get("telegram_payment_charge_id")
		c, ok := s.charged[id]
		switch {
		case !ok || c.user != user:
			return nil, badRequest("CHARGE_NOT_FOUND"), true
		case c.refunded:
			return nil, badRequest("CHARGE_ALREADY_REFUNDED"), true
		}
		c.refunded = true
		s.txs = append(s.txs, map[string]any{"id": id, "amount": c.amount, "date": time.Now().Unix(), "receiver": map[string]any{
			"type": "user", "transaction_type": "invoice_payment", "user": a.from(user), "invoice_payload": c.payload}})
		a.queue(map[string]any{"message": a.userMessage(user, "refunded_payment", map[string]any{"currency": store.Stars.Symbol,
			"total_amount": c.amount, "invoice_payload": c.payload, "telegram_payment_charge_id": id})})
		return true, nil, true
	case "getStarTransactions":
		offset, _ := strconv.Atoi(r.get("offset"))
		limit, _ := strconv.Atoi(r.get("limit"))
		if limit <= 0 || limit > 100 {
			limit = 100
		}
		out := []map[string]any{}
		if offset < len(s.txs) {
			out = append(out, s.txs[offset:min(offset+limit, len(s.txs))]...)
		}
		return map[string]any{"transactions": out}, nil, true
	case "getMyStarBalance":
		total := 0
		for _, c := range s.charged {
			if !c.refunded {
				total += c.amount
			}
		}
		return map[string]any{"amount": total, "nanostar_amount": 0}, nil, true
	}
	return nil, nil, false
}

// readInvoice checks an invoice as Telegram does for Stars: currency XTR,
// no provider token, exactly one price, a payload of 1-128 bytes, a
// subscription period of 30 days or none.
func readInvoice(r *request) (starInvoice, string) {
	var prices []struct {
		Amount int `json:"amount"`
	}
	period, _ := strconv.Atoi(r.get("subscription_period"))
	inv := starInvoice{Title: r.get("title"), Payload: r.get("payload"), Period: period}
	switch {
	case r.get("currency") != store.Stars.Symbol || r.get("provider_token") != "":
		return inv, "CURRENCY_INVALID"
	case json.Unmarshal([]byte(r.get("prices")), &prices) != nil || len(prices) != 1 || prices[0].Amount <= 0:
		return inv, "STARS_INVOICE_INVALID"
	case inv.Payload == "" || len(inv.Payload) > 128:
		return inv, "INVOICE_PAYLOAD_INVALID"
	case period != 0 && period != store.StarsSubscriptionPeriod:
		return inv, "SUBSCRIPTION_PERIOD_INVALID"
	}
	inv.Amount = prices[0].Amount
	return inv, ""
}

// userMessage is a message from a user carrying one field (with a.mu held).
func (a *API) userMessage(user int64, field string, v any) map[string]any {
	id := a.nextID
	a.nextID++
	return map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": user, "type": "private"},
		"from": a.from(user), field: v}
}

// Pay pays an invoice link for a user as the Telegram app does: the
// pre-checkout query, then, if the bot approved it within 10 s, the
// payment. The status is what openInvoice's callback gets: paid or failed.
func (a *API) Pay(ctx context.Context, user int64, link string) (string, error) {
	slug, ok := strings.CutPrefix(link, invoiceLinkPrefix)
	a.mu.Lock()
	inv, known := a.starsBooks().invoices[slug]
	if !ok || !known {
		a.mu.Unlock()
		return "failed", fmt.Errorf("no invoice %q", link)
	}
	a.stars.seq++
	qid := "pcq" + strconv.Itoa(a.stars.seq)
	answer := make(chan preCheckout, 1)
	a.stars.answers[qid] = answer
	a.queue(map[string]any{"pre_checkout_query": map[string]any{"id": qid, "from": a.from(user), "currency": store.Stars.Symbol,
		"total_amount": inv.Amount, "invoice_payload": inv.Payload}})
	a.mu.Unlock()
	var ans preCheckout
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	select {
	case ans = <-answer:
	case <-timeout.C:
		ans.Message = "the bot did not answer the pre-checkout query within 10 s"
	case <-ctx.Done():
		a.mu.Lock()
		delete(a.stars.answers, qid)
		a.mu.Unlock()
		return "failed", ctx.Err()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.stars.answers, qid)
	if !ans.OK {
		a.toast(user, "Payment failed: "+ans.Message)
		return "failed", nil
	}
	var sub *starSub
	if inv.Period > 0 {
		sub = &starSub{user: user, inv: inv, slug: slug, expires: time.Now().Unix()}
		a.stars.subs = append(a.stars.subs, sub)
	}
	a.charge(user, slug, inv, sub)
	return "paid", nil
}

// charge books a payment and queues its successful_payment (with a.mu
// held); a subscription's first payment names it, a later one renews it.
func (a *API) charge(user int64, slug string, inv starInvoice, sub *starSub) {
	a.stars.paid[slug]++
	id := a.o.ChargePrefix + slug
	if n := a.stars.paid[slug]; n > 1 {
		id += "-" + strconv.Itoa(n)
	}
	a.stars.charged[id] = &starCharge{user: user, amount: inv.Amount, payload: inv.Payload}
	source := map[string]any{"type": "user", "transaction_type": "invoice_payment", "user": a.from(user), "invoice_payload": inv.Payload}
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
	a.stars.txs = append(a.stars.txs, map[string]any{"id": id, "amount": inv.Amount, "date": time.Now().Unix(), "source": source})
	a.queue(map[string]any{"message": a.userMessage(user, "successful_payment", sp)})
	a.toast(user, fmt.Sprintf("You paid ⭐ %d for %s.", inv.Amount, inv.Title))
}

// Subscription events SubscriptionEvent plays on a user's latest
// subscription.
const (
	StarsRenew   = "renew"   // Telegram charges the next month
	StarsCancel  = "cancel"  // the user cancels it in Telegram
	StarsFail    = "fail"    // the renewal payment fails
	StarsRestore = "restore" // the user re-enables it
)

var ErrNoSubscription = errors.New("this user has no Stars subscription: subscribe first (/buy)")

// SubscriptionEvent plays what Telegram would do or report to the bot.
func (a *API) SubscriptionEvent(user int64, what string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var sub *starSub
	for _, s := range a.stars.subs {
		if s.user == user {
			sub = s
		}
	}
	if sub == nil {
		return ErrNoSubscription
	}
	update := func(state string) {
		a.queue(map[string]any{"subscription": map[string]any{"user": a.from(user), "invoice_payload": sub.inv.Payload, "state": state}})
	}
	switch what {
	case StarsRenew:
		if sub.canceled {
			return errors.New("canceled subscriptions are not renewed: restore it first")
		}
		a.charge(user, sub.slug, sub.inv, sub)
	case StarsCancel:
		sub.canceled = true
		update("canceled")
	case StarsFail:
		update("failed")
		a.toast(user, "Telegram could not charge the renewal of "+sub.inv.Title+".")
	case StarsRestore:
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

// invoiceLinkPrefix starts every invoice link (t.me/$slug, as Telegram's).
const invoiceLinkPrefix = "https://t.me/$"

// InvoiceLink is the link of the invoice slug.
func InvoiceLink(slug string) string { return invoiceLinkPrefix + slug }

// starsBooks are the Stars books, made on first use (with a.mu held).
func (a *API) starsBooks() *starsState {
	s := &a.stars
	if s.invoices == nil {
		s.invoices, s.answers, s.charged, s.paid = map[string]starInvoice{}, map[string]chan preCheckout{}, map[string]*starCharge{}, map[string]int{}
	}
	return s
}

func (r *request) user() int64 {
	id, _ := strconv.ParseInt(r.get("user_id"), 10, 64)
	return id
}

// adoptPreCheckout makes a pre-checkout query delivered by a test
// answerable (with a.mu held).
func (a *API) adoptPreCheckout(q map[string]any) {
	s := a.starsBooks()
	if id, _ := q["id"].(string); id != "" && s.answers[id] == nil {
		s.answers[id] = make(chan preCheckout, 1)
	}
}

// adoptPayment books a successful_payment (or a refunded_payment) a test
// delivered, as Telegram would have (with a.mu held): refundable, listed,
// its subscription editable.
func (a *API) adoptPayment(m map[string]any) {
	s := a.starsBooks()
	from, _ := m["from"].(map[string]any)
	user, _ := number(from["id"])
	if p, ok := m["refunded_payment"].(map[string]any); ok {
		id, _ := p["telegram_payment_charge_id"].(string)
		if c := s.charged[id]; c != nil {
			c.refunded = true
		}
		return
	}
	p, ok := m["successful_payment"].(map[string]any)
	if !ok {
		return
	}
	id, _ := p["telegram_payment_charge_id"].(string)
	if id == "" || s.charged[id] != nil {
		return
	}
	amount, _ := number(p["total_amount"])
	payload, _ := p["invoice_payload"].(string)
	s.charged[id] = &starCharge{user: user, amount: int(amount), payload: payload}
	source := map[string]any{"type": "user", "transaction_type": "invoice_payment", "user": a.from(user), "invoice_payload": payload}
	s.txs = append(s.txs, map[string]any{"id": id, "amount": amount, "date": time.Now().Unix(), "source": source})
	if recurring, _ := p["is_recurring"].(bool); !recurring {
		return
	}
	expires, _ := number(p["subscription_expiration_date"])
	for _, sub := range s.subs {
		if sub.user == user && sub.inv.Payload == payload {
			sub.expires = expires
			return
		}
	}
	s.subs = append(s.subs, &starSub{user: user, inv: starInvoice{Payload: payload, Amount: int(amount), Period: store.StarsSubscriptionPeriod},
		charge: id, expires: expires})
}
