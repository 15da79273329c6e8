package bot

import (
	"fmt"
	"html"
	"strings"
)

// lang is a language the bot speaks; its texts are in catalog.
type lang string

const (
	en lang = "en"
	ru lang = "ru"
)

// langOf picks the bot's language for a Telegram language_code.
func langOf(code string) lang {
	if strings.HasPrefix(strings.ToLower(code), "ru") {
		return ru
	}
	return en
}

// t renders the text key in l with fmt verbs filled by args. Arguments that
// come from users or the chain must be escaped (esc) by the caller: texts are
// sent as HTML.
func (l lang) t(key string, args ...any) string {
	s, ok := catalog[l][key]
	if !ok {
		s, ok = catalog[en][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// esc escapes s for Telegram's HTML parse mode.
func esc(s string) string { return html.EscapeString(s) }

var catalog = map[lang]map[string]string{
	en: {
		"welcome":                  "👋 Hi, %s! This is tonpay: top up with Gram, pay and withdraw right here in Telegram.",
		"balance_title":            "<b>Your balance</b>",
		"menu_hint":                "Use the buttons below or /help.",
		"btn_topup":                "💎 Top up",
		"btn_withdraw":             "↗️ Withdraw",
		"btn_history":              "📜 History",
		"btn_wallet":               "👛 Wallet",
		"btn_open_app":             "📱 Open the app",
		"btn_open_bot":             "💬 Open a private chat",
		"btn_older":                "Older ›",
		"btn_newest":               "‹ Newest",
		"btn_approve":              "✅ Approve",
		"btn_reject":               "❌ Reject",
		"btn_withdraw_app":         "↗️ Withdraw in the app",
		"btn_connect":              "👛 Connect a wallet",
		"btn_pay_app":              "💎 Pay in the app",
		"private_only":             "Your balance is private: please talk to me in a private chat.",
		"topup":                    "<b>Top up</b>\nSend Gram (GRAM) to this address with your personal comment: the comment tells us the payment is yours.\n\nAddress: <code>%s</code>\nComment: <code>%s</code>\n\nOr open this link in your wallet, or scan the QR code:\n<code>%s</code>\n\n⚠️ Without the comment the payment cannot be credited automatically.",
		"topup_own":                "<b>Top up</b>\nThis address is yours alone: send %s to it from any wallet or exchange. <b>No comment needed</b>: whatever arrives here is credited to you.\n\n<code>%s</code>\n\nOpen a link in your wallet, or scan the QR code:\n%s",
		"topup_comment":            "<b>Or with a comment</b>\nYou can also send to the service's address with your personal comment: the comment tells us the payment is yours.\n\nAddress: <code>%s</code>\nComment: <code>%s</code>\nLink: <code>%s</code>\n\n⚠️ This way needs the comment: without it the payment cannot be credited automatically.",
		"topup_jettons":            "%s: send to the same address with the same comment.",
		"topup_app":                "The quickest way is the app: it prepares the payment in your wallet.",
		"topup_no_address":         "Manual top-up is not available right now; please use the app.",
		"pay":                      "<b>Payment of %s</b>\nInvoice <code>%s</code>, valid until %s UTC.\n\nAddress: <code>%s</code>\nComment: <code>%s</code>\n\nOpen this link in your wallet, or scan the QR code:\n<code>%s</code>\n\nYou will get a message when it is paid.",
		"pay_usage":                "Usage: <code>/pay &lt;amount&gt; [asset]</code>, for example <code>/pay 1.5 GRAM</code>.",
		"withdraw_usage":           "<b>Withdraw</b>\nUsage: <code>/withdraw &lt;amount&gt; [asset] [address]</code>\nExample: <code>/withdraw 1.5 GRAM UQ…</code>\nWithout an address the money goes to your linked wallet.\n\n%s",
		"withdraw_rule":            "• %s: available %s, fee %s, minimum %s",
		"bad_amount":               "“%s” is not a valid amount of %s: use digits, a dot for decimals (at most %d places) and no thousands separators, like 1500 or 1.5.",
		"ambiguous_amount":         "“%s” could mean %s or %s, so nothing was done. Write %s (no comma) or %s (with a dot).",
		"too_many_invoices":        "You already have %d unpaid invoices open (the most is %d): pay one of them or wait until one expires.",
		"too_many_withdrawals":     "%d of your withdrawals are waiting to be sent (the most is %d): wait until one is sent.",
		"daily_limit":              "Withdrawals of %s are limited to %s in 24 hours. You withdrew %s in the last 24 hours, so at most %s more now.",
		"unknown_asset":            "Unknown asset “%s”. Available: %s.",
		"not_withdrawable":         "%s cannot be withdrawn.",
		"below_min":                "The minimum withdrawal of %s is %s.",
		"bad_address":              "“%s” is not a valid TON address (%s).",
		"no_wallet":                "No wallet is linked. Give an address: <code>/withdraw %s %s &lt;address&gt;</code>, or connect a wallet in the app.",
		"insufficient":             "⚠️ Not enough %s: %s is missing.",
		"insufficient_withdraw":    "This withdrawal needs %s (fee included); your balance is %s.",
		"fee_not_covered":          "The withdrawal fee of %s is charged in Gram; your GRAM balance is %s.",
		"insufficient_hint":        "Top up and try again.",
		"withdraw_created":         "✅ Withdrawal #%d requested\nAmount: %s\nFee: %s\nTo: <code>%s</code>\nStatus: %s",
		"withdraw_queued_note":     "You will get a message when it is sent.",
		"withdraw_awaiting_note":   "An administrator has to approve it first.",
		"withdraw_replay":          "Withdrawal #%d was already requested from this message. Status: %s.",
		"withdraw_conflict":        "This message was already used for another withdrawal.",
		"withdraw_blocked":         "Your account was blocked by an administrator: withdrawals are not possible. Contact support.",
		"unmatched_assigned":       "✅ Assigned to %s",
		"approve_blocked":          "The user is blocked: unblock them first (Mini App, Admin → Users), or reject.",
		"unmatched_refunded":       "↩️ Refunded in <code>%s</code>",
		"withdraw_quote":           "<b>Withdraw %s</b>\nFee: %s\nLeaves your balance: %s\nTo: <code>%s</code>\n\nConfirm?",
		"btn_confirm":              "✅ Confirm",
		"btn_cancel":               "✖️ Cancel",
		"quote_expired":            "This quote has expired: send /withdraw again.",
		"withdraw_cancelled":       "Withdrawal cancelled.",
		"own_address":              "That is one of this service's own wallets: money sent there would be nobody's. Give your own address.",
		"history_title":            "<b>History</b>",
		"history_empty":            "No operations yet.",
		"history_link":             "transaction",
		"wallet_linked":            "<b>Your wallet</b>\n<code>%s</code>\n<a href=\"%s\">View in the explorer</a>\n\nWithdrawals without an address go to this wallet.",
		"wallet_none":              "No wallet is linked yet. Connect one in the app with TON Connect: withdrawals then go there by default.",
		"help":                     "<b>tonpay</b>: a TON wallet inside Telegram.\n\n/balance: your balance\n/topup: your deposit address and its QR code\n/pay &lt;amount&gt; [asset]: pay an exact amount\n/withdraw &lt;amount&gt; [asset] [address]: withdraw to a TON wallet\n/buy: credit packages (Gram or Telegram Stars)\n/subscriptions: your monthly packages\n/history: your operations\n/wallet: your linked wallet\n/help: this help",
		"help_admin":               "\n\n<b>Administrators</b>\n/stats: service statistics\n/pending: withdrawals waiting for approval\n/unmatched: incoming transfers nobody claimed\n/pause [reason]: stop payouts\n/resume: resume payouts (after a drift, check <code>tonpay reconcile</code> first)\n/refund [charge id]: refund a Telegram Stars payment\nThe Mini App has the admin dashboard: overview, approvals, unmatched deposits (assign or refund), users, audit log.",
		"unknown_command":          "I don't know that command. See /help.",
		"admin_only":               "Sorry, this command is for administrators only.",
		"error":                    "Something went wrong. Please try again later.",
		"stats_title":              "<b>Statistics</b>",
		"stats_users":              "Users: %d",
		"stats_deposits":           "Deposits today (UTC): %d%s",
		"stats_hot_ledger":         "Hot wallet (ledger): %s",
		"stats_hot_chain":          "Hot wallet (chain): %s",
		"stats_on_deposit":         "On deposit addresses, not yet swept (ledger): %s",
		"stats_capital":            "Operator capital (the operator's own money): %s",
		"stats_lag":                "Scanner lag: %s",
		"stats_awaiting":           "Withdrawals awaiting approval: %d",
		"stats_queued":             "Withdrawals queued: %d, sent: %d",
		"unknown":                  "unknown",
		"pending_none":             "No withdrawals are waiting for approval.",
		"pending_item":             "<b>Withdrawal #%d</b>: %s (fee %s)\nUser: %s\nTo: <code>%s</code>\nRequested %s UTC",
		"admin_new_withdrawal":     "🔔 A withdrawal awaits approval\n\n%s",
		"approved_by":              "✅ Approved by %s.",
		"rejected_by":              "❌ Rejected by %s; the money went back to the user.",
		"already":                  "Already %s.",
		"unmatched_title":          "<b>Unclaimed incoming transfers</b>",
		"unmatched_none":           "No unclaimed transfers.",
		"unmatched_item":           "#%d %s UTC, %s (%s)\nFrom: <code>%s</code>\nComment: <code>%s</code>",
		"n_deposit":                "✅ Deposit received: +%s\nBalance: %s",
		"n_invoice_paid":           "✅ Payment received: +%s\nInvoice <code>%s</code> is paid.\nBalance: %s",
		"n_invoice_part":           "💸 Payment received: +%s towards invoice <code>%s</code>; it is not fully paid yet.\nBalance: %s",
		"n_late":                   "✅ Payment received after invoice <code>%s</code> expired: +%s went to your balance.\nBalance: %s",
		"n_duplicate":              "✅ Invoice <code>%s</code> was already paid: +%s went to your balance.\nBalance: %s",
		"n_tx_link":                "<a href=\"%s\">View the transaction</a>",
		"cb_not_allowed":           "Only administrators can do that.",
		"cb_unknown":               "This button is out of date.",
		"status_requested":         "requested",
		"status_awaiting_approval": "awaiting approval",
		"status_queued":            "queued",
		"status_sent":              "sent",
		"status_confirmed":         "confirmed",
		"status_failed":            "failed",
		"status_refunded":          "refunded",
		"status_rejected":          "rejected",
		"kind_deposit":             "deposit",
		"kind_withdrawal":          "withdrawal",
		"kind_refund":              "refund",
		"kind_purchase":            "purchase",
		"kind_fee":                 "fee",
		"kind_adjustment":          "adjustment",
		"cmd_start":                "Start and show the menu",
		"cmd_balance":              "Your balance",
		"cmd_topup":                "How to top up",
		"cmd_pay":                  "Pay an exact amount",
		"cmd_withdraw":             "Withdraw to a TON wallet",
		"cmd_history":              "Your operations",
		"cmd_wallet":               "Your linked wallet",
		"cmd_help":                 "Help",
		"cmd_stats":                "Statistics (admins)",
		"cmd_pending":              "Withdrawals to approve (admins)",
		"cmd_unmatched":            "Unclaimed transfers (admins)",
		"stats_recon_none":         "Ledger vs chain: not compared yet",
		"stats_recon_title":        "Ledger vs chain:",
		"stats_recon_ok":           "• %s: no drift (block %d)",
		"stats_recon_drift":        "• ⚠️ %s: drift <b>%s</b> since %s UTC (block %d; chain %s, ledger %s)",
		"stats_payouts_running":    "Payouts: running",
		"stats_payouts_paused":     "Payouts: ⏸ <b>paused</b> since %s UTC (%s): %s",
		"cause_drift":              "ledger drift",
		"cause_admin":              "by an administrator",
		"paused":                   "⏸ Payouts are paused: %s\nNo new payout is sent until /resume. Withdrawals are still accepted and wait in the queue.",
		"paused_before":            "Payouts were already paused (%s): %s. Your reason now stands in its place.",
		"resumed":                  "▶️ Payouts resumed. They were paused (%s) since %s UTC: %s",
		"resumed_drift":            "This drift is now acknowledged: it will not pause payouts again, a different one will.",
		"resume_not_paused":        "Payouts were not paused.",
		"cmd_pause":                "Pause payouts (admins)",
		"cmd_resume":               "Resume payouts (admins)",
		"menu_button":              "Wallet",
	},
	ru: {
		"welcome":                  "👋 Привет, %s! Это tonpay: пополняйте баланс в Gram, платите и выводите прямо в Telegram.",
		"balance_title":            "<b>Ваш баланс</b>",
		"menu_hint":                "Кнопки ниже или /help.",
		"btn_topup":                "💎 Пополнить",
		"btn_withdraw":             "↗️ Вывести",
		"btn_history":              "📜 История",
		"btn_wallet":               "👛 Кошелёк",
		"btn_open_app":             "📱 Открыть приложение",
		"btn_open_bot":             "💬 Открыть личный чат",
		"btn_older":                "Раньше ›",
		"btn_newest":               "‹ Последние",
		"btn_approve":              "✅ Одобрить",
		"btn_reject":               "❌ Отклонить",
		"btn_withdraw_app":         "↗️ Вывести в приложении",
		"btn_connect":              "👛 Подключить кошелёк",
		"btn_pay_app":              "💎 Оплатить в приложении",
		"private_only":             "Баланс виден только вам: напишите мне в личный чат.",
		"topup":                    "<b>Пополнение</b>\nОтправьте Gram (GRAM) на этот адрес с вашим личным комментарием: по комментарию мы узнаём, что платёж ваш.\n\nАдрес: <code>%s</code>\nКомментарий: <code>%s</code>\n\nИли откройте ссылку в кошельке, или отсканируйте QR-код:\n<code>%s</code>\n\n⚠️ Без комментария платёж не зачислится автоматически.",
		"topup_own":                "<b>Пополнение</b>\nЭтот адрес только ваш: отправляйте на него %s с любого кошелька или биржи. <b>Комментарий не нужен</b>: всё, что сюда придёт, зачислится вам.\n\n<code>%s</code>\n\nОткройте ссылку в кошельке или отсканируйте QR-код:\n%s",
		"topup_comment":            "<b>Или с комментарием</b>\nМожно отправить и на адрес сервиса с вашим личным комментарием: по комментарию мы узнаём, что платёж ваш.\n\nАдрес: <code>%s</code>\nКомментарий: <code>%s</code>\nСсылка: <code>%s</code>\n\n⚠️ Этот способ требует комментария: без него платёж не зачислится автоматически.",
		"topup_jettons":            "%s: на тот же адрес с тем же комментарием.",
		"topup_app":                "Быстрее всего через приложение: оно подготовит платёж в вашем кошельке.",
		"topup_no_address":         "Ручное пополнение сейчас недоступно, воспользуйтесь приложением.",
		"pay":                      "<b>Оплата %s</b>\nСчёт <code>%s</code>, действует до %s UTC.\n\nАдрес: <code>%s</code>\nКомментарий: <code>%s</code>\n\nОткройте ссылку в кошельке или отсканируйте QR-код:\n<code>%s</code>\n\nКогда оплата придёт, я напишу.",
		"pay_usage":                "Как использовать: <code>/pay &lt;сумма&gt; [актив]</code>, например <code>/pay 1.5 GRAM</code>.",
		"withdraw_usage":           "<b>Вывод</b>\nКак использовать: <code>/withdraw &lt;сумма&gt; [актив] [адрес]</code>\nПример: <code>/withdraw 1.5 GRAM UQ…</code>\nБез адреса деньги уйдут на привязанный кошелёк.\n\n%s",
		"withdraw_rule":            "• %s: доступно %s, комиссия %s, минимум %s",
		"bad_amount":               "«%s» — неверная сумма %s: используйте цифры, точку для дробной части (не больше %d знаков) и без разделителей тысяч, например 1500 или 1.5.",
		"ambiguous_amount":         "«%s» может означать %s или %s, поэтому ничего не сделано. Напишите %s (без запятой) или %s (с точкой).",
		"too_many_invoices":        "У вас уже открыто %d неоплаченных счетов (максимум %d): оплатите один из них или дождитесь, пока он истечёт.",
		"too_many_withdrawals":     "%d ваших выводов ждут отправки (максимум %d): дождитесь, пока один из них уйдёт.",
		"daily_limit":              "Вывод %s ограничен суммой %s за 24 часа. За последние 24 часа вы вывели %s, сейчас можно не больше %s.",
		"unknown_asset":            "Неизвестный актив «%s». Доступны: %s.",
		"not_withdrawable":         "%s нельзя вывести.",
		"below_min":                "Минимальный вывод %s — %s.",
		"bad_address":              "«%s» — неверный адрес TON (%s).",
		"no_wallet":                "Кошелёк не привязан. Укажите адрес: <code>/withdraw %s %s &lt;адрес&gt;</code> или подключите кошелёк в приложении.",
		"insufficient":             "⚠️ Недостаточно %s: не хватает %s.",
		"insufficient_withdraw":    "Для этого вывода нужно %s (с комиссией), на балансе %s.",
		"fee_not_covered":          "Комиссия за вывод %s списывается в Gram; на балансе GRAM %s.",
		"insufficient_hint":        "Пополните баланс и попробуйте снова.",
		"withdraw_created":         "✅ Заявка на вывод #%d создана\nСумма: %s\nКомиссия: %s\nКуда: <code>%s</code>\nСтатус: %s",
		"withdraw_queued_note":     "Я напишу, когда перевод будет отправлен.",
		"withdraw_awaiting_note":   "Сначала его должен одобрить администратор.",
		"withdraw_replay":          "Вывод #%d по этому сообщению уже создан. Статус: %s.",
		"withdraw_conflict":        "Это сообщение уже использовано для другого вывода.",
		"withdraw_blocked":         "Администратор заблокировал ваш аккаунт: вывод невозможен. Обратитесь в поддержку.",
		"unmatched_assigned":       "✅ Зачислено: %s",
		"approve_blocked":          "Пользователь заблокирован: сначала разблокируйте его (Mini App, Admin → Users) или отклоните.",
		"unmatched_refunded":       "↩️ Возвращено транзакцией <code>%s</code>",
		"withdraw_quote":           "<b>Вывод %s</b>\nКомиссия: %s\nСпишется с баланса: %s\nКуда: <code>%s</code>\n\nПодтвердить?",
		"btn_confirm":              "✅ Подтвердить",
		"btn_cancel":               "✖️ Отмена",
		"quote_expired":            "Расчёт устарел: отправьте /withdraw ещё раз.",
		"withdraw_cancelled":       "Вывод отменён.",
		"own_address":              "Это один из кошельков самого сервиса: отправленные туда деньги ничьи. Укажите свой адрес.",
		"history_title":            "<b>История</b>",
		"history_empty":            "Операций пока нет.",
		"history_link":             "транзакция",
		"wallet_linked":            "<b>Ваш кошелёк</b>\n<code>%s</code>\n<a href=\"%s\">Открыть в обозревателе</a>\n\nВыводы без адреса уходят на этот кошелёк.",
		"wallet_none":              "Кошелёк ещё не привязан. Подключите его в приложении через TON Connect: тогда выводы по умолчанию будут уходить на него.",
		"help":                     "<b>tonpay</b> — TON-кошелёк в Telegram.\n\n/balance — баланс\n/topup — ваш адрес для пополнения и QR-код\n/pay &lt;сумма&gt; [актив] — оплатить точную сумму\n/withdraw &lt;сумма&gt; [актив] [адрес] — вывести на TON-кошелёк\n/buy — пакеты кредитов (Gram или Telegram Stars)\n/subscriptions — ежемесячные пакеты\n/history — операции\n/wallet — привязанный кошелёк\n/help — эта справка",
		"help_admin":               "\n\n<b>Администраторам</b>\n/stats — статистика сервиса\n/pending — выводы, ждущие одобрения\n/unmatched — входящие переводы без владельца\n/pause [причина] — остановить выплаты\n/resume — возобновить выплаты (после расхождения сначала проверьте <code>tonpay reconcile</code>)\n/refund [charge id] — вернуть платёж в Telegram Stars\nВ Mini App — панель администратора: обзор, одобрения, непривязанные переводы (зачислить или вернуть), пользователи, журнал действий.",
		"unknown_command":          "Я не знаю такой команды. Смотрите /help.",
		"admin_only":               "Извините, эта команда только для администраторов.",
		"error":                    "Что-то пошло не так. Попробуйте позже.",
		"stats_title":              "<b>Статистика</b>",
		"stats_users":              "Пользователей: %d",
		"stats_deposits":           "Пополнений сегодня (UTC): %d%s",
		"stats_hot_ledger":         "Горячий кошелёк (учёт): %s",
		"stats_hot_chain":          "Горячий кошелёк (сеть): %s",
		"stats_on_deposit":         "На адресах пополнения, ещё не собрано (учёт): %s",
		"stats_capital":            "Капитал оператора (его собственные деньги): %s",
		"stats_lag":                "Отставание сканера: %s",
		"stats_awaiting":           "Выводов ждут одобрения: %d",
		"stats_queued":             "Выводов в очереди: %d, отправлено: %d",
		"unknown":                  "неизвестно",
		"pending_none":             "Нет выводов, ждущих одобрения.",
		"pending_item":             "<b>Вывод #%d</b>: %s (комиссия %s)\nПользователь: %s\nКуда: <code>%s</code>\nСоздан %s UTC",
		"admin_new_withdrawal":     "🔔 Вывод ждёт одобрения\n\n%s",
		"approved_by":              "✅ Одобрено: %s.",
		"rejected_by":              "❌ Отклонено: %s; деньги возвращены пользователю.",
		"already":                  "Уже %s.",
		"unmatched_title":          "<b>Входящие переводы без владельца</b>",
		"unmatched_none":           "Таких переводов нет.",
		"unmatched_item":           "#%d %s UTC, %s (%s)\nОт: <code>%s</code>\nКомментарий: <code>%s</code>",
		"n_deposit":                "✅ Пополнение: +%s\nБаланс: %s",
		"n_invoice_paid":           "✅ Оплата получена: +%s\nСчёт <code>%s</code> оплачен.\nБаланс: %s",
		"n_invoice_part":           "💸 Получена часть оплаты: +%s по счёту <code>%s</code>; счёт ещё не оплачен полностью.\nБаланс: %s",
		"n_late":                   "✅ Оплата пришла после истечения счёта <code>%s</code>: +%s зачислено на баланс.\nБаланс: %s",
		"n_duplicate":              "✅ Счёт <code>%s</code> уже был оплачен: +%s зачислено на баланс.\nБаланс: %s",
		"n_tx_link":                "<a href=\"%s\">Посмотреть транзакцию</a>",
		"cb_not_allowed":           "Это могут только администраторы.",
		"cb_unknown":               "Эта кнопка устарела.",
		"status_requested":         "создан",
		"status_awaiting_approval": "ждёт одобрения",
		"status_queued":            "в очереди",
		"status_sent":              "отправлен",
		"status_confirmed":         "подтверждён",
		"status_failed":            "не удался",
		"status_refunded":          "возвращён",
		"status_rejected":          "отклонён",
		"kind_deposit":             "пополнение",
		"kind_withdrawal":          "вывод",
		"kind_refund":              "возврат",
		"kind_purchase":            "покупка",
		"kind_fee":                 "комиссия",
		"kind_adjustment":          "корректировка",
		"cmd_start":                "Начать и показать меню",
		"cmd_balance":              "Баланс",
		"cmd_topup":                "Как пополнить",
		"cmd_pay":                  "Оплатить точную сумму",
		"cmd_withdraw":             "Вывести на TON-кошелёк",
		"cmd_history":              "Операции",
		"cmd_wallet":               "Привязанный кошелёк",
		"cmd_help":                 "Справка",
		"cmd_stats":                "Статистика (админы)",
		"cmd_pending":              "Выводы на одобрение (админы)",
		"cmd_unmatched":            "Переводы без владельца (админы)",
		"stats_recon_none":         "Учёт и сеть: ещё не сверялись",
		"stats_recon_title":        "Учёт и сеть:",
		"stats_recon_ok":           "• %s: расхождения нет (блок %d)",
		"stats_recon_drift":        "• ⚠️ %s: расхождение <b>%s</b> с %s UTC (блок %d; в сети %s, по учёту %s)",
		"stats_payouts_running":    "Выплаты: идут",
		"stats_payouts_paused":     "Выплаты: ⏸ <b>приостановлены</b> с %s UTC (%s): %s",
		"cause_drift":              "расхождение учёта с сетью",
		"cause_admin":              "администратором",
		"paused":                   "⏸ Выплаты приостановлены: %s\nНовые выплаты не отправляются до /resume. Заявки на вывод принимаются и ждут в очереди.",
		"paused_before":            "Выплаты уже были приостановлены (%s): %s. Теперь вместо этого указана ваша причина.",
		"resumed":                  "▶️ Выплаты возобновлены. Они были приостановлены (%s) с %s UTC: %s",
		"resumed_drift":            "Это расхождение теперь подтверждено: оно больше не остановит выплаты, другое — остановит.",
		"resume_not_paused":        "Выплаты не были приостановлены.",
		"cmd_pause":                "Остановить выплаты (админы)",
		"cmd_resume":               "Возобновить выплаты (админы)",
		"menu_button":              "Кошелёк",
	},
}

// status is a withdrawal status in l's words.
func (l lang) status(s string) string {
	if _, ok := catalog[en]["status_"+s]; ok {
		return l.t("status_" + s)
	}
	return s
}

// cause is why payouts were paused (store.Pause.Cause) in l's words.
func (l lang) cause(c string) string {
	if _, ok := catalog[en]["cause_"+c]; ok {
		return l.t("cause_" + c)
	}
	return c
}

// kind is a ledger transfer kind in l's words.
func (l lang) kind(k string) string {
	if _, ok := catalog[en]["kind_"+k]; ok {
		return l.t("kind_" + k)
	}
	return k
}
