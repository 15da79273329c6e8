package bot

import (
	"context"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// onPreCheckout answers a pre_checkout_query from the rule book alone (no
// database, no other call first), well within Telegram's 10 seconds; a
// refusal is worded for the user, who reads it in Telegram's payment form.
func (b *Bot) onPreCheckout(ctx context.Context, q *models.PreCheckoutQuery) {
	var userID int64
	l := en
	if q.From != nil {
		userID, l = q.From.ID, langOf(q.From.LanguageCode)
	}
	params := &tg.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: q.ID, OK: true}
	if err := b.cfg.Policy.StarsCheckout(userID, q.InvoicePayload, q.Currency, int64(q.TotalAmount)); err != nil {
		params.OK = false
		if rf, ok := store.AsRefusal(err); ok {
			params.ErrorMessage = b.starsRefusalText(l, rf)
		} else {
			params.ErrorMessage = l.t("error")
		}
		b.log.Info("pre-checkout refused", "user", userID, "payload", q.InvoicePayload, "total", q.TotalAmount, "err", err)
	}
	actx, cancel := context.WithTimeout(ctx, starsTimeout)
	defer cancel()
	if _, err := b.tg.AnswerPreCheckoutQuery(actx, params); err != nil {
		b.log.Error("answer pre-checkout", "user", userID, "err", err)
	}
}

// onSuccessfulPayment books a Stars payment. The charge id is the
// idempotency key: a redelivered update books nothing. A failure is left to
// the reconciler, which finds the payment in getStarTransactions.
func (b *Bot) onSuccessfulPayment(ctx context.Context, m *models.Message) {
	sp := m.SuccessfulPayment
	userID := m.Chat.ID
	if m.From != nil {
		userID = m.From.ID
	}
	n := store.NewStarPayment{ChargeID: sp.TelegramPaymentChargeID, UserID: userID, Amount: store.Amount(sp.TotalAmount),
		Payload: sp.InvoicePayload, Recurring: sp.IsRecurring, FirstRecurring: sp.IsFirstRecurring, Source: store.StarSourceUpdate}
	if sp.SubscriptionExpirationDate > 0 {
		n.ExpiresAt = time.Unix(int64(sp.SubscriptionExpirationDate), 0)
	}
	p, created, err := b.cfg.Policy.StarsPaid(ctx, sp.Currency, n)
	if err != nil {
		b.log.Error("book Stars payment", "charge", sp.TelegramPaymentChargeID, "user", userID, "err", err)
		return
	}
	if created {
		b.log.Info("Stars payment booked", "charge", p.ChargeID, "user", userID, "stars", p.Amount, "package", p.Package, "credits", p.Credits)
		b.notifier.poke()
	}
}
