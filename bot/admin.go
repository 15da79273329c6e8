package bot

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// cmdStats shows users, today's deposits, the hot wallet (as booked and, when
// the service can tell, on chain), the scanner's lag, the withdrawals
// waiting, the last comparison of the ledger with the chain and whether
// payouts are paused.
func (b *Bot) cmdStats(ctx context.Context, r request) {
	text, err := b.stats(ctx, r.l)
	if err != nil {
		b.oops(ctx, r.p, r.l, "stats", err)
		return
	}
	b.reply(ctx, r.p, text, nil)
}

func (b *Bot) stats(ctx context.Context, l lang) (string, error) {
	users, err := b.db.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	now := b.db.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	deps, err := b.db.DepositsSince(ctx, today)
	if err != nil {
		return "", err
	}
	// What the ledger says the hot wallet and the deposit addresses hold,
	// and the operator's own money.
	totals, err := b.db.Overview(ctx)
	if err != nil {
		return "", err
	}
	counts, err := b.db.CountWithdrawals(ctx)
	if err != nil {
		return "", err
	}
	books, err := b.books(ctx, l)
	if err != nil {
		return "", err
	}

	n := 0
	var sums []string
	for _, s := range b.symbols {
		if d, ok := deps[s]; ok {
			n += d.Count
			sums = append(sums, b.amount(d.Sum, s))
		}
	}
	depLine := ""
	if len(sums) > 0 {
		depLine = ": " + strings.Join(sums, ", ")
	}
	var hots, onDeposit, capital []string
	for _, s := range b.symbols {
		t := totals[s]
		if t == nil {
			t = &store.Totals{Asset: s}
		}
		if onChain(b.assets[s]) {
			hots = append(hots, b.amount(t.Hot, s))
			onDeposit = append(onDeposit, b.amount(t.OnDeposit, s))
		}
		if t.Capital != 0 {
			capital = append(capital, b.amount(t.Capital, s))
		}
	}
	if len(capital) == 0 {
		capital = append(capital, b.amount(0, store.TON.Symbol))
	}
	chain, lag := l.t("unknown"), l.t("unknown")
	if b.status != nil {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if v, err := b.status.HotWalletBalance(sctx); err == nil {
			chain = b.amount(v, store.TON.Symbol)
		} else {
			b.log.Warn("stats: hot wallet balance", "err", err)
		}
		cancel()
		lag = b.status.ScannerLag().Round(time.Second).String()
	}
	lines := []string{
		l.t("stats_title"),
		l.t("stats_users", users),
		l.t("stats_deposits", n, esc(depLine)),
		l.t("stats_hot_ledger", esc(strings.Join(hots, ", "))),
		l.t("stats_hot_chain", esc(chain)),
		l.t("stats_on_deposit", esc(strings.Join(onDeposit, ", "))),
		l.t("stats_capital", esc(strings.Join(capital, ", "))),
		l.t("stats_lag", esc(lag)),
		l.t("stats_awaiting", counts[store.WithdrawalAwaitingApproval]),
		l.t("stats_queued", counts[store.WithdrawalQueued], counts[store.WithdrawalSent]),
	}
	lines = append(lines, books...)
	lines = append(lines, b.starsStats(ctx, l)...)
	return strings.Join(lines, "\n"), nil
}

// books are the /stats lines on the ledger against the chain: the last
// reconciliation of each asset and whether payouts are paused, and why.
func (b *Bot) books(ctx context.Context, l lang) ([]string, error) {
	recs, err := b.db.Reconciliations(ctx)
	if err != nil {
		return nil, err
	}
	pause, paused, err := b.db.PayoutPause(ctx)
	if err != nil {
		return nil, err
	}
	// In the bot's display order; an asset it does not know goes last.
	slices.SortStableFunc(recs, func(x, y store.Reconciliation) int {
		return cmp.Compare(b.order(x.Asset), b.order(y.Asset))
	})
	var lines []string
	if len(recs) == 0 {
		lines = append(lines, l.t("stats_recon_none"))
	} else {
		lines = append(lines, l.t("stats_recon_title"))
	}
	for _, r := range recs {
		if r.Drift == 0 {
			lines = append(lines, l.t("stats_recon_ok", esc(r.Asset), r.Block))
			continue
		}
		lines = append(lines, l.t("stats_recon_drift", esc(r.Asset), esc(b.signed(r.Drift, r.Asset)), stamp(r.Since), r.Block,
			esc(b.amount(r.Chain, r.Asset)), esc(b.amount(r.Ledger, r.Asset))))
	}
	if paused {
		lines = append(lines, l.t("stats_payouts_paused", stamp(pause.CreatedAt), esc(l.cause(pause.Cause)), esc(pause.Reason)))
	} else {
		lines = append(lines, l.t("stats_payouts_running"))
	}
	return lines, nil
}

// order is an asset's place in the display order.
func (b *Bot) order(asset string) int {
	if i := slices.Index(b.symbols, asset); i >= 0 {
		return i
	}
	return len(b.symbols)
}

// pauseReasonMax bounds the reason an admin gives to /pause.
const pauseReasonMax = 200

