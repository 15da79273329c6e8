package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// fee is what a withdrawal of asset costs, and in which asset: a jetton
// withdrawal pays the TON fee in TON, since the hot wallet pays a jetton
// transfer's gas in TON.
func (b *Bot) fee(asset string) (store.Amount, string) {
	if asset == store.TON.Symbol {
		return b.cfg.WithdrawFee[asset], asset
	}
	return b.cfg.WithdrawFee[store.TON.Symbol], store.TON.Symbol
}

// cmdWithdraw is "/withdraw <amount> [asset] [address]". Without an
// address the money goes to the linked wallet. The idempotency key is the
// command's chat and message id, so a redelivered update (webhook retry,
// polling after a crash) finds the first withdrawal instead of making a
// second one.
func (b *Bot) cmdWithdraw(ctx context.Context, r request) {
	if len(r.args) == 0 || len(r.args) > 3 {
		b.withdrawUsage(ctx, r)
		return
	}
	l := r.l
	asset, ok := b.assets[store.TON.Symbol]
	if !ok {
		asset = store.TON
	}
	rest := r.args[1:]
	if len(rest) > 0 {
		if a, ok := b.assetArg(rest[0]); ok {
			asset, rest = a, rest[1:]
		} else if len(rest) == 2 || len(rest[0]) < 40 {
			b.reply(ctx, r.p, l.t("unknown_asset", esc(rest[0]), esc(strings.Join(b.chainSymbols(), ", "))), nil)
			return
		}
	}
	if !onChain(asset) {
		b.reply(ctx, r.p, l.t("not_withdrawable", esc(asset.Symbol)), nil)
		return
	}
	amt, err := parseAmountArg(r.args[0], asset.Decimals)
	if err != nil || amt <= 0 {
		b.reply(ctx, r.p, l.t("bad_amount", esc(r.args[0]), esc(asset.Symbol), asset.Decimals), nil)
		return
	}
	if minimum := b.cfg.WithdrawMin[asset.Symbol]; amt < minimum {
		b.reply(ctx, r.p, l.t("below_min", esc(asset.Symbol), esc(b.amount(minimum, asset.Symbol))), nil)
		return
	}
	var dest *address.Address
	if len(rest) == 1 {
		if dest, err = ton.ParseAddress(rest[0], b.cfg.Testnet); err != nil {
			b.reply(ctx, r.p, l.t("bad_address", esc(rest[0]), esc(err.Error())), nil)
			return
		}
	} else {
		w, err := b.db.WalletOf(ctx, r.user.ID)
		if errors.Is(err, store.ErrNotFound) {
			b.reply(ctx, r.p, l.t("no_wallet", esc(r.args[0]), esc(asset.Symbol)),
				rows(b.appRow(r.p, l.t("btn_connect"), "", nil)))
			return
		}
		if err != nil {
			b.oops(ctx, r.p, l, "linked wallet", err)
			return
		}
		if dest, err = ton.ParseAddress(w.Address, b.cfg.Testnet); err != nil {
			b.oops(ctx, r.p, l, "linked wallet address", err)
			return
		}
	}

	fee, feeAsset := b.fee(asset.Symbol)
	threshold := b.cfg.WithdrawApprovalAbove[asset.Symbol]
	// The store checks the idempotency key before the balance, so a replay
	// is recognized even after the first request spent the money.
	w, created, err := b.db.RequestWithdrawal(ctx, store.NewWithdrawal{
		UserID:        r.user.ID,
		IdemKey:       fmt.Sprintf("tg:%d:%d", r.p.chatID, r.msgID),
		Asset:         asset.Symbol,
		Amount:        amt,
		Fee:           fee,
		FeeAsset:      feeAsset,
		Destination:   ton.FormatAddress(dest, b.cfg.Testnet),
		NeedsApproval: threshold > 0 && amt > threshold,
	})
	switch {
	case errors.Is(err, store.ErrInsufficientFunds):
		bals, berr := b.db.Balances(ctx, store.UserAccount(r.user.ID))
		if berr != nil {
			b.oops(ctx, r.p, l, "balances", berr)
			return
		}
		short, missing, need, have := shortfall(bals, asset.Symbol, amt, fee, feeAsset)
		if missing <= 0 { // the balance changed meanwhile
			b.oops(ctx, r.p, l, "withdraw", err)
			return
		}
		detail := l.t("insufficient_withdraw", esc(b.amount(need, short)), esc(b.amount(have, short)))
		text, kb := b.insufficientMsg(r.p, l, short, missing, detail)
		b.reply(ctx, r.p, text, kb)
		return
	case errors.Is(err, store.ErrConflict):
		b.reply(ctx, r.p, l.t("withdraw_conflict"), nil)
		return
	case err != nil:
		b.oops(ctx, r.p, l, "withdraw", err)
		return
	}
	if !created {
		b.reply(ctx, r.p, l.t("withdraw_replay", w.ID, esc(l.status(w.Status))), nil)
		return
	}
	text := l.t("withdraw_created", w.ID, esc(b.amount(w.Amount, w.Asset)), esc(b.amount(w.Fee, w.FeeAsset)), esc(w.Destination), esc(l.status(w.Status)))
	if w.Status == store.WithdrawalAwaitingApproval {
		text += "\n\n" + l.t("withdraw_awaiting_note")
	} else {
		text += "\n\n" + l.t("withdraw_queued_note")
	}
	b.reply(ctx, r.p, text, rows([]button{cbButton(l.t("btn_history"), "m:history")}))
}

// shortfall finds what is missing for a withdrawal: the asset, how much,
// what is needed of it and what the balance holds (missing 0 when nothing).
func shortfall(bals map[string]store.Amount, asset string, amt, fee store.Amount, feeAsset string) (string, store.Amount, store.Amount, store.Amount) {
	if feeAsset == asset {
		need := amt + fee
		if need < amt {
			need = math.MaxInt64
		}
		if have := bals[asset]; have < need {
			return asset, need - have, need, have
		}
		return asset, 0, need, bals[asset]
	}
	if have := bals[asset]; have < amt {
		return asset, amt - have, amt, have
	}
	if have := bals[feeAsset]; have < fee {
		return feeAsset, fee - have, fee, have
	}
	return asset, 0, amt, bals[asset]
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
	for _, s := range b.chainSymbols() {
		fee, feeAsset := b.fee(s)
		lines = append(lines, r.l.t("withdraw_rule", esc(s), esc(b.amount(bals[s], s)), esc(b.amount(fee, feeAsset)),
			esc(b.amount(b.cfg.WithdrawMin[s], s))))
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
