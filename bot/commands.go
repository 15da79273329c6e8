package bot

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// request is one command from a user.
type request struct {
	p     place
	l     lang
	from  *models.User
	user  store.User
	msgID int // the command's message, for idempotency keys
	args  []string
}

// personal commands show a user's money: only in a private chat.
var personal = map[string]bool{"balance": true, "topup": true, "pay": true, "withdraw": true, "history": true, "wallet": true,
	"buy": true, "subscriptions": true}

var adminOnly = map[string]bool{"stats": true, "pending": true, "unmatched": true, "pause": true, "resume": true, "refund": true}

// parseCommand splits "/cmd@bot arg ..." into the command and its
// arguments. A command addressed to another bot is not ours.
func (b *Bot) parseCommand(text string) (string, []string, bool) {
	if !strings.HasPrefix(text, "/") {
		return "", nil, false
	}
	f := strings.Fields(text)
	c := f[0][1:]
	if name, to, ok := strings.Cut(c, "@"); ok {
		if me := b.username(); me != "" && !strings.EqualFold(to, me) {
			return "", nil, false
		}
		c = name
	}
	return strings.ToLower(c), f[1:], c != ""
}

func (b *Bot) onMessage(ctx context.Context, m *models.Message) {
	// Payments first: Telegram's service messages carry no text.
	switch {
	case m.SuccessfulPayment != nil:
		b.onSuccessfulPayment(ctx, m)
		return
	case m.RefundedPayment != nil:
		b.onRefundedPayment(ctx, m)
		return
	}
	if m.From == nil || m.From.IsBot {
		return
	}
	p := place{chatID: m.Chat.ID, private: m.Chat.Type == models.ChatTypePrivate}
	l := langOf(m.From.LanguageCode)
	cmd, args, ok := b.parseCommand(m.Text)
	if !ok {
		if p.private && m.Text != "" {
			b.reply(ctx, p, l.t("unknown_command"), nil)
		}
		return
	}
	// Refused before anything is written: an admin command from anyone else
	// changes nothing at all.
	if adminOnly[cmd] && !b.isAdmin(m.From.ID) {
		b.reply(ctx, p, l.t("admin_only"), nil)
		return
	}
	if !p.private && (personal[cmd] || cmd == "start") {
		b.reply(ctx, p, l.t("private_only"), rows(b.appRow(p, l.t("btn_open_bot"), "", nil)))
		return
	}
	user, err := b.db.UpsertUser(ctx, store.User{ID: m.From.ID, Username: m.From.Username, FirstName: m.From.FirstName, LanguageCode: m.From.LanguageCode})
	if err != nil {
		b.oops(ctx, p, l, "register user", err)
		return
	}
	r := request{p: p, l: l, from: m.From, user: user, msgID: m.ID, args: args}
	switch cmd {
	case "start":
		b.cmdStart(ctx, r)
	case "balance":
		b.cmdBalance(ctx, r)
	case "topup":
		b.cmdTopup(ctx, r)
	case "pay":
		b.cmdPay(ctx, r)
	case "withdraw":
		b.cmdWithdraw(ctx, r)
	case "history":
		b.cmdHistory(ctx, r)
	case "wallet":
		b.cmdWallet(ctx, r)
	case "help":
		b.cmdHelp(ctx, r)
	case "buy":
		b.cmdBuy(ctx, r)
	case "subscriptions":
		b.cmdSubscriptions(ctx, r)
	case "refund":
		b.cmdRefund(ctx, r)
	case "stats":
		b.cmdStats(ctx, r)
	case "pending":
		b.cmdPending(ctx, r)
	case "unmatched":
		b.cmdUnmatched(ctx, r)
	case "pause":
		b.cmdPause(ctx, r)
	case "resume":
		b.cmdResume(ctx, r)
	default:
		if p.private {
			b.reply(ctx, p, l.t("unknown_command"), nil)
		}
	}
}

// oops tells the user something failed and logs why.
func (b *Bot) oops(ctx context.Context, p place, l lang, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	b.log.Error(what, "chat", p.chatID, "err", err)
	b.reply(ctx, p, l.t("error"), nil)
}