// cmdPause stops new payouts until /resume: "/pause [reason]". Withdrawals
// are still accepted and wait in the queue; batches already sent settle.
func (b *Bot) cmdPause(ctx context.Context, r request) {
	reason := strings.Join(r.args, " ")
	if reason == "" {
		reason = "no reason given"
	}
	if rs := []rune(reason); len(rs) > pauseReasonMax {
		reason = string(rs[:pauseReasonMax]) + "…"
	}
	reason += " (" + adminLabel(r.from) + ")"
	before, was, err := b.db.PayoutPause(ctx)
	if err != nil {
		b.oops(ctx, r.p, r.l, "payout pause", err)
		return
	}
	if err := b.db.PausePayouts(ctx, adminActor(r.from), reason); err != nil {
		b.oops(ctx, r.p, r.l, "pause payouts", err)
		return
	}
	b.log.Warn("payouts paused by an admin", "admin", r.from.ID, "reason", reason)
	text := r.l.t("paused", esc(reason))
	if was {
		text += "\n" + r.l.t("paused_before", esc(r.l.cause(before.Cause)), esc(before.Reason))
	}
	b.reply(ctx, r.p, text, nil)
}

// cmdResume lifts the payout pause, whatever caused it. A drift that is
// still there is thereby acknowledged: it does not pause payouts again (a
// different one does).
func (b *Bot) cmdResume(ctx context.Context, r request) {
	was, paused, err := b.db.ResumePayouts(ctx, adminActor(r.from))
	if err != nil {
		b.oops(ctx, r.p, r.l, "resume payouts", err)
		return
	}
	if !paused {
		b.reply(ctx, r.p, r.l.t("resume_not_paused"), nil)
		return
	}
	b.log.Warn("payouts resumed by an admin", "admin", r.from.ID, "cause", was.Cause, "reason", was.Reason)
	text := r.l.t("resumed", esc(r.l.cause(was.Cause)), stamp(was.CreatedAt), esc(was.Reason))
	if was.Cause == store.PauseDrift {
		text += "\n" + r.l.t("resumed_drift")
	}
	b.reply(ctx, r.p, text, nil)
}

// adminActor is an admin as the audit log names them.
func adminActor(u *models.User) store.Actor {
	name := u.FirstName
	if u.Username != "" {
		name = "@" + u.Username
	}
	return store.AdminActor(u.ID, name)
}

// adminLabel names an admin in a stored reason: @username, or the id.
func adminLabel(u *models.User) string {
	if u.Username != "" {
		return "@" + u.Username
	}
	return "admin " + strconv.FormatInt(u.ID, 10)
}

// pendingShown bounds the withdrawals /pending lists in one message.
const pendingShown = 10

// cmdPending lists the withdrawals waiting for approval in one message with
// Approve and Reject buttons for each.
func (b *Bot) cmdPending(ctx context.Context, r request) {
	text, kb, err := b.pending(ctx, r.l)
	if err != nil {
		b.oops(ctx, r.p, r.l, "pending withdrawals", err)
		return
	}
	b.reply(ctx, r.p, text, kb)
}

func (b *Bot) pending(ctx context.Context, l lang) (string, models.ReplyMarkup, error) {
	ws, err := b.db.Withdrawals(ctx, store.WithdrawalAwaitingApproval, pendingShown)
	if err != nil {
		return "", nil, err
	}
	if len(ws) == 0 {
		return l.t("pending_none"), nil, nil
	}
	var parts []string
	var kb [][]button
	for _, w := range ws {
		parts = append(parts, b.withdrawalItem(ctx, l, w))
		id := strconv.FormatInt(w.ID, 10)
		kb = append(kb, []button{
			cbButton(l.t("btn_approve")+" #"+id, "wa:"+id+":l"),
			cbButton(l.t("btn_reject")+" #"+id, "wr:"+id+":l"),
		})
	}
	return strings.Join(parts, "\n\n"), rows(kb...), nil
}

// withdrawalItem describes a withdrawal for an admin.
func (b *Bot) withdrawalItem(ctx context.Context, l lang, w store.Withdrawal) string {
	return l.t("pending_item", w.ID, esc(b.amount(w.Amount, w.Asset)), esc(b.amount(w.Fee, w.FeeAsset)),
		esc(b.userLabel(ctx, w.UserID)), esc(w.Destination), stamp(w.CreatedAt))
}

// userLabel names a user for admins: @username (id), or name (id).
func (b *Bot) userLabel(ctx context.Context, id int64) string { return b.db.UserLabel(ctx, id) }

// adminKeyboard has the Approve and Reject buttons of one withdrawal.
func adminKeyboard(l lang, id int64) models.ReplyMarkup {
	s := strconv.FormatInt(id, 10)
	return rows([]button{cbButton(l.t("btn_approve"), "wa:"+s), cbButton(l.t("btn_reject"), "wr:"+s)})
}

