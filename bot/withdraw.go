package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// A /withdraw is quoted first (the rule book's figures: amount, fee, what
// leaves the balance, whether an admin approves), and requested only when
// the user taps Confirm. The request waits in the database (any node may
// take the tap) for quoteTTL; the
// idempotency key is the command's chat and message id, so a double tap, a
// redelivered update or a replayed callback finds the first withdrawal.
const quoteTTL = 10 * time.Minute

func quoteKey(chatID int64, msgID int) string { return fmt.Sprintf("%d:%d", chatID, msgID) }

// cmdWithdraw is "/withdraw <amount> [asset] [address]". Without an
// address the money goes to the linked wallet.
func (b *Bot) cmdWithdraw(ctx context.Context, r request) {
	if len(r.args) == 0 || len(r.args) > 3 {
		b.withdrawUsage(ctx, r)
		return
	}
	l := r.l
	asset := store.TON.Symbol
	rest := r.args[1:]
	if len(rest) > 0 {
		if a, ok := b.assetArg(rest[0]); ok {
			asset, rest = a.Symbol, rest[1:]
		} else if len(rest) == 2 || len(rest[0]) < 40 {
			asset, rest = rest[0], rest[1:] // the rule book names it unknown
		}
	}
	req := store.WithdrawRequest{UserID: r.user.ID, Asset: asset, Amount: r.args[0], Typed: true}
	if len(rest) == 1 {
		req.Destination = rest[0]
	}
	q, err := b.cfg.Policy.Quote(ctx, req)
	if err != nil {
		b.refused(ctx, r, req, err)
		return
	}
	// Kept in the database: the Confirm may reach another node.
	if err := b.db.SaveBotQuote(ctx, quoteKey(r.p.chatID, r.msgID), req); err != nil {
		b.log.Error("keep a quote", "user", r.user.ID, "err", err)
		b.reply(ctx, r.p, l.t("error"), nil)
		return
	}
	b.reply(ctx, r.p, b.quoteText(l, q), rows([]button{
		cbButton(l.t("btn_confirm"), fmt.Sprintf("wq:%d", r.msgID)),
		cbButton(l.t("btn_cancel"), fmt.Sprintf("wx:%d", r.msgID)),
	}))
}

// quoteText shows a quote: the same figures the Mini App shows.
func (b *Bot) quoteText(l lang, q store.Quote) string {
	total := b.amount(q.Debit[q.Asset.Symbol], q.Asset.Symbol)
	if q.Asset.Symbol != q.FeeAsset && q.Fee > 0 {
		total += " + " + b.amount(q.Fee, q.FeeAsset)
	}
	text := l.t("withdraw_quote", esc(b.amount(q.Amount, q.Asset.Symbol)), esc(b.amount(q.Fee, q.FeeAsset)), esc(total),
		esc(q.Destination.Display))
	if q.NeedsApproval {
		text += "\n" + l.t("withdraw_awaiting_note")
	}
	return text
}

// confirmWithdraw is the Confirm button of a quote: the withdrawal is
// requested with the command's idempotency key.
func (b *Bot) confirmWithdraw(ctx context.Context, q *models.CallbackQuery, cm callbackMessage, cmdMsgID int) string {
	l := langOf(q.From.LanguageCode)
	req, ok, err := b.db.BotQuote(ctx, quoteKey(cm.chatID, cmdMsgID), quoteTTL)
	if err != nil {
		b.log.Error("read a quote", "user", q.From.ID, "err", err)
		return l.t("error")
	}
	if !ok || req.UserID != q.From.ID {
		return l.t("quote_expired")
	}
	w, created, err := b.cfg.Policy.Withdraw(ctx, req, fmt.Sprintf("tg:%d:%d", cm.chatID, cmdMsgID))
	if err != nil {
		if r, ok := store.AsRefusal(err); ok {
			b.editText(ctx, cm, b.refusalText(ctx, l, req, r), nil)
			return ""
		}
		b.log.Error("withdraw", "user", q.From.ID, "err", err)
		return l.t("error")
	}
	// The quote stays until it expires: a second tap finds the same
	// withdrawal by its key and says so.
	if !created {
		b.editText(ctx, cm, l.t("withdraw_replay", w.ID, esc(l.status(w.Status))), nil)
		return ""
	}
	text := l.t("withdraw_created", w.ID, esc(b.amount(w.Amount, w.Asset)), esc(b.amount(w.Fee, w.FeeAsset)), esc(w.Destination), esc(l.status(w.Status)))
	if w.Status == store.WithdrawalAwaitingApproval {
		text += "\n\n" + l.t("withdraw_awaiting_note")
	} else {
		text += "\n\n" + l.t("withdraw_queued_note")
	}
	b.editText(ctx, cm, text, rows([]button{cbButton(l.t("btn_history"), "m:history")}))
	return ""
}

