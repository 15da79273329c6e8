package botapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// What Telegram refuses, as it refuses it.

// Telegram's limits.
const (
	MaxText          = 4096 // characters (UTF-16 code units) of a message's text, after entity parsing
	MaxCaption       = 1024 // of a caption
	MaxCallbackData  = 64   // bytes of a button's callback_data
	MaxCallbackToast = 200  // characters of an answerCallbackQuery text
)

// methods are the Bot API methods the stand-in answers; any other is 404.
var methods = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`getMe logOut close getUpdates setWebhook deleteWebhook getWebhookInfo
		sendMessage sendPhoto sendDocument sendChatAction forwardMessage copyMessage deleteMessage deleteMessages
		editMessageText editMessageCaption editMessageReplyMarkup answerCallbackQuery
		setMyCommands deleteMyCommands getMyCommands setChatMenuButton getChatMenuButton
		setMyName getMyName setMyDescription getMyDescription setMyShortDescription getMyShortDescription
		getChat getChatMember pinChatMessage unpinChatMessage
		sendInvoice createInvoiceLink answerPreCheckoutQuery answerShippingQuery refundStarPayment
		editUserStarSubscription getStarTransactions getMyStarBalance`) {
		methods[m] = true
	}
}

func knownMethod(m string) bool { return methods[m] }

// sends are the methods that post into a chat (a blocked user refuses them).
var sends = map[string]bool{"sendMessage": true, "sendPhoto": true, "sendDocument": true, "sendInvoice": true,
	"forwardMessage": true, "copyMessage": true, "sendChatAction": true}

// check refuses a call as Telegram would; nil when it passes.
func (a *API) check(r *request) map[string]any {
	m := r.Method
	if sends[m] || strings.HasPrefix(m, "editMessage") {
		if r.get("chat_id") == "" && r.get("inline_message_id") == "" {
			return badRequest("chat_id is empty")
		}
		if _, err := strconv.ParseInt(r.get("chat_id"), 10, 64); err != nil && !strings.HasPrefix(r.get("chat_id"), "@") {
			return badRequest("chat not found")
		}
		a.mu.Lock()
		blocked := a.blocked[r.chat()]
		a.mu.Unlock()
		if blocked {
			return Blocked()
		}
	}
	if e := a.checkWebhook(r); e != nil {
		return e
	}
	if e := a.checkContent(r); e != nil {
		return e
	}
	if sends[m] && m != "sendChatAction" {
		a.mu.Lock()
		wait := a.limited(r.chat(), time.Now())
		a.mu.Unlock()
		if wait > 0 {
			return TooMany(wait)
		}
	}
	return nil
}

// checkContent refuses what a call carries that Telegram would refuse.
func (a *API) checkContent(r *request) map[string]any {
	m := r.Method
	switch m {
	case "sendMessage", "editMessageText":
		if e := checkText(r, "text", MaxText, "message is too long"); e != nil {
			return e
		}
	case "sendPhoto", "editMessageCaption":
		if m == "sendPhoto" && r.get("photo") == "" {
			return badRequest("there is no photo in the request")
		}
		if r.get("caption") != "" {
			if e := checkText(r, "caption", MaxCaption, "message caption is too long"); e != nil {
				return e
			}
		}
	case "answerCallbackQuery":
		return a.checkAnswer(r)
	}
	if e := checkMarkup(r); e != nil {
		return e
	}
	if strings.HasPrefix(m, "editMessage") {
		return a.checkEdit(r)
	}
	return nil
}

// checkText checks a text field: not empty, entities that parse, within max.
func checkText(r *request, field string, max int, tooLong string) map[string]any {
	text := r.get(field)
	if strings.TrimSpace(text) == "" {
		return badRequest("message text is empty")
	}
	shown := text
	switch r.get("parse_mode") {
	case "":
	case "HTML":
		var err error
		if shown, err = parseHTML(text); err != nil {
			return badRequest("can't parse entities: " + err.Error())
		}
	case "MarkdownV2":
		var err error
		if shown, err = parseMarkdownV2(text); err != nil {
			return badRequest("can't parse entities: " + err.Error())
		}
	case "Markdown":
	default:
		return badRequest("unsupported parse_mode")
	}
	if strings.TrimSpace(shown) == "" {
		return badRequest("message text is empty")
	}
	if utf16Len(shown) > max {
		return badRequest(tooLong)
	}
	return nil
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// htmlTags are the tags Telegram's HTML parse mode knows.
var htmlTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
	"strike": true, "del": true, "span": true, "tg-spoiler": true, "a": true, "tg-emoji": true, "code": true, "pre": true,
	"blockquote": true}

// parseHTML parses Telegram's HTML parse mode and returns the text shown;
// its errors read as Telegram's.
func parseHTML(s string) (string, error) {
	var out strings.Builder
	var open []string
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '&':
			if r, n := htmlEntity(s[i:]); n > 0 {
				out.WriteRune(r)
				i += n
				continue
			}
			out.WriteByte('&') // not an entity: kept as it is
			i++
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				name = strings.TrimSpace(name)
				if len(open) == 0 {
					return "", fmt.Errorf("Unexpected end tag at byte offset %d", i)
				}
				if want := open[len(open)-1]; name != want {
					return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, want, name)
				}
				open = open[:len(open)-1]
			} else {
				name, attrs, _ := strings.Cut(tag, " ")
				name = strings.ToLower(name)
				if !htmlTags[name] {
					return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				switch {
				case name == "a" && !strings.Contains(attrs, "href="):
					return "", fmt.Errorf("Can't find href in \"a\" tag at byte offset %d", i)
				case name == "span" && !strings.Contains(attrs, "tg-spoiler"):
					return "", fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", i)
				}
				open = append(open, name)
			}
			i += end + 1
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return "", fmt.Errorf("Strings must be encoded in UTF-8")
			}
			out.WriteString(s[i : i+n])
			i += n
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", open[len(open)-1])
	}
	return out.String(), nil
}

