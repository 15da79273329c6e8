package bot

import (
	"context"
	"fmt"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// cmdSubscriptions shows the user's subscriptions with their renewal date
// and a button to cancel (or re-enable) each.
func (b *Bot) cmdSubscriptions(ctx context.Context, r request) {
	text, kb, err := b.subscriptions(ctx, r.l, r.user.ID)
	if err != nil {
		b.oops(ctx, r.p, r.l, "subscriptions", err)
		return
	}
	b.reply(ctx, r.p, text, kb)
}

func (b *Bot) subscriptions(ctx context.Context, l lang, userID int64) (string, models.ReplyMarkup, error) {
	subs, err := b.db.StarSubscriptions(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	if len(subs) == 0 {
		var kb [][]button
		for _, k := range b.cfg.Policy.StarsPackages() {
			if k.Period > 0 {
				kb = append(kb, []button{cbButton(l.t("btn_buy", esc(k.Name), b.price(l, k)), "bx:"+k.Name)})
			}
		}
		return l.t("subs_none"), rows(kb...), nil
	}
	now := b.db.Now()
	lines := []string{l.t("subs_title")}
	var kb [][]button
	for _, s := range subs {
		switch s.Status(now) {
		case store.SubExpired:
			if s.PaymentFailed {
				lines = append(lines, l.t("sub_expired_failed", esc(s.Package), stamp(s.ExpiresAt)))
			} else {
				lines = append(lines, l.t("sub_expired", esc(s.Package), stamp(s.ExpiresAt)))
			}
			if _, ok := b.cfg.Policy.StarsPackage(s.Package); ok {
				kb = append(kb, []button{cbButton(l.t("btn_subscribe_again", esc(s.Package)), "bx:"+s.Package)})
			}
		case store.SubPaymentFailed:
			// No button: it is still the user's subscription with Telegram
			// (a new invoice would make a second one), and canceling a
			// renewal that failed changes nothing.
			lines = append(lines, l.t("sub_failed", esc(s.Package), s.Amount, s.Credits, stamp(s.ExpiresAt)))
		case store.SubCanceled:
			lines = append(lines, l.t("sub_canceled", esc(s.Package), s.Amount, s.Credits, stamp(s.ExpiresAt)))
			kb = append(kb, []button{cbButton(l.t("btn_sub_renew", esc(s.Package)), "su:"+s.Package)})
		default:
			lines = append(lines, l.t("sub_active", esc(s.Package), s.Amount, s.Credits, stamp(s.ExpiresAt)))
			kb = append(kb, []button{cbButton(l.t("btn_sub_cancel", esc(s.Package)), "sc:"+s.Package)})
		}
	}
	return strings.Join(lines, "\n"), rows(kb...), nil
}

// SetSubscriptionCanceled cancels (or re-enables) a user's subscription to
// a package with Telegram (editUserStarSubscription), then records it. The
// paid period runs to its end either way. ErrNotFound when the user has no
// such subscription; a lapsed one cannot be re-enabled (subscribe again).
func (b *Bot) SetSubscriptionCanceled(ctx context.Context, userID int64, pkg string, canceled bool) error {
	sub, err := b.db.StarSubscription(ctx, userID, pkg)
	if err != nil {
		return err
	}
	if !sub.Active(b.db.Now()) {
		return fmt.Errorf("%w: the subscription to %s has lapsed", store.ErrConflict, pkg)
	}
	if sub.Canceled == canceled {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if _, err := b.tg.EditUserStarSubscription(cctx, &tg.EditUserStarSubscriptionParams{UserID: userID,
		TelegramPaymentChargeID: sub.ChargeID, IsCanceled: canceled}); err != nil {
		return fmt.Errorf("editUserStarSubscription: %w", err)
	}
	return b.db.SetStarSubscriptionCanceled(ctx, userID, pkg, canceled)
}
