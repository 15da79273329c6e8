package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

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