// decide approves or rejects a withdrawal from an admin's button. A reject
// returns amount and fee to the user (the store does both in one
// transaction and queues the user's notice).
func (b *Bot) decide(ctx context.Context, q *models.CallbackQuery, cm callbackMessage, approve bool, arg string, ans func(string, bool)) {
	l := langOf(q.From.LanguageCode)
	if !b.isAdmin(q.From.ID) {
		ans(l.t("cb_not_allowed"), true)
		return
	}
	idStr, list := strings.CutSuffix(arg, ":l")
	id, ok := parseID(idStr)
	if !ok {
		ans(l.t("cb_unknown"), false)
		return
	}
	admin := q.From.FirstName
	if q.From.Username != "" {
		admin = "@" + q.From.Username
	}
	var w store.Withdrawal
	var err error
	if approve {
		w, err = b.db.ApproveWithdrawal(ctx, adminActor(&q.From), id)
	} else {
		w, err = b.db.RejectWithdrawal(ctx, adminActor(&q.From), id, "rejected by an administrator")
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		cur, cerr := b.db.Withdrawal(ctx, id)
		if cerr != nil {
			ans(l.t("error"), true)
			return
		}
		ans(l.t("already", l.status(cur.Status)), true)
		w = cur
	case errors.Is(err, store.ErrNotFound):
		ans(l.t("cb_unknown"), true)
		return
	case errors.Is(err, store.ErrBlocked):
		ans(l.t("approve_blocked"), true)
		return
	case err != nil:
		b.log.Error("withdrawal decision", "withdrawal", id, "approve", approve, "err", err)
		ans(l.t("error"), true)
		return
	default:
		b.log.Info("withdrawal decision", "withdrawal", id, "status", w.Status, "admin", q.From.ID)
		if approve {
			ans(l.t("approved_by", admin), false) // the store's approval tells the user through the outbox
		} else {
			ans(l.t("rejected_by", admin), false)
		}
	}
	if !cm.ok {
		return
	}
	if list {
		text, kb, err := b.pending(ctx, l)
		if err == nil {
			err = b.edit(ctx, cm.chatID, cm.msgID, text, kb)
		}
		if err != nil {
			b.log.Warn("refresh pending list", "err", err)
		}
		return
	}
	text := b.withdrawalItem(ctx, l, w) + "\n\n" + esc(l.status(w.Status))
	switch {
	case err != nil:
	case approve:
		text += "\n" + l.t("approved_by", esc(admin))
	default:
		text += "\n" + l.t("rejected_by", esc(admin))
	}
	if err := b.edit(ctx, cm.chatID, cm.msgID, text, nil); err != nil {
		b.log.Warn("edit withdrawal notice", "err", err)
	}
}

const unmatchedPage = 10

// cmdUnmatched lists incoming transfers nobody claimed, newest first.
func (b *Bot) cmdUnmatched(ctx context.Context, r request) {
	text, kb, err := b.unmatched(ctx, r.l, 0)
	if err != nil {
		b.oops(ctx, r.p, r.l, "unmatched", err)
		return
	}
	b.reply(ctx, r.p, text, kb)
}

func (b *Bot) unmatched(ctx context.Context, l lang, before int64) (string, models.ReplyMarkup, error) {
	// Every kind of money on the unmatched account: deposits nobody
	// claimed, dust, aborted transactions' value, a fake jetton's coin.
	us, err := b.db.UnmatchedPage(ctx, before, unmatchedPage+1)
	if err != nil {
		return "", nil, err
	}
	more := len(us) > unmatchedPage
	if more {
		us = us[:unmatchedPage]
	}
	parts := []string{l.t("unmatched_title")}
	if len(us) == 0 {
		parts = append(parts, l.t("unmatched_none"))
	}
	evs := make([]store.ChainEvent, 0, len(us))
	for _, u := range us {
		e := u.Event
		evs = append(evs, e)
		note := e.Kind
		if e.Note != "" {
			note += ": " + e.Note
		}
		item := l.t("unmatched_item", e.ID, stamp(e.Time), esc(b.amount(e.Amount, e.Asset)), esc(note),
			esc(b.friendly(e.Sender)), esc(e.Comment))
		if link := b.txLink(e.Hash); link != "" {
			item += "\n" + `<a href="` + esc(link) + `">` + l.t("history_link") + `</a>`
		}
		// Resolved in the Mini App's admin dashboard.
		if r := u.Resolution; r != nil {
			switch {
			case r.Kind == store.ResolutionRefunded:
				item += "\n" + l.t("unmatched_refunded", esc(r.RefundTx))
			case r.UserID != 0:
				item += "\n" + l.t("unmatched_assigned", esc(b.userLabel(ctx, r.UserID)))
			default:
				item += "\n" + l.t("unmatched_assigned", "merchant "+strconv.FormatInt(r.MerchantID, 10))
			}
		}
		parts = append(parts, item)
	}
	var nav []button
	if before > 0 {
		nav = append(nav, cbButton(l.t("btn_newest"), "u:0"))
	}
	if more {
		nav = append(nav, cbButton(l.t("btn_older"), "u:"+strconv.FormatInt(evs[len(evs)-1].ID, 10)))
	}
	return strings.Join(parts, "\n\n"), rows(nav), nil
}