// cmdStart registers the user (done by onMessage) and shows the welcome,
// the balance and the menu. "/start topup" and friends come from t.me links
// to the bot and open that part directly.
func (b *Bot) cmdStart(ctx context.Context, r request) {
	if len(r.args) > 0 {
		r2 := r
		r2.args = nil
		switch r.args[0] {
		case "topup":
			b.cmdTopup(ctx, r2)
			return
		case "withdraw":
			b.cmdWithdraw(ctx, r2)
			return
		case "history":
			b.cmdHistory(ctx, r2)
			return
		case "wallet":
			b.cmdWallet(ctx, r2)
			return
		}
	}
	bal, err := b.balanceBlock(ctx, r.l, r.user.ID)
	if err != nil {
		b.oops(ctx, r.p, r.l, "balance", err)
		return
	}
	name := r.user.FirstName
	if name == "" {
		name = r.user.Username
	}
	text := r.l.t("welcome", esc(name)) + "\n\n" + bal + "\n\n" + r.l.t("menu_hint")
	b.reply(ctx, r.p, text, b.menu(r.p, r.l))
}

func (b *Bot) cmdBalance(ctx context.Context, r request) {
	bal, err := b.balanceBlock(ctx, r.l, r.user.ID)
	if err != nil {
		b.oops(ctx, r.p, r.l, "balance", err)
		return
	}
	b.reply(ctx, r.p, bal, b.menu(r.p, r.l))
}

func (b *Bot) cmdHelp(ctx context.Context, r request) {
	text := r.l.t("help")
	if b.isAdmin(r.from.ID) {
		text += r.l.t("help_admin")
	}
	b.reply(ctx, r.p, text, b.menu(r.p, r.l))
}

// topupButton opens the Mini App's top-up screen (asset and amount
// prefilled when given); without the Mini App it asks for the manual
// instructions instead.
func (b *Bot) topupButton(p place, l lang, asset string, amount store.Amount) button {
	q := url.Values{}
	if asset != "" {
		q.Set("asset", asset)
		if amount > 0 {
			if a, ok := b.assets[asset]; ok {
				q.Set("amount", amount.Format(a.Decimals))
			}
		}
	}
	if btn, ok := b.appButton(p, l.t("btn_topup"), "topup", q); ok {
		return btn
	}
	return cbButton(l.t("btn_topup"), "m:topup")
}

// cmdTopup shows how to top up by hand. First the user's own deposit
// address, which needs no comment (from any wallet or exchange), with a
// ton:// link per asset and the QR code of one; then, as the second way,
// the hot wallet with the personal comment; and a button to the Mini App.
// "/topup 1.5 [asset]" puts the amount into the links of that asset.
func (b *Bot) cmdTopup(ctx context.Context, r request) {
	asset := store.TON
	var amt store.Amount
	if len(r.args) > 1 {
		if a, ok := b.assetArg(r.args[1]); ok && onChain(a) {
			asset = a
		}
	}
	if len(r.args) > 0 {
		if v, err := store.ParseTypedAmount(r.args[0], asset.Decimals); err == nil {
			amt = v
		}
	}
	kb := rows(b.appRow(r.p, r.l.t("btn_topup"), "topup", topupQuery(asset, amt)))
	own, err := b.ownDepositAddress(ctx, r.user.ID)
	if err != nil {
		b.oops(ctx, r.p, r.l, "deposit address", err)
		return
	}
	if own == nil {
		b.topupWithComment(ctx, r, asset, amt, kb)
		return
	}
	var names, links []string
	qr := ""
	for _, s := range b.chainSymbols() {
		a := b.assets[s]
		var v store.Amount
		if a.Symbol == asset.Symbol {
			v = amt
		}
		link := b.depositLink(own, a, v, "")
		if a.Symbol == asset.Symbol {
			qr = link
		}
		names = append(names, esc(a.DisplayName()))
		links = append(links, esc(a.DisplayName())+": <code>"+esc(link)+"</code>")
	}
	if qr == "" {
		qr = b.depositLink(own, store.TON, 0, "")
	}
	list := strings.Join(names, r.l.t("or"))
	if len(names) > 2 {
		list = strings.Join(names[:len(names)-1], ", ") + r.l.t("or") + names[len(names)-1]
	}
	text := r.l.t("topup_own", list, esc(ton.FormatAddress(own, b.cfg.Testnet)), strings.Join(links, "\n"))
	if b.cfg.DepositAddress == nil {
		if kb != nil {
			text += "\n\n" + r.l.t("topup_app")
		}
		b.replyQR(ctx, r.p, qr, "topup.png", text, kb)
		return
	}
	b.replyQR(ctx, r.p, qr, "topup.png", text, nil)
	hot := ton.FormatAddress(b.cfg.DepositAddress, b.cfg.Testnet)
	text = r.l.t("topup_comment", esc(hot), esc(r.user.Comment), esc(b.depositLink(b.cfg.DepositAddress, asset, amt, r.user.Comment))) +
		b.jettonsByComment(r.l)
	if kb != nil {
		text += "\n\n" + r.l.t("topup_app")
	}
	b.reply(ctx, r.p, text, kb)
}

