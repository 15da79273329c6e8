package bot

import (
	"context"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/tonpay/tonpay/store"
)

// Callback data (at most 64 bytes):
//
//	m:<topup|withdraw|history|wallet|balance>  menu buttons
//	h:<before>                                 history page older than entry id (0 = newest)
//	u:<before>                                 unmatched transfers page (admins)
//	wa:<id>[:l], wr:<id>[:l]                   approve / reject a withdrawal (admins); :l from the /pending list
//	wq:<msg>, wx:<msg>                         confirm / cancel the quote of the /withdraw command message msg
//	bx, bb, sc, su, sr, sy                     Stars and package buttons (stars.go)

// callbackMessage is the message a button was under, when Telegram still
// tells which.
type callbackMessage struct {
	chatID  int64
	msgID   int
	private bool
	ok      bool
}

func messageOf(q *models.CallbackQuery) callbackMessage {
	switch {
	case q.Message.Message != nil:
		m := q.Message.Message
		return callbackMessage{chatID: m.Chat.ID, msgID: m.ID, private: m.Chat.Type == models.ChatTypePrivate, ok: true}
	case q.Message.InaccessibleMessage != nil:
		m := q.Message.InaccessibleMessage
		return callbackMessage{chatID: m.Chat.ID, msgID: m.MessageID, private: m.Chat.Type == models.ChatTypePrivate, ok: true}
	}
	return callbackMessage{}
}

// onCallback handles a button press. Every callback query is answered,
// exactly once, whatever happens: Telegram shows a spinner until then.
func (b *Bot) onCallback(ctx context.Context, q *models.CallbackQuery) {
	answered := false
	ans := func(text string, alert bool) {
		if !answered {
			answered = true
			b.answer(ctx, q.ID, text, alert)
		}
	}
	defer ans("", false)

	l := langOf(q.From.LanguageCode)
	cm := messageOf(q)
	kind, arg, _ := strings.Cut(q.Data, ":")
	switch kind {
	case "m":
		if !cm.ok {
			ans(l.t("cb_unknown"), false)
			return
		}
		ans("", false)
		b.menuAction(ctx, q, cm, arg)
	case "wq", "wx":
		msg, ok := parseID(arg)
		if !ok || !cm.ok || msg <= 0 || msg > 1<<31 {
			ans(l.t("cb_unknown"), false)
			return
		}
		if kind == "wx" {
			ans("", false)
			b.cancelWithdraw(ctx, q, cm, int(msg))
			return
		}
		ans(b.confirmWithdraw(ctx, q, cm, int(msg)), true)
	case "h":
		before, ok := parseID(arg)
		if !ok || !cm.ok {
			ans(l.t("cb_unknown"), false)
			return
		}
		text, kb, err := b.history(ctx, l, q.From.ID, before)
		if err != nil {
			b.log.Error("history", "err", err)
			ans(l.t("error"), true)
			return
		}
		ans("", false)
		if err := b.edit(ctx, cm.chatID, cm.msgID, text, kb); err != nil {
			b.log.Warn("history page", "err", err)
		}
	case "u":
		if !b.isAdmin(q.From.ID) {
			ans(l.t("cb_not_allowed"), true)
			return
		}
		before, ok := parseID(arg)
		if !ok || !cm.ok {
			ans(l.t("cb_unknown"), false)
			return
		}
		text, kb, err := b.unmatched(ctx, l, before)
		if err != nil {
			b.log.Error("unmatched", "err", err)
			ans(l.t("error"), true)
			return
		}
		ans("", false)
		if err := b.edit(ctx, cm.chatID, cm.msgID, text, kb); err != nil {
			b.log.Warn("unmatched page", "err", err)
		}
	case "wa", "wr":
		b.decide(ctx, q, cm, kind == "wa", arg, ans)
	case "bx", "bb", "sc", "su", "sr", "sy":
		if !cm.ok {
			ans(l.t("cb_unknown"), false)
			return
		}
		text := b.starsCallback(ctx, q, cm, kind, arg)
		ans(text, text != "")
	default:
		ans(l.t("cb_unknown"), false)
	}
}

// menuAction runs a menu button as the command of the same name, replying
// in the chat the button was in.
func (b *Bot) menuAction(ctx context.Context, q *models.CallbackQuery, cm callbackMessage, action string) {
	p := place{chatID: cm.chatID, private: cm.private}
	l := langOf(q.From.LanguageCode)
	if !p.private {
		b.reply(ctx, p, l.t("private_only"), rows(b.appRow(p, l.t("btn_open_bot"), "", nil)))
		return
	}
	user, err := b.db.UpsertUser(ctx, store.User{ID: q.From.ID, Username: q.From.Username, FirstName: q.From.FirstName, LanguageCode: q.From.LanguageCode})
	if err != nil {
		b.oops(ctx, p, l, "register user", err)
		return
	}
	r := request{p: p, l: l, from: &q.From, user: user}
	switch action {
	case "topup":
		b.cmdTopup(ctx, r)
	case "withdraw":
		b.cmdWithdraw(ctx, r)
	case "history":
		b.cmdHistory(ctx, r)
	case "wallet":
		b.cmdWallet(ctx, r)
	default:
		b.cmdBalance(ctx, r)
	}
}
