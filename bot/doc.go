// Package bot is tonpay's Telegram bot (go-telegram/bot): commands, balance
// menus, admin tools and the notifier that delivers outbox events.
package bot