// ownDepositAddress is the user's own deposit address; nil when the
// service hands out none (no seed to derive them from).
func (b *Bot) ownDepositAddress(ctx context.Context, userID int64) (*address.Address, error) {
	w, err := b.db.DepositWallet(ctx, store.UserOwner(userID))
	if errors.Is(err, store.ErrNoDepositWallets) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return address.ParseRawAddr(w.Address)
}

// topupWithComment is the top-up by the hot wallet and the personal
// comment, with its link's QR code (the only way when the service hands out
// no deposit addresses).
func (b *Bot) topupWithComment(ctx context.Context, r request, asset store.Asset, amt store.Amount, kb models.ReplyMarkup) {
	if b.cfg.DepositAddress == nil {
		b.reply(ctx, r.p, r.l.t("topup_no_address"), kb)
		return
	}
	addr := ton.FormatAddress(b.cfg.DepositAddress, b.cfg.Testnet)
	link := b.depositLink(b.cfg.DepositAddress, asset, amt, r.user.Comment)
	text := r.l.t("topup", esc(addr), esc(r.user.Comment), esc(link))
	text += b.jettonsByComment(r.l)
	if kb != nil {
		text += "\n\n" + r.l.t("topup_app")
	}
	b.replyQR(ctx, r.p, link, "topup.png", text, kb)
}

// jettonsByComment is the line saying jettons go the same way as the
// native coin on the comment path ("" without jettons).
func (b *Bot) jettonsByComment(l lang) string {
	var jettons []string
	for _, s := range b.symbols {
		if a := b.assets[s]; a.Master != "" {
			jettons = append(jettons, s)
		}
	}
	if len(jettons) == 0 {
		return ""
	}
	return "\n" + l.t("topup_jettons", esc(strings.Join(jettons, ", ")))
}

func topupQuery(asset store.Asset, amt store.Amount) url.Values {
	q := url.Values{"asset": {asset.Symbol}}
	if amt > 0 {
		q.Set("amount", amt.Format(asset.Decimals))
	}
	return q
}

// depositLink is the ton:// link paying amt of asset (0 = the payer's
// choice) to the address to with comment ("" = none).
func (b *Bot) depositLink(to *address.Address, asset store.Asset, amt store.Amount, comment string) string {
	if asset.Master != "" {
		if master, err := ton.ParseAddress(asset.Master, b.cfg.Testnet); err == nil {
			return ton.JettonTransferLink(to, master, b.cfg.Testnet, amt, comment)
		}
	}
	return ton.TransferLink(to, b.cfg.Testnet, amt, comment)
}

// replyQR sends the QR code of link with text as its caption; a caption
// longer than Telegram allows goes as a message of its own.
func (b *Bot) replyQR(ctx context.Context, p place, link, name, text string, kb models.ReplyMarkup) {
	png, err := qrPNG(link)
	if err != nil {
		b.log.Warn("qr code", "err", err)
		b.reply(ctx, p, text, kb)
		return
	}
	if utf8.RuneCountInString(text) <= 1024 {
		b.replyFailed(ctx, p, b.sendPhoto(ctx, p.chatID, png, name, text, kb))
		return
	}
	if err := b.sendPhoto(ctx, p.chatID, png, name, "", nil); err != nil {
		b.replyFailed(ctx, p, err)
		return
	}
	b.reply(ctx, p, text, kb)
}

// cmdPay opens an invoice for an exact amount: "/pay 1.5 [GRAM]". The user
// pays it by hand (its own comment, link and QR code) or in the Mini App,
// and hears from the notifier when it is paid.
func (b *Bot) cmdPay(ctx context.Context, r request) {
	if len(r.args) == 0 || len(r.args) > 2 {
		b.reply(ctx, r.p, r.l.t("pay_usage"), nil)
		return
	}
	symbol := store.TON.Symbol
	if len(r.args) == 2 {
		symbol = r.args[1]
	}
	n, asset, err := b.cfg.Policy.NewInvoice(store.InvoiceRequest{UserID: r.user.ID, Asset: symbol, Amount: r.args[0], Description: "Telegram /pay",
		Typed: true})
	if err != nil {
		rf, ok := store.AsRefusal(err)
		if !ok {
			b.oops(ctx, r.p, r.l, "invoice rules", err)
			return
		}
		b.reply(ctx, r.p, b.refusalText(ctx, r.l, store.WithdrawRequest{Asset: symbol, Amount: r.args[0]}, rf), nil)
		return
	}
	amt := n.Amount
	kb := rows(b.appRow(r.p, r.l.t("btn_pay_app"), "topup", topupQuery(asset, amt)))
	if b.cfg.DepositAddress == nil {
		b.reply(ctx, r.p, r.l.t("topup_no_address"), kb)
		return
	}
	inv, err := b.db.CreateInvoice(ctx, n)
	if rf, ok := store.AsRefusal(err); ok {
		b.reply(ctx, r.p, b.refusalText(ctx, r.l, store.WithdrawRequest{Asset: symbol, Amount: r.args[0]}, rf), nil)
		return
	}
	if err != nil {
		b.oops(ctx, r.p, r.l, "create invoice", err)
		return
	}
	addr := ton.FormatAddress(b.cfg.DepositAddress, b.cfg.Testnet)
	link := b.depositLink(b.cfg.DepositAddress, asset, inv.Amount, inv.Comment)
	text := r.l.t("pay", esc(b.amount(inv.Amount, asset.Symbol)), esc(inv.ID), stamp(inv.ExpiresAt), esc(addr), esc(inv.Comment), esc(link))
	b.replyQR(ctx, r.p, link, "invoice.png", text, kb)
}