// cancelWithdraw is the Cancel button of a quote.
func (b *Bot) cancelWithdraw(ctx context.Context, q *models.CallbackQuery, cm callbackMessage, cmdMsgID int) {
	if err := b.db.DeleteBotQuote(ctx, quoteKey(cm.chatID, cmdMsgID)); err != nil {
		b.log.Warn("forget a quote", "err", err)
	}
	b.editText(ctx, cm, langOf(q.From.LanguageCode).t("withdraw_cancelled"), nil)
}

func (b *Bot) editText(ctx context.Context, cm callbackMessage, text string, kb models.ReplyMarkup) {
	if err := b.edit(ctx, cm.chatID, cm.msgID, text, kb); err != nil {
		b.log.Warn("edit withdraw message", "err", err)
	}
}

// refused answers the rule book's refusal of a /withdraw.
func (b *Bot) refused(ctx context.Context, r request, req store.WithdrawRequest, err error) {
	rf, ok := store.AsRefusal(err)
	if !ok {
		b.oops(ctx, r.p, r.l, "withdraw quote", err)
		return
	}
	var kb models.ReplyMarkup
	switch rf.Code {
	case store.RefuseAddressRequired:
		kb = rows(b.appRow(r.p, r.l.t("btn_connect"), "", nil))
	case store.RefuseInsufficient, store.RefuseFeeNotCovered:
		detail := "insufficient_withdraw"
		if rf.Code == store.RefuseFeeNotCovered {
			detail = "fee_not_covered"
		}
		text, k := b.insufficientMsg(r.p, r.l, rf.Asset, rf.Need-rf.Have,
			r.l.t(detail, esc(b.amount(rf.Need, rf.Asset)), esc(b.amount(rf.Have, rf.Asset))))
		b.reply(ctx, r.p, text, k)
		return
	}
	b.reply(ctx, r.p, b.refusalText(ctx, r.l, req, rf), kb)
}

// refusalText names a refusal in the user's language.
func (b *Bot) refusalText(ctx context.Context, l lang, req store.WithdrawRequest, rf *store.Refusal) string {
	switch rf.Code {
	case store.RefuseUnknownAsset:
		return l.t("unknown_asset", esc(req.Asset), esc(strings.Join(b.chainSymbols(), ", ")))
	case store.RefuseInvalidAmount:
		dec := 9
		if a, err := b.cfg.Policy.Asset(req.Asset); err == nil {
			dec = a.Decimals
		}
		return l.t("bad_amount", esc(req.Amount), esc(store.CanonicalSymbol(req.Asset)), dec)
	case store.RefuseAmbiguousAmount:
		if len(rf.Readings) == 2 {
			a, b := esc(rf.Readings[0]), esc(rf.Readings[1])
			return l.t("ambiguous_amount", esc(req.Amount), a, b, a, b)
		}
		return esc(rf.Message)
	case store.RefuseTooManyInvoices:
		return l.t("too_many_invoices", rf.Count, rf.MaxCount)
	case store.RefuseTooManyWithdrawals:
		return l.t("too_many_withdrawals", rf.Count, rf.MaxCount)
	case store.RefuseDailyLimit:
		return l.t("daily_limit", esc(rf.Asset), esc(b.amount(rf.Limit, rf.Asset)), esc(b.amount(rf.Have, rf.Asset)),
			esc(b.amount(max(rf.Limit-rf.Have, 0), rf.Asset)))
	case store.RefuseBelowMinimum:
		return l.t("below_min", esc(rf.Asset), esc(b.amount(rf.Limit, rf.Asset)))
	case store.RefuseInvalidAddress, store.RefuseWrongNetwork:
		return l.t("bad_address", esc(req.Destination), esc(rf.Message))
	case store.RefuseOwnAddress:
		return l.t("own_address")
	case store.RefuseAddressRequired:
		return l.t("no_wallet", esc(req.Amount), esc(store.CanonicalSymbol(req.Asset)))
	case store.RefuseInsufficient:
		return l.t("insufficient", esc(rf.Asset), esc(b.amount(rf.Need-rf.Have, rf.Asset))) + "\n" +
			l.t("insufficient_withdraw", esc(b.amount(rf.Need, rf.Asset)), esc(b.amount(rf.Have, rf.Asset)))
	case store.RefuseFeeNotCovered:
		return l.t("insufficient", esc(rf.Asset), esc(b.amount(rf.Need-rf.Have, rf.Asset))) + "\n" +
			l.t("fee_not_covered", esc(b.amount(rf.Need, rf.Asset)), esc(b.amount(rf.Have, rf.Asset)))
	case store.RefuseIdemConflict:
		return l.t("withdraw_conflict")
	case store.RefuseBlocked:
		return l.t("withdraw_blocked")
	}
	return esc(rf.Message)
}

