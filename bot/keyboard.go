package bot

import (
	"net/url"
	"strings"

	"github.com/go-telegram/bot/models"
)

// keyboard is an inline keyboard serialized with only the fields a button
// uses. go-telegram/bot v1.19.0's models.InlineKeyboardButton always writes
// "copy_text":{"text":""} (a non-pointer struct), which Telegram may refuse
// with BUTTON_COPY_TEXT_INVALID; reply_markup is sent as JSON of whatever
// value it holds, so our own type avoids that.
type keyboard struct {
	InlineKeyboard [][]button `json:"inline_keyboard"`
}

type button struct {
	Text         string             `json:"text"`
	URL          string             `json:"url,omitempty"`
	CallbackData string             `json:"callback_data,omitempty"`
	WebApp       *models.WebAppInfo `json:"web_app,omitempty"`
}

func cbButton(text, data string) button { return button{Text: text, CallbackData: data} }

// rows builds a keyboard from rows, dropping empty ones; nil when nothing is
// left (a nil reply_markup is left out of the request).
func rows(rs ...[]button) models.ReplyMarkup {
	var kb keyboard
	for _, r := range rs {
		if len(r) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, r)
		}
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil
	}
	return kb
}

// place is where a reply goes: the chat and whether it is a private one
// (Web App buttons work only there; Telegram answers BUTTON_TYPE_INVALID in
// groups).
type place struct {
	chatID  int64
	private bool
}

// appButton opens the Mini App at screen: a web_app button in a private
// chat; elsewhere a link to a private chat with the bot. The second result
// is false when neither can be built (no PUBLIC_URL, or no bot username
// known in a group).
func (b *Bot) appButton(p place, text, screen string, q url.Values) (button, bool) {
	if p.private {
		u := b.appURL(screen, q)
		if u == "" {
			return button{}, false
		}
		return button{Text: text, WebApp: &models.WebAppInfo{URL: u}}, true
	}
	name := b.username()
	if name == "" {
		return button{}, false
	}
	return button{Text: text, URL: "https://t.me/" + url.PathEscape(name) + "?start=" + url.QueryEscape(screen)}, true
}

// appURL is the Mini App's URL (PUBLIC_URL) opened at a screen, e.g.
// https://pay.example.com/?screen=topup&asset=TON&amount=1.5. Telegram adds
// its launch parameters in the fragment and keeps the query. Empty without an
// https PUBLIC_URL, since Telegram opens only https Web Apps.
func (b *Bot) appURL(screen string, q url.Values) string {
	if b.cfg.PublicURL == nil || b.cfg.PublicURL.Scheme != "https" {
		return ""
	}
	u := *b.cfg.PublicURL
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath = ""
	u.Fragment = ""
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	if screen != "" {
		v.Set("screen", screen)
	}
	u.RawQuery = v.Encode()
	return u.String()
}

// appRow is a one-button row opening the Mini App, or nothing.
func (b *Bot) appRow(p place, text, screen string, q url.Values) []button {
	if btn, ok := b.appButton(p, text, screen, q); ok {
		return []button{btn}
	}
	return nil
}

// menu is the balance menu: Top up (Mini App), Withdraw, History, Wallet.
func (b *Bot) menu(p place, l lang) models.ReplyMarkup {
	return rows(
		[]button{b.topupButton(p, l, "", 0)},
		[]button{cbButton(l.t("btn_withdraw"), "m:withdraw"), cbButton(l.t("btn_history"), "m:history")},
		[]button{cbButton(l.t("btn_wallet"), "m:wallet")},
	)
}