// htmlEntity decodes the entity s starts with (&lt; &gt; &amp; &quot;
// &#N; &#xH;): the rune and its length, 0 when it is none.
func htmlEntity(s string) (rune, int) {
	for name, r := range map[string]rune{"&lt;": '<', "&gt;": '>', "&amp;": '&', "&quot;": '"'} {
		if strings.HasPrefix(s, name) {
			return r, len(name)
		}
	}
	if !strings.HasPrefix(s, "&#") {
		return 0, 0
	}
	end := strings.IndexByte(s, ';')
	if end < 0 || end > 10 {
		return 0, 0
	}
	num, base := s[2:end], 10
	if rest, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
		num, base = rest, 16
	}
	v, err := strconv.ParseUint(num, base, 32)
	if err != nil || v == 0 || v > utf8.MaxRune {
		return 0, 0
	}
	return rune(v), end + 1
}

// parseMarkdownV2 checks MarkdownV2's one rule bots break most: every
// reserved character outside an entity's markup is escaped.
func parseMarkdownV2(s string) (string, error) {
	const reserved = "_*[]()~`>#+-=|{}.!"
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) {
				i++
				out.WriteByte(s[i])
			}
		case strings.IndexByte("*_~|`", c) >= 0:
			// formatting markup: paired, not shown
		case strings.IndexByte(reserved, c) >= 0:
			return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}

// checkMarkup checks reply_markup as Telegram does.
func checkMarkup(r *request) map[string]any {
	raw := r.get("reply_markup")
	if raw == "" {
		return nil
	}
	var kb struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	var any map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &any) != nil || json.Unmarshal([]byte(raw), &kb) != nil {
		return badRequest("can't parse reply keyboard markup JSON object")
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if e := checkButton(b, r.chat()); e != nil {
				return e
			}
		}
	}
	return nil
}

// checkButton checks an inline keyboard button: a text and exactly one
// action, each as Telegram accepts it.
func checkButton(b map[string]json.RawMessage, chat int64) map[string]any {
	var text string
	if json.Unmarshal(b["text"], &text) != nil || strings.TrimSpace(text) == "" {
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	actions := 0
	for k, v := range b {
		if k == "text" {
			continue
		}
		actions++
		switch k {
		case "callback_data":
			var d string
			if json.Unmarshal(v, &d) != nil || d == "" || len(d) > MaxCallbackData {
				return badRequest("BUTTON_DATA_INVALID")
			}
		case "url":
			var s string
			u, err := url.Parse(strings.Trim(string(v), `"`))
			if json.Unmarshal(v, &s) != nil || err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tg") || (u.Scheme != "tg" && u.Host == "") {
				return badRequest("BUTTON_URL_INVALID")
			}
		case "web_app":
			var w struct{ URL string }
			if json.Unmarshal(v, &w) != nil || !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") {
				return badRequest("BUTTON_URL_INVALID")
			}
			if chat < 0 {
				return badRequest("BUTTON_TYPE_INVALID") // Web App buttons work in private chats only
			}
		case "copy_text":
			var c struct{ Text string }
			if json.Unmarshal(v, &c) != nil || c.Text == "" {
				return badRequest("BUTTON_COPY_TEXT_INVALID")
			}
		case "pay":
		case "login_url", "switch_inline_query", "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "callback_game":
		default:
			return badRequest("can't parse inline keyboard button: unknown field \"" + k + "\"")
		}
	}
	if actions != 1 {
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	return nil
}

// checkEdit refuses an edit of a message that is not the bot's, or that
// would not change it.
func (a *API) checkEdit(r *request) map[string]any {
	if r.get("message_id") == "" {
		return badRequest("message identifier is not specified")
	}
	id, _ := strconv.Atoi(r.get("message_id"))
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.find(r.chat(), id)
	switch {
	case m == nil:
		return badRequest("message to edit not found")
	case m.From != "bot":
		return badRequest("message can't be edited")
	case r.Method == "editMessageText" && m.Photo != "":
		return badRequest("there is no text in the message to edit")
	case r.Method == "editMessageCaption" && m.Photo == "":
		return badRequest("there is no caption in the message to edit")
	}
	text, html := m.Text, m.HTML
	switch r.Method {
	case "editMessageText":
		text, html = r.get("text"), r.get("parse_mode") == "HTML"
	case "editMessageCaption":
		text = r.get("caption")
	}
	if text == m.Text && html == m.HTML && jsonEqual(markup(r), m.Markup) {
		return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	return nil
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// checkAnswer refuses an answer to a callback query never asked or
// answered already, and a toast over 200 characters.
func (a *API) checkAnswer(r *request) map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	answered, asked := a.queries[r.get("callback_query_id")]
	if !asked || answered {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf16Len(r.get("text")) > MaxCallbackToast {
		return badRequest("MESSAGE_TOO_LONG")
	}
	return nil
}