// withdrawUsage explains /withdraw with each asset's balance, fee and
// minimum, and offers the Mini App's withdraw screen.
func (b *Bot) withdrawUsage(ctx context.Context, r request) {
	bals, err := b.db.Balances(ctx, store.UserAccount(r.user.ID))
	if err != nil {
		b.oops(ctx, r.p, r.l, "balances", err)
		return
	}
	var lines []string
	for _, a := range b.cfg.Policy.ChainAssets() {
		s := a.Symbol
		lines = append(lines, r.l.t("withdraw_rule", esc(s), esc(b.amount(bals[s], s)), esc(b.amount(b.cfg.Policy.Fee(a), store.TON.Symbol)),
			esc(b.amount(b.cfg.Policy.WithdrawMin(a), s))))
	}
	b.reply(ctx, r.p, r.l.t("withdraw_usage", strings.Join(lines, "\n")),
		rows(b.appRow(r.p, r.l.t("btn_withdraw_app"), "withdraw", nil)))
}

// insufficientMsg says how much of asset is missing, with a button that
// tops up exactly that.
func (b *Bot) insufficientMsg(p place, l lang, asset string, missing store.Amount, detail string) (string, models.ReplyMarkup) {
	text := l.t("insufficient", esc(asset), esc(b.amount(missing, asset)))
	if detail != "" {
		text += "\n" + detail
	}
	text += "\n" + l.t("insufficient_hint")
	return text, rows([]button{b.topupButton(p, l, asset, missing)})
}

// InsufficientFunds tells a user they lack shortfall of asset for what they
// tried, with a button opening the Mini App's top-up screen for exactly that
// amount. The rest of the service (and a host integrating tonpay) calls it.
// A user who blocked the bot is marked so and the error returned.
func (b *Bot) InsufficientFunds(ctx context.Context, userID int64, asset string, shortfall store.Amount) error {
	if shortfall <= 0 {
		return fmt.Errorf("%w: shortfall must be positive", store.ErrInvalid)
	}
	if _, ok := b.assets[asset]; !ok {
		return fmt.Errorf("%w: %s", store.ErrUnknownAsset, asset)
	}
	l := en
	u, err := b.db.User(ctx, userID)
	switch {
	case err == nil:
		l = langOf(u.LanguageCode)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	p := place{chatID: userID, private: true} // a user's private chat has the user's id
	text, kb := b.insufficientMsg(p, l, asset, shortfall, "")
	_, err = b.send(ctx, userID, text, kb)
	if errors.Is(err, tg.ErrorForbidden) {
		if berr := b.db.SetBotBlocked(ctx, userID, true); berr != nil {
			b.log.Warn("mark bot blocked", "user", userID, "err", berr)
		}
	}
	if err != nil {
		return fmt.Errorf("insufficient funds notice to %d: %w", userID, err)
	}
	return nil
}
