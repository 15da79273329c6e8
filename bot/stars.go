package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
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

// cmdBuy lists the packages with a button per price; "/buy <name>" sends
// the Stars invoice of that package at once.
func (b *Bot) cmdBuy(ctx context.Context, r request) {
	if len(r.args) > 0 {
		if _, ok := b.cfg.Policy.StarsPackage(r.args[0]); ok {
			b.sendStarsInvoice(ctx, r.p, r.l, r.user.ID, r.args[0])
			return
		}
	}
	pkgs := b.cfg.Policy.Packages()
	if len(pkgs) == 0 {
		b.reply(ctx, r.p, r.l.t("buy_none"), nil)
		return
	}
	var names []string
	offers := map[string][]store.Package{}
	for _, k := range pkgs {
		if _, ok := offers[k.Name]; !ok {
			names = append(names, k.Name)
		}
		offers[k.Name] = append(offers[k.Name], k)
	}
	lines := []string{r.l.t("buy_title")}
	var kb [][]button
	for _, n := range names {
		var prices []string
		var row []button
		for _, k := range offers[n] {
			price := b.price(r.l, k)
			prices = append(prices, price)
			data := "bb:" + k.Name
			if k.Asset == store.Stars.Symbol {
				data = "bx:" + k.Name
			}
			row = append(row, cbButton(r.l.t("btn_buy", esc(k.Name), price), data))
		}
		lines = append(lines, r.l.t("buy_item", esc(n), offers[n][0].Credits, strings.Join(prices, r.l.t("or"))))
		kb = append(kb, row)
	}
	b.reply(ctx, r.p, strings.Join(lines, "\n"), rows(kb...))
}

// price is a package's price as a button shows it: "1.5 TON", "⭐ 150",
// "⭐ 500 / month".
func (b *Bot) price(l lang, k store.Package) string {
	if k.Asset != store.Stars.Symbol {
		return b.amount(k.Price, k.Asset)
	}
	s := "⭐ " + k.Price.Units()
	if k.Period > 0 {
		s += l.t("per_month")
	}
	return s
}

// sendStarsInvoice sends the invoice of a Stars package: sendInvoice with
// no provider token, currency XTR and one price; a subscription as a
// createInvoiceLink link under a button.
func (b *Bot) sendStarsInvoice(ctx context.Context, p place, l lang, userID int64, name string) {
	inv, err := b.cfg.Policy.StarsInvoice(userID, name)
	if err != nil {
		b.starsRefused(ctx, p, l, err)
		return
	}
	k := inv.Package
	if k.Period > 0 {
		link, err := b.createInvoiceLink(ctx, l, inv)
		if err != nil {
			b.oops(ctx, p, l, "create invoice link", err)
			return
		}
		b.reply(ctx, p, l.t("subscribe_offer", esc(k.Name), k.Credits, k.Price), rows([]button{{Text: l.t("btn_subscribe", k.Price), URL: link}}))
		return
	}
	if err := b.thr.wait(ctx); err != nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	_, err = b.tg.SendInvoice(sctx, &tg.SendInvoiceParams{
		ChatID:      p.chatID,
		Title:       invoiceTitle(l, k),
		Description: l.t("invoice_description", k.Credits),
		Payload:     inv.Payload,
		Currency:    store.Stars.Symbol,
		Prices:      []models.LabeledPrice{{Label: invoiceTitle(l, k), Amount: int(k.Price)}},
	})
	b.thr.done(p.chatID, err)
	b.replyFailed(ctx, p, err)
}

func invoiceTitle(l lang, k store.Package) string {
	t := l.t("invoice_title", k.Name)
	if len(t) > 32 {
		t = t[:32]
	}
	return t
}

