package bot

import (
	"context"
	"fmt"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

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
