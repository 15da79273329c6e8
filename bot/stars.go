package bot

import (
	"context"
	"errors"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// Telegram Stars: credit packages (and monthly subscriptions) paid in XTR
// inside Telegram. The rule book decides what may be sold and accepted
// (store.Policy.StarsInvoice, StarsCheckout, RefundStars); the bot talks to
// Telegram and books what Telegram reports:
//
//   - /buy lists the packages; a Stars package is sent as an invoice
//     (sendInvoice; a subscription as a createInvoiceLink link, since only
//     links carry a subscription_period);
//   - pre_checkout_query is answered at once, from the rule book alone;
//   - successful_payment is booked once per telegram_payment_charge_id, the
//     user hears from the notifier (outbox);
//   - /refund (admins) refunds; refunded_payment books a refund made
//     elsewhere;
//   - the reconciler pages getStarTransactions and books what the updates
//     missed, and flags booked payments Telegram does not list.

// Callback data of Stars buttons:
//
//	bx:<package>  send the Stars invoice of a package
//	bb:<package>  buy a package from the balance (TON or a jetton)
//	sc:<package>, su:<package>  cancel / re-enable the user's subscription
//	sr:<transfer id>, sy:<transfer id>  refund a Stars payment / confirm it (admins)

// starsTimeout bounds the pre-checkout answer: Telegram fails the payment
// if it has none within 10 seconds.
const starsTimeout = 8 * time.Second

// starsCallback handles the Stars buttons; the result is the callback
// answer's text ("" for none).
func (b *Bot) starsCallback(ctx context.Context, q *models.CallbackQuery, cm callbackMessage, kind, arg string) string {
	l := langOf(q.From.LanguageCode)
	p := place{chatID: cm.chatID, private: cm.private}
	switch kind {
	case "bx":
		if !cm.private {
			return l.t("private_only")
		}
		if _, err := b.db.UpsertUser(ctx, store.User{ID: q.From.ID, Username: q.From.Username, FirstName: q.From.FirstName,
			LanguageCode: q.From.LanguageCode}); err != nil {
			b.log.Error("register user", "err", err)
			return l.t("error")
		}
		b.sendStarsInvoice(ctx, p, l, q.From.ID, arg)
		return ""
	case "bb":
		if !cm.private {
			return l.t("private_only")
		}
		return b.buyFromBalance(ctx, q, cm, arg)
	case "sc", "su":
		err := b.SetSubscriptionCanceled(ctx, q.From.ID, arg, kind == "sc")
		switch {
		case errors.Is(err, store.ErrNotFound):
			return l.t("cb_unknown")
		case err != nil:
			b.log.Warn("edit subscription", "user", q.From.ID, "package", arg, "err", err)
			return l.t("sub_edit_failed")
		}
		text, kb, err := b.subscriptions(ctx, l, q.From.ID)
		if err == nil {
			b.editText(ctx, cm, text, kb)
		}
		if kind == "sc" {
			return l.t("sub_canceled_ok")
		}
		return l.t("sub_renewed_ok")
	case "sr", "sy":
		if !b.isAdmin(q.From.ID) {
			return l.t("cb_not_allowed")
		}
		tid, ok := parseID(arg)
		if !ok {
			return l.t("cb_unknown")
		}
		pay, err := b.db.StarPaymentByTransfer(ctx, tid)
		if err != nil {
			return l.t("cb_unknown")
		}
		if kind == "sr" {
			b.reply(ctx, p, l.t("refund_confirm", pay.Amount, esc(b.userLabel(ctx, pay.UserID)), esc(pay.Package), pay.Credits, esc(pay.ChargeID)),
				rows([]button{cbButton(l.t("btn_confirm_refund"), "sy:"+arg)}))
			return ""
		}
		b.reply(ctx, p, b.refund(ctx, l, q.From.ID, pay.ChargeID), nil)
		return ""
	}
	return l.t("cb_unknown")
}
