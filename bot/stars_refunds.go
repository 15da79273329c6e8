package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// onRefundedPayment books a refund Telegram reports (one an admin made
// here, or one made by Telegram support): the same reversal as /refund,
// taking back the credits that are left. A payment never booked is booked
// first, so the history shows both.
func (b *Bot) onRefundedPayment(ctx context.Context, m *models.Message) {
	rp := m.RefundedPayment
	if rp.Currency != store.Stars.Symbol {
		return
	}
	userID := m.Chat.ID
	if m.From != nil && !m.From.IsBot {
		userID = m.From.ID
	}
	if _, err := b.db.StarPayment(ctx, rp.TelegramPaymentChargeID); errors.Is(err, store.ErrNotFound) {
		_, _, err = b.cfg.Policy.StarsPaid(ctx, rp.Currency, store.NewStarPayment{ChargeID: rp.TelegramPaymentChargeID, UserID: userID,
			Amount: store.Amount(rp.TotalAmount), Payload: rp.InvoicePayload, Source: store.StarSourceUpdate})
		if err != nil {
			b.log.Error("book refunded Stars payment", "charge", rp.TelegramPaymentChargeID, "err", err)
			return
		}
	}
	res, err := b.db.BookStarRefund(ctx, rp.TelegramPaymentChargeID, "telegram")
	if err != nil {
		b.log.Error("book Stars refund", "charge", rp.TelegramPaymentChargeID, "err", err)
		return
	}
	if res.Created {
		b.notifier.poke()
	}
}

// cmdRefund refunds a Stars payment: "/refund <charge id>"; without an
// argument it lists the latest payments with a Refund button each.
func (b *Bot) cmdRefund(ctx context.Context, r request) {
	if len(r.args) == 0 {
		text, kb, err := b.starPaymentsList(ctx, r.l)
		if err != nil {
			b.oops(ctx, r.p, r.l, "stars payments", err)
			return
		}
		b.reply(ctx, r.p, text, kb)
		return
	}
	b.reply(ctx, r.p, b.refund(ctx, r.l, r.from.ID, r.args[0]), nil)
}

// refund runs an admin's refund and says how it went.
func (b *Bot) refund(ctx context.Context, l lang, adminID int64, chargeID string) string {
	res, err := b.cfg.Policy.RefundStars(ctx, chargeID, "admin:"+strconv.FormatInt(adminID, 10), b.refundStarPayment)
	var tgErr *telegramError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return l.t("refund_unknown", esc(chargeID))
	case errors.As(err, &tgErr):
		return l.t("refund_telegram", esc(tgErr.Error()))
	case err != nil:
		if rf, ok := store.AsRefusal(err); ok {
			return b.starsRefusalText(l, rf)
		}
		b.log.Error("refund", "charge", chargeID, "err", err)
		return l.t("error")
	}
	b.notifier.poke()
	p := res.Payment
	text := l.t("refund_done", p.Amount, esc(b.userLabel(ctx, p.UserID)), esc(p.Package), p.Clawed)
	if p.Shortfall > 0 {
		text += "\n" + l.t("refund_shortfall", p.Shortfall)
	}
	return text
}

// telegramError is Telegram refusing a call the rule book allowed.
type telegramError struct{ err error }

func (e *telegramError) Error() string { return e.err.Error() }
func (e *telegramError) Unwrap() error { return e.err }

// refundStarPayment asks Telegram to return the Stars. A payment Telegram
// already refunded (CHARGE_ALREADY_REFUNDED) is booked all the same.
func (b *Bot) refundStarPayment(ctx context.Context, p store.StarPayment) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	_, err := b.tg.RefundStarPayment(ctx, &tg.RefundStarPaymentParams{UserID: p.UserID, TelegramPaymentChargeID: p.ChargeID})
	if err != nil && strings.Contains(err.Error(), "CHARGE_ALREADY_REFUNDED") {
		return nil
	}
	if err != nil {
		return &telegramError{err: err}
	}
	return nil
}

// starPaymentsList is the admins' list of the latest Stars payments, each
// paid one with a Refund button.
func (b *Bot) starPaymentsList(ctx context.Context, l lang) (string, models.ReplyMarkup, error) {
	ps, err := b.db.StarPayments(ctx, 0, 10)
	if err != nil {
		return "", nil, err
	}
	if len(ps) == 0 {
		return l.t("stars_none"), nil, nil
	}
	lines := []string{l.t("stars_title")}
	var kb [][]button
	for _, p := range ps {
		lines = append(lines, l.t("stars_item", stamp(p.CreatedAt), p.Amount, esc(b.userLabel(ctx, p.UserID)), esc(p.Package),
			esc(l.status(p.Status)), esc(p.ChargeID)))
		if p.Status == store.StarPaid {
			kb = append(kb, []button{cbButton(l.t("btn_refund", p.Amount, esc(p.Package)), "sr:"+strconv.FormatInt(p.TransferID, 10))})
		}
	}
	return strings.Join(lines, "\n"), rows(kb...), nil
}