// createInvoiceLink makes a Stars invoice link (a subscription's carries
// its period).
func (b *Bot) createInvoiceLink(ctx context.Context, l lang, inv store.StarsInvoice) (string, error) {
	k := inv.Package
	desc := l.t("invoice_description", k.Credits)
	if k.Period > 0 {
		desc = l.t("invoice_description_monthly", k.Credits)
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return b.tg.CreateInvoiceLink(ctx, &tg.CreateInvoiceLinkParams{
		Title:              invoiceTitle(l, k),
		Description:        desc,
		Payload:            inv.Payload,
		Currency:           store.Stars.Symbol,
		Prices:             []models.LabeledPrice{{Label: invoiceTitle(l, k), Amount: int(k.Price)}},
		SubscriptionPeriod: k.Period,
	})
}

// InvoiceLink makes the Stars invoice link of a package for a user, for
// the Mini App's Telegram.WebApp.openInvoice. Refusals are the rule
// book's (unknown_package).
func (b *Bot) InvoiceLink(ctx context.Context, userID int64, name string) (string, error) {
	inv, err := b.cfg.Policy.StarsInvoice(userID, name)
	if err != nil {
		return "", err
	}
	l := en
	if u, err := b.db.User(ctx, userID); err == nil {
		l = langOf(u.LanguageCode)
	}
	return b.createInvoiceLink(ctx, l, inv)
}

// starsRefused names a refusal of the Stars rules.
func (b *Bot) starsRefused(ctx context.Context, p place, l lang, err error) {
	rf, ok := store.AsRefusal(err)
	if !ok {
		b.oops(ctx, p, l, "stars", err)
		return
	}
	b.reply(ctx, p, b.starsRefusalText(l, rf), nil)
}

func (b *Bot) starsRefusalText(l lang, rf *store.Refusal) string {
	switch rf.Code {
	case store.RefuseUnknownPackage:
		return l.t("buy_unknown")
	case store.RefusePriceChanged:
		return l.t("checkout_price_changed", rf.Need)
	case store.RefuseNotYourInvoice:
		return l.t("checkout_not_yours")
	case store.RefuseWrongCurrency, store.RefuseBadPayload:
		return l.t("checkout_not_ours")
	case store.RefuseRefunded:
		return l.t("refund_already")
	case store.RefuseCreditsSpent:
		return l.t("refund_spent", rf.Need, rf.Have)
	case store.RefuseStarsOnly:
		return l.t("buy_stars_only")
	}
	return esc(rf.Message)
}

// buyFromBalance buys a package with the balance (a bb: button). The
// button's message makes the idempotency key: a second tap buys nothing more.
func (b *Bot) buyFromBalance(ctx context.Context, q *models.CallbackQuery, cm callbackMessage, name string) string {
	l := langOf(q.From.LanguageCode)
	key := fmt.Sprintf("tg:%d:%d:%s", cm.chatID, cm.msgID, name)
	pkg, res, err := b.cfg.Policy.Buy(ctx, q.From.ID, name, key)
	if err != nil {
		rf, ok := store.AsRefusal(err)
		if !ok {
			b.log.Error("buy", "user", q.From.ID, "err", err)
			return l.t("error")
		}
		if rf.Code == store.RefuseInsufficient {
			p := place{chatID: cm.chatID, private: cm.private}
			text, kb := b.insufficientMsg(p, l, rf.Asset, rf.Need-rf.Have, "")
			b.reply(ctx, p, text, kb)
			return ""
		}
		return b.starsRefusalText(l, rf)
	}
	if !res.Created {
		return l.t("buy_again")
	}
	have, err := b.db.Balance(ctx, store.UserAccount(q.From.ID), store.Credits.Symbol)
	if err != nil {
		b.log.Warn("credits balance", "err", err)
	}
	b.reply(ctx, place{chatID: cm.chatID, private: cm.private}, l.t("bought", esc(pkg.Name), pkg.Credits, esc(b.amount(pkg.Price, pkg.Asset)), have), nil)
	return ""
}

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

// StarsReport is what one reconciliation with getStarTransactions did.
type StarsReport struct {
	Listed   int // incoming payments Telegram lists
	Booked   int // of them, booked now (their update was missed)
	Refunded int // refunds booked now
	Missing  int // booked payments Telegram does not list, newly flagged
}

// maxStarPages bounds one walk of getStarTransactions (100 a page).
const maxStarPages = 1000

// ReconcileStars pages getStarTransactions from the newest, books every
// incoming payment and refund the updates missed (webhook down, crash before
// commit), and flags the booked payments Telegram does not list (older than
// the grace period, so a payment just made is not judged before Telegram
// lists it).
func (b *Bot) ReconcileStars(ctx context.Context) (StarsReport, error) {
	var rep StarsReport
	listed := map[string]bool{}
	var refunds []string
	complete := false
	for page, offset := 0, 0; page < maxStarPages; page++ {
		cctx, cancel := context.WithTimeout(ctx, requestTimeout)
		res, err := b.tg.GetStarTransactions(cctx, &tg.GetStarTransactionsParams{Offset: offset, Limit: 100})
		cancel()
		if err != nil {
			return rep, fmt.Errorf("getStarTransactions: %w", err)
		}
		for _, t := range res.Transactions {
			switch {
			case t.Source != nil && t.Source.User != nil && invoicePayment(t.Source.User):
				listed[t.ID] = true
				booked, err := b.bookListed(ctx, t)
				if err != nil {
					return rep, err
				}
				if booked {
					rep.Booked++
				}
			case t.Receiver != nil && t.Receiver.User != nil && invoicePayment(t.Receiver.User):
				refunds = append(refunds, t.ID) // a refund has the id of the payment it returns
			}
		}
		offset += len(res.Transactions)
		if len(res.Transactions) < 100 {
			complete = true
			break
		}
	}
	rep.Listed = len(listed)
	for _, id := range refunds {
		if _, err := b.db.StarPayment(ctx, id); errors.Is(err, store.ErrNotFound) {
			continue // a refund of a payment booked nowhere: nothing to reverse
		}
		res, err := b.db.BookStarRefund(ctx, id, store.StarSourceReconciler)
		if err != nil {
			return rep, err
		}
		if res.Created {
			rep.Refunded++
		}
		listed[id] = true
	}
	if complete {
		flagged, err := b.db.FlagMissingStarPayments(ctx, listed, b.db.Now().Add(-b.cfg.StarsGrace))
		if err != nil {
			return rep, err
		}
		rep.Missing = len(flagged)
	} else {
		b.log.Warn("stars reconcile: transaction list longer than the walk; not flagging", "pages", maxStarPages)
	}
	if rep.Booked+rep.Refunded+rep.Missing > 0 {
		b.log.Warn("stars reconciled", "booked", rep.Booked, "refunded", rep.Refunded, "missing", rep.Missing)
		b.notifier.poke()
	}
	return rep, nil
}

// invoicePayment tells whether a user transaction is an invoice payment
// (not paid media, a gift, ...). Older Bot APIs send no transaction type.
func invoicePayment(u *models.TransactionPartnerUser) bool {
	return u.TransactionType == "" || u.TransactionType == "invoice_payment"
}

// bookListed books a listed payment that is not booked yet.
func (b *Bot) bookListed(ctx context.Context, t models.StarTransaction) (bool, error) {
	if _, err := b.db.StarPayment(ctx, t.ID); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	u := t.Source.User
	n := store.NewStarPayment{ChargeID: t.ID, UserID: u.User.ID, Amount: store.Amount(t.Amount), Payload: u.InvoicePayload,
		Source: store.StarSourceReconciler}
	if u.SubscriptionPeriod > 0 {
		n.Recurring = true
		n.ExpiresAt = time.Unix(int64(t.Date)+int64(u.SubscriptionPeriod), 0)
	}
	_, created, err := b.cfg.Policy.StarsPaid(ctx, store.Stars.Symbol, n)
	if err != nil {
		return false, fmt.Errorf("book listed Stars payment %s: %w", t.ID, err)
	}
	return created, nil
}

// reconcileStars runs ReconcileStars at start and every StarsReconcileEvery
// until ctx ends; a failure is logged and tried again next time.
func (b *Bot) reconcileStars(ctx context.Context) error {
	if b.cfg.StarsReconcileEvery < 0 || len(b.cfg.Policy.StarsPackages()) == 0 {
		return nil
	}
	for {
		if _, err := b.ReconcileStars(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("stars reconcile", "err", err)
		}
		if err := sleep(ctx, b.cfg.StarsReconcileEvery); err != nil {
			return nil
		}
	}
}

// starsStats are /stats's Stars lines: what Telegram says the bot holds
// (getMyStarBalance) beside the ledger's XTR revenue; a difference is
// drift.
func (b *Bot) starsStats(ctx context.Context, l lang) []string {
	if len(b.cfg.Policy.StarsPackages()) == 0 {
		return nil
	}
	ledger, err := b.db.Balance(ctx, store.AccountStarsRevenue, store.Stars.Symbol)
	if err != nil {
		b.log.Warn("stats: stars revenue", "err", err)
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	have, err := b.tg.GetMyStarBalance(cctx)
	if err != nil {
		b.log.Warn("stats: getMyStarBalance", "err", err)
		return []string{l.t("stats_stars", l.t("unknown"), ledger)}
	}
	lines := []string{l.t("stats_stars", strconv.Itoa(have.Amount), ledger)}
	if d := store.Amount(have.Amount) - ledger; d != 0 {
		lines = append(lines, l.t("stats_stars_drift", d))
	}
	return lines
}

func init() {
	for k, v := range map[string]string{
		"cmd_buy":                     "Buy credits",
		"cmd_subscriptions":           "Your subscriptions",
		"cmd_refund":                  "Refund a Stars payment (admins)",
		"buy_none":                    "Nothing is for sale right now.",
		"buy_title":                   "<b>Credit packages</b>",
		"buy_item":                    "• <b>%s</b>: %d credits for %s",
		"or":                          " or ",
		"per_month":                   " / month",
		"btn_buy":                     "%s · %s",
		"buy_unknown":                 "There is no such package. See /buy.",
		"buy_stars_only":              "This package is sold for Telegram Stars only. See /buy.",
		"buy_again":                   "You already bought it with this button.",
		"bought":                      "✅ Bought <b>%s</b>: +%d credits for %s.\nCredits: <b>%d</b>",
		"invoice_title":               "%s",
		"invoice_description":         "%d credits",
		"invoice_description_monthly": "%d credits every month",
		"subscribe_offer":             "<b>%s</b>: %d credits every month for ⭐ %d. Telegram renews it each month until you cancel (/subscriptions).",
		"btn_subscribe":               "⭐ Subscribe for %d a month",
		"checkout_price_changed":      "The price has changed (it is now %d Stars). Please ask for a new invoice with /buy.",
		"checkout_not_yours":          "This invoice was made for someone else. Ask the bot for your own with /buy.",
		"checkout_not_ours":           "This invoice cannot be paid here.",
		"notice_stars_paid":           "✅ Payment received: ⭐ %s for <b>%s</b>\n+%s credits. Credits: <b>%s</b>",
		"notice_stars_renewed":        "🔁 Subscription <b>%s</b> renewed: ⭐ %s, +%s credits. Credits: <b>%s</b>",
		"notice_stars_until":          "Next renewal: %s UTC.",
		"notice_stars_refunded":       "↩️ Your payment of ⭐ %s for <b>%s</b> was refunded; %s credits were taken back.",
		"notice_stars_shortfall":      "⚠️ Stars refund %s (⭐ %s, user %d, package %s) could not take back %s credits: they were already spent. Taken back: %s.",
		"notice_stars_missing":        "🚨 Stars payment <code>%s</code> (⭐ %s, user %d, package %s) is booked but Telegram's transaction list does not have it. Check it before trusting it.",
		"refund_unknown":              "No Stars payment has the charge id <code>%s</code>.",
		"refund_already":              "That payment was already refunded.",
		"refund_spent":                "Refund refused: it takes back %d credits and the user has %d left. Nothing was changed.",
		"refund_telegram":             "Telegram refused the refund: %s. Nothing was changed.",
		"refund_done":                 "↩️ Refunded ⭐ %d to %s (package %s); %d credits taken back.",
		"refund_shortfall":            "%d credits could not be taken back: they were already spent.",
		"refund_confirm":              "Refund ⭐ %d to %s (package %s)? %d credits will be taken back.\nCharge <code>%s</code>",
		"btn_confirm_refund":          "↩️ Confirm refund",
		"btn_refund":                  "↩️ Refund ⭐ %d (%s)",
		"stars_none":                  "No Stars payments yet.",
		"stars_title":                 "<b>Latest Stars payments</b>",
		"stars_item":                  "%s UTC · ⭐ %d · %s · %s · %s\n<code>%s</code>",
		"status_paid":                 "paid",
		"subs_none":                   "You have no subscriptions.",
		"subs_title":                  "<b>Your subscriptions</b>",
		"sub_active":                  "• <b>%s</b>: ⭐ %d a month for %d credits; renews on %s UTC",
		"sub_canceled":                "• <b>%s</b>: ⭐ %d a month for %d credits; canceled, ends on %s UTC",
		"sub_expired":                 "• <b>%s</b>: expired on %s UTC",
		"btn_sub_cancel":              "✖️ Cancel %s",
		"btn_sub_renew":               "🔁 Keep %s",
		"btn_subscribe_again":         "⭐ Subscribe to %s again",
		"sub_canceled_ok":             "Canceled: it will not renew. The paid month still runs.",
		"sub_renewed_ok":              "It will renew again.",
		"sub_edit_failed":             "Telegram did not accept the change; try again later.",
		"kind_stars_purchase":         "Stars purchase",
		"kind_stars_refund":           "Stars refund",
		"stats_stars":                 "Stars: Telegram says ⭐ %s, ledger revenue ⭐ %d",
		"stats_stars_drift":           "⚠️ Stars drift: %+d",
	} {
		catalog[en][k] = v
	}
	for k, v := range map[string]string{
		"cmd_buy":                     "Купить кредиты",
		"cmd_subscriptions":           "Ваши подписки",
		"cmd_refund":                  "Вернуть платёж в Stars (админы)",
		"buy_none":                    "Сейчас ничего не продаётся.",
		"buy_title":                   "<b>Пакеты кредитов</b>",
		"buy_item":                    "• <b>%s</b>: %d кредитов за %s",
		"or":                          " или ",
		"per_month":                   " / мес.",
		"buy_unknown":                 "Такого пакета нет. См. /buy.",
		"buy_stars_only":              "Этот пакет продаётся только за Telegram Stars. См. /buy.",
		"buy_again":                   "Вы уже купили его этой кнопкой.",
		"bought":                      "✅ Куплен пакет <b>%s</b>: +%d кредитов за %s.\nКредиты: <b>%d</b>",
		"invoice_description":         "%d кредитов",
		"invoice_description_monthly": "%d кредитов каждый месяц",
		"subscribe_offer":             "<b>%s</b>: %d кредитов каждый месяц за ⭐ %d. Telegram продлевает подписку каждый месяц, пока вы её не отмените (/subscriptions).",
		"btn_subscribe":               "⭐ Подписаться за %d в месяц",
		"checkout_price_changed":      "Цена изменилась (теперь %d Stars). Запросите новый счёт командой /buy.",
		"checkout_not_yours":          "Этот счёт выставлен другому пользователю. Запросите свой командой /buy.",
		"checkout_not_ours":           "Этот счёт здесь оплатить нельзя.",
		"notice_stars_paid":           "✅ Оплата получена: ⭐ %s за <b>%s</b>\n+%s кредитов. Кредиты: <b>%s</b>",
		"notice_stars_renewed":        "🔁 Подписка <b>%s</b> продлена: ⭐ %s, +%s кредитов. Кредиты: <b>%s</b>",
		"notice_stars_until":          "Следующее продление: %s UTC.",
		"notice_stars_refunded":       "↩️ Ваш платёж ⭐ %s за <b>%s</b> возвращён; списано %s кредитов.",
		"refund_unknown":              "Платежа в Stars с charge id <code>%s</code> нет.",
		"refund_already":              "Этот платёж уже возвращён.",
		"refund_spent":                "Возврат отклонён: он списывает %d кредитов, а у пользователя осталось %d. Ничего не изменено.",
		"refund_telegram":             "Telegram отклонил возврат: %s. Ничего не изменено.",
		"refund_done":                 "↩️ Возвращено ⭐ %d пользователю %s (пакет %s); списано %d кредитов.",
		"refund_shortfall":            "%d кредитов списать не удалось: они уже потрачены.",
		"btn_confirm_refund":          "↩️ Подтвердить возврат",
		"status_paid":                 "оплачен",
		"subs_none":                   "У вас нет подписок.",
		"subs_title":                  "<b>Ваши подписки</b>",
		"sub_active":                  "• <b>%s</b>: ⭐ %d в месяц за %d кредитов; продление %s UTC",
		"sub_canceled":                "• <b>%s</b>: ⭐ %d в месяц за %d кредитов; отменена, действует до %s UTC",
		"sub_expired":                 "• <b>%s</b>: истекла %s UTC",
		"btn_sub_cancel":              "✖️ Отменить %s",
		"btn_sub_renew":               "🔁 Оставить %s",
		"btn_subscribe_again":         "⭐ Подписаться на %s снова",
		"sub_canceled_ok":             "Отменено: продления не будет. Оплаченный месяц действует.",
		"sub_renewed_ok":              "Подписка снова будет продлеваться.",
		"sub_edit_failed":             "Telegram не принял изменение; попробуйте позже.",
		"kind_stars_purchase":         "покупка за Stars",
		"kind_stars_refund":           "возврат Stars",
	} {
		catalog[ru][k] = v
	}
}

// starsNotice renders a Stars outbox event.
func (b *Bot) starsNotice(l lang, ev store.Event) (string, error) {
	switch ev.Type {
	case store.EventStarsPaid:
		var p store.StarPaidEvent
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return "", err
		}
		text := l.t("notice_stars_paid", esc(p.Stars), esc(p.Package), esc(p.Credits), esc(p.Balance))
		if p.Renewal {
			text = l.t("notice_stars_renewed", esc(p.Package), esc(p.Stars), esc(p.Credits), esc(p.Balance))
		}
		if p.ExpiresAt > 0 {
			text += "\n" + l.t("notice_stars_until", stamp(time.Unix(p.ExpiresAt, 0)))
		}
		return text, nil
	case store.EventStarsRefunded, store.EventStarsRefundShortfall:
		var r store.StarRefundEvent
		if err := json.Unmarshal(ev.Payload, &r); err != nil {
			return "", err
		}
		if ev.Type == store.EventStarsRefunded {
			return l.t("notice_stars_refunded", esc(r.Stars), esc(r.Package), esc(r.Clawed)), nil
		}
		return l.t("notice_stars_shortfall", esc(r.ChargeID), esc(r.Stars), r.UserID, esc(r.Package), esc(r.Shortfall), esc(r.Clawed)), nil
	default:
		var m store.StarMissingEvent
		if err := json.Unmarshal(ev.Payload, &m); err != nil {
			return "", err
		}
		return l.t("notice_stars_missing", esc(m.ChargeID), esc(m.Stars), m.UserID, esc(m.Package)), nil
	}
}