// chainSymbols are the assets that can be paid and withdrawn.
func (b *Bot) chainSymbols() []string {
	var out []string
	for _, s := range b.symbols {
		if onChain(b.assets[s]) {
			out = append(out, s)
		}
	}
	return out
}

const historyPage = 10

func (b *Bot) cmdHistory(ctx context.Context, r request) {
	text, kb, err := b.history(ctx, r.l, r.user.ID, 0)
	if err != nil {
		b.oops(ctx, r.p, r.l, "history", err)
		return
	}
	b.reply(ctx, r.p, text, kb)
}

// history renders one page of the user's ledger entries, newest first,
// older than the entry id before (0 = the newest), with paging buttons.
func (b *Bot) history(ctx context.Context, l lang, userID, before int64) (string, models.ReplyMarkup, error) {
	entries, err := b.db.History(ctx, store.UserAccount(userID), before, historyPage+1)
	if err != nil {
		return "", nil, err
	}
	more := len(entries) > historyPage
	if more {
		entries = entries[:historyPage]
	}
	var sb strings.Builder
	sb.WriteString(l.t("history_title"))
	if len(entries) == 0 {
		sb.WriteString("\n" + l.t("history_empty"))
	}
	for _, e := range entries {
		sb.WriteString("\n" + stamp(e.CreatedAt) + " · " + esc(l.kind(e.Kind.Shown())) + " · <b>" + esc(b.signed(e.Amount, e.Asset)) + "</b>")
		if link := b.entryLink(ctx, e); link != "" {
			sb.WriteString(` · <a href="` + esc(link) + `">` + l.t("history_link") + `</a>`)
		}
	}
	var nav []button
	if before > 0 {
		nav = append(nav, cbButton(l.t("btn_newest"), "h:0"))
	}
	if more {
		nav = append(nav, cbButton(l.t("btn_older"), "h:"+strconv.FormatInt(entries[len(entries)-1].ID, 10)))
	}
	return sb.String(), rows(nav), nil
}

// entryLink is the explorer link of what caused an entry: a deposit's
// transaction, or a withdrawal's once it is on chain.
func (b *Bot) entryLink(ctx context.Context, e store.Entry) string {
	if link := b.txLink(e.Ref); link != "" {
		return link
	}
	if e.Kind == store.TransferWithdrawal || e.Kind == store.TransferRefund {
		if id, ok := parseID(e.Ref); ok {
			if w, err := b.db.Withdrawal(ctx, id); err == nil {
				return b.txLink(w.TxHash)
			}
		}
	}
	return ""
}

func (b *Bot) cmdWallet(ctx context.Context, r request) {
	w, err := b.db.WalletOf(ctx, r.user.ID)
	if errors.Is(err, store.ErrNotFound) {
		b.reply(ctx, r.p, r.l.t("wallet_none"), rows(b.appRow(r.p, r.l.t("btn_connect"), "", nil)))
		return
	}
	if err != nil {
		b.oops(ctx, r.p, r.l, "wallet", err)
		return
	}
	a, err := ton.ParseAddress(w.Address, b.cfg.Testnet)
	if err != nil {
		b.oops(ctx, r.p, r.l, "wallet address", err)
		return
	}
	text := r.l.t("wallet_linked", esc(ton.FormatAddress(a, b.cfg.Testnet)), esc(ton.AddressLink(b.cfg.Testnet, a)))
	b.reply(ctx, r.p, text, rows(b.appRow(r.p, r.l.t("btn_open_app"), "", nil)))
}
